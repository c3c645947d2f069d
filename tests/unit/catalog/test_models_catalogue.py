"""The model catalogue: built-in figures, extends/snapshots, user files, errors that locate."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from specschema import validate

from mockserver.catalog import (
    Catalogue,
    CatalogueError,
    builtin_catalogue,
    entry_problems,
    load_catalogue,
)
from mockserver.catalog.table import BEGIN, END, catalogue_table

DOCS = Path(__file__).resolve().parents[3] / "docs" / "models.md"


@pytest.mark.parametrize(
    ("model", "window", "max_output", "reasons"),
    [
        ("gpt-4o", 128_000, 16_384, False),
        ("gpt-4o-mini", 128_000, 16_384, False),
        ("gpt-4o-2024-05-13", 128_000, 4_096, False),
        ("gpt-4.1", 1_047_576, 32_768, False),
        ("gpt-4.1-nano", 1_047_576, 32_768, False),
        ("gpt-5", 400_000, 128_000, True),
        ("gpt-5-nano", 400_000, 128_000, True),
        ("gpt-5-chat-latest", 128_000, 16_384, False),
        ("o1", 200_000, 100_000, True),
        ("o3", 200_000, 100_000, True),
        ("o3-mini", 200_000, 100_000, True),
        ("o4-mini", 200_000, 100_000, True),
        ("o3-deep-research", 200_000, 100_000, True),
        ("codex-mini-latest", 200_000, 100_000, True),
    ],
)
def test_builtin_figures(model: str, window: int, max_output: int, reasons: bool) -> None:
    info = builtin_catalogue().get(model)
    assert info is not None
    assert (info.context_window, info.max_output_tokens, info.reasons) == (
        window,
        max_output,
        reasons,
    )


def test_every_family_the_issue_names_is_covered() -> None:
    names = {m.id for m in builtin_catalogue().models}
    wanted = {
        "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-5",
        "gpt-5-mini", "gpt-5-nano", "o1", "o1-pro", "o3", "o3-mini", "o3-pro", "o4-mini",
        "o3-deep-research", "o4-mini-deep-research", "codex-mini-latest",
    }  # fmt: skip
    assert wanted <= names


def test_every_model_object_is_the_specs() -> None:
    catalogue = builtin_catalogue()
    listing = {"object": "list", "data": [m.to_api() for m in catalogue.models]}
    validate(listing, "ListModelsResponse")
    for model in catalogue.models:
        validate(model.to_api(), "Model")
        assert model.created > 1_700_000_000
        assert model.owned_by == "system"


def test_snapshot_is_what_an_alias_answers_with_and_is_not_inherited() -> None:
    catalogue = builtin_catalogue()
    assert catalogue.get("gpt-4o").response_model == "gpt-4o-2024-08-06"  # type: ignore[union-attr]
    dated = catalogue.get("gpt-4o-2024-11-20")
    assert dated is not None and dated.response_model == "gpt-4o-2024-11-20"
    # extends copies the limits and rules, but not the parent's snapshot
    assert dated.context_window == 128_000


def test_reasoning_families_reject_sampling() -> None:
    catalogue = builtin_catalogue()
    for model in catalogue.models:
        if model.reasons and model.id != "computer-use-preview" and "computer" not in model.id:
            assert set(model.rejected_params) == {"temperature", "top_p"}, model.id
        if not model.reasons:
            assert model.rejected_params == ()


def test_fine_tuned_ids_follow_their_base_model() -> None:
    info = builtin_catalogue().get("ft:gpt-4o-mini-2024-07-18:acme::abc123")
    assert info is not None
    assert info.id == info.response_model == "ft:gpt-4o-mini-2024-07-18:acme::abc123"
    assert info.max_output_tokens == 16_384
    assert builtin_catalogue().get("ft:not-a-model:acme::x") is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_models_file_extends_the_builtin_list(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        models:
          - id: acme-small
            context_window: 8192
            max_output_tokens: 1024
          - {id: acme-reasoner, extends: o4-mini, owned_by: acme, created: 1750000000}
          - {id: gpt-4o, max_output_tokens: 2048}   # an existing id is adjusted in place
        """,
    )
    catalogue = load_catalogue(path)
    assert len(catalogue) == len(builtin_catalogue()) + 2
    small = catalogue.get("acme-small")
    assert small is not None and small.known and not small.reasons
    assert (small.owned_by, small.context_window, small.tools) == ("user", 8192, None)
    reasoner = catalogue.get("acme-reasoner")
    assert reasoner is not None and reasoner.reasons and reasoner.owned_by == "acme"
    assert reasoner.response_model == "acme-reasoner"
    gpt4o = catalogue.get("gpt-4o")
    assert gpt4o is not None and gpt4o.max_output_tokens == 2048
    assert gpt4o.response_model == "gpt-4o-2024-08-06"  # an adjustment keeps the snapshot


