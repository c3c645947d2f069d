"""The serve process's GC settings: applied by tune_for_serving, never by create_app."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.gctune import SERVING_THRESHOLDS, tune_for_serving


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tuning_freezes_startup_objects_and_raises_thresholds(restore_gc: None) -> None:
    tune_for_serving()
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert gc.get_freeze_count() > 0


def test_building_the_app_leaves_the_process_gc_alone(restore_gc: None) -> None:
    before = gc.get_threshold()
    create_app(Config())
    assert gc.get_threshold() == before
