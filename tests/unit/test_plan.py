"""Plan.of and Plan.of_message make what the dataclass constructor makes, without its cost."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from mockserver.plan import MessagePlan, Plan


def test_plan_of_message_is_the_constructors() -> None:
    plan = Plan.of_message("Hello.")
    assert vars(plan) == vars(Plan(items=(MessagePlan(text="Hello."),)))
    assert plan == Plan(items=(MessagePlan(text="Hello."),))
    assert plan.rendering is None
    (made,) = plan.items
    assert type(made) is MessagePlan
    assert vars(made) == vars(MessagePlan(text="Hello."))  # every field (a default_factory's too)
    assert made == MessagePlan(text="Hello.")
    assert repr(made) == repr(MessagePlan(text="Hello."))
    assert hash(made) == hash(MessagePlan(text="Hello."))
    assert dataclasses.asdict(made) == dataclasses.asdict(MessagePlan(text="Hello."))
    assert dataclasses.replace(made, refusal=True) == MessagePlan("Hello.", refusal=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.text = "changed"  # type: ignore[misc]


def test_plan_of_is_the_constructors() -> None:
    items = (MessagePlan("Hello."),)
    made, built = Plan.of(items), Plan(items=items)
    assert vars(made) == vars(built)  # every init field; `rendering` is read from the class
    assert made == built
    assert repr(made) == repr(built)
    assert dataclasses.asdict(made) == dataclasses.asdict(built)
    assert made.rendering is None
    assert dataclasses.replace(made, status="incomplete") == Plan(items, status="incomplete")
    assert copy.deepcopy(made) == pickle.loads(pickle.dumps(made)) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.status = "failed"  # type: ignore[misc]