def test_replace_true_drops_the_builtin_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "replace: true\nmodels:\n  - {id: only-one, created: 1}\n")
    catalogue = load_catalogue(path)
    assert [m.id for m in catalogue.models] == ["only-one"]
    assert catalogue.get("gpt-4o") is None


def test_a_bare_list_is_a_models_file(tmp_path: Path) -> None:
    catalogue = load_catalogue(_write(tmp_path, "- id: bare\n"))
    assert catalogue.get("bare") is not None


def test_file_errors_name_file_line_column_and_every_problem(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        models:
          - id: ok
          - id: bad
            context_window: lots
            colour: blue
          - reasons: true
        """,
    )
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    problems = info.value.problems
    assert len(problems) == 3
    assert any(
        f"{path}:4:21: models[1].context_window: 'lots' is not of type" in p for p in problems
    )
    assert any(f"{path}:3:5: models[1]: Additional properties" in p for p in problems)
    assert any(f"{path}:6:5: models[2]: 'id' is a required property" in p for p in problems)


def test_consistency_problems_are_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
        models:
          - {id: a, extends: no-such-model}
          - {id: b, context_window: 100, max_output_tokens: 200}
          - {id: c, reasons: true, reasoning_efforts: [low], default_effort: high}
          - {id: d, tools: [teleport]}
        """,
    )
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    text = str(info.value)
    assert "(id 'a'): extends 'no-such-model', which is not a known model" in text
    assert "(id 'b'): max_output_tokens 200 exceeds its context_window 100" in text
    assert "(id 'c'): default_effort 'high' is not one of its reasoning_efforts" in text
    assert "(id 'd'): tools ['teleport'] are not hosted tool types" in text


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="cannot read the models file"):
        load_catalogue(tmp_path / "missing.yaml")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(_write(tmp_path, "models: [\n"))


def test_scenario_sections_merge_and_are_memoised() -> None:
    base = builtin_catalogue()
    entries = [{"id": "scenario-model", "extends": "gpt-4.1-nano"}]
    merged = base.merged(entries, "scenario.yaml models")
    assert merged.get("scenario-model") is not None
    assert base.get("scenario-model") is None  # the base is left as it was
    assert base.merged([dict(e) for e in entries]) is merged
    assert base.merged([]) is base


def test_scenario_section_problems() -> None:
    assert entry_problems([{"id": "x", "context_window": 0}], "s.yaml models") == [
        "s.yaml models[0].context_window: 0 is less than the minimum of 1"
    ]
    assert entry_problems({"id": "x"}, "s.yaml models") == [
        "s.yaml models: expected a list of models, got dict"
    ]
    with pytest.raises(CatalogueError, match=r"scn\[0\]: 'id' is a required property"):
        builtin_catalogue().merged([{"reasons": True}], "scn")


def test_readme_table_matches_the_catalogue() -> None:
    table = catalogue_table(builtin_catalogue())
    docs = DOCS.read_text(encoding="utf-8")
    start, end = docs.index(BEGIN), docs.index(END) + len(END)
    assert docs[start:end] == table, "regenerate with: python -m mockserver.catalog.table"


def test_catalogue_is_immutable() -> None:
    catalogue = Catalogue(builtin_catalogue().models[:2])
    with pytest.raises(AttributeError):
        catalogue.models = ()  # type: ignore[misc]
