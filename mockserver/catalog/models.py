"""The model catalogue: what each model is, loaded from catalogue.yaml, extended by users.

The built-in list ships as package data; `--models FILE` extends it (or replaces it, with
`replace: true`), and a scenario's `models:` section extends it for that scenario only.
Entries are checked against model.schema.json once, at load time; after that everything is a
frozen ModelInfo.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

# The hosted tool types a catalogue entry can restrict. function and custom tools run in the
# client, so every model takes them.
HOSTED_TOOL_TYPES = frozenset(
    {
        "file_search", "web_search", "web_search_preview", "computer_use_preview", "computer",
        "mcp", "code_interpreter", "image_generation", "local_shell", "shell", "apply_patch",
        "tool_search",
    }
)  # fmt: skip
# Dated tool versions are checked as the tool they version.
TOOL_ALIASES = {
    "web_search_2025_08_26": "web_search",
    "web_search_preview_2025_03_11": "web_search_preview",
}
_UNKNOWN_PARENT = ", which is not a known model"
_TUPLE_FIELDS = ("rejected_params", "reasoning_efforts", "sampling_efforts", "required_tools")


class CatalogueError(ValueError):
    """A models file or section that cannot be used; `problems` lists every one of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class ModelInfo:
    """One model: how it is listed, which requests it accepts, and whether it reasons."""

    id: str
    owned_by: str = "user"
    created: int = 0
    shutdown_date: str | None = None
    snapshot: str | None = None
    reasons: bool = False
    context_window: int | None = 128_000
    max_input_tokens: int | None = None
    max_output_tokens: int | None = 16_384
    rejected_params: tuple[str, ...] = ()
    reasoning_efforts: tuple[str, ...] = ()
    default_effort: str | None = None
    sampling_efforts: tuple[str, ...] = ()
    tools: tuple[str, ...] | None = None  # hosted tool types; None: all
    required_tools: tuple[str, ...] = ()
    # Which reasoning items later turns see, when the request does not say (gpt-5.6: all_turns).
    reasoning_context: str = "current_turn"
    known: bool = True  # False: a model the catalogue does not have, accepted leniently

    @property
    def response_model(self) -> str:
        """What `Response.model` says: the real API names the dated snapshot it ran."""
        return self.snapshot or self.id

    def effort(self, reasoning: Mapping[str, Any] | None) -> str | None:
        """The reasoning effort a request runs with (its own, else the model's default)."""
        asked = (reasoning or {}).get("effort")
        if isinstance(asked, str):
            return asked
        return self.default_effort if self.reasons else None

    def reasoning_defaults(self) -> dict[str, str]:
        """What Response.reasoning reports for `context` and `mode` when the request leaves
        them out (a reasoning model's; other models report neither)."""
        if not (self.known and self.reasons):
            return {}
        return {"context": self.reasoning_context, "mode": "standard"}

    def samples(self, effort: str | None) -> bool:
        """Whether temperature/top_p/logprobs apply (false for reasoning runs that reject them)."""
        if not self.rejected_params:
            return True
        return effort is not None and effort in self.sampling_efforts

    def supports_tool(self, tool_type: str) -> bool:
        kind = TOOL_ALIASES.get(tool_type, tool_type)
        return self.tools is None or kind not in HOSTED_TOOL_TYPES or kind in self.tools

    def to_api(self) -> dict[str, Any]:
        """The spec's Model object, as GET /v1/models shows it."""
        obj: dict[str, Any] = {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.owned_by,
        }
        # Real listings leave shutdown_date out unless one is announced.
        if self.shutdown_date is not None:
            obj["shutdown_date"] = self.shutdown_date
        return obj


def unknown_model(model_id: str) -> ModelInfo:
    """A model the catalogue lacks, treated as a plain chat model with no limits to check."""
    return ModelInfo(
        id=model_id, owned_by="system", context_window=None, max_output_tokens=None, known=False
    )


class ModelIndex(dict[str, "ModelInfo | None"]):
    """Models by id: `index[model_id]` is the model, or None. A fine-tuned id
    (`ft:BASE:org:...`) follows its base model; it is made on each lookup, never kept (ids
    are the client's: the index does not grow)."""

    def __missing__(self, model_id: str) -> ModelInfo | None:
        base = self.get(model_id.split(":")[1]) if model_id.startswith("ft:") else None
        return None if base is None else dataclasses.replace(base, id=model_id, snapshot=model_id)


@dataclass(frozen=True)
class Catalogue:
    models: tuple[ModelInfo, ...]
    # `index[model_id]`: the model or None, in one dict lookup for a catalogue id (ModelIndex)
    index: ModelIndex = field(default_factory=ModelIndex, compare=False, repr=False)
    _merged: dict[str, Catalogue] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.index.update((m.id, m) for m in self.models)

    def __len__(self) -> int:
        return len(self.models)

    def get(self, model_id: str) -> ModelInfo | None:
        """The model, or None. A fine-tuned id (`ft:BASE:org:...`) follows its base model."""
        return self.index[model_id]

    def merged(self, entries: Sequence[Mapping[str, Any]], source: str = "models") -> Catalogue:
        """This catalogue extended by `entries` (a scenario's `models:`); memoised per list."""
        if not entries:
            return self
        key = json.dumps(entries, sort_keys=True, default=str)
        cached = self._merged.get(key)
        if cached is None:
            problems = entry_problems(entries, source)
            if problems:
                raise CatalogueError(problems)
            cached = Catalogue(_merge(self.models, entries, source))
            self._merged[key] = cached
        return cached


@functools.cache
def _schema_validator() -> jsonschema.Draft202012Validator:
    text = resources.files(__package__).joinpath("model.schema.json").read_text("utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def _entry_validator() -> jsonschema.Draft202012Validator:
    outer = _schema_validator()
    return outer.evolve(schema={**outer.schema["$defs"]["model"], "$defs": outer.schema["$defs"]})


def entry_problems(entries: Any, source: str) -> list[str]:
    """Every problem in a list of model entries (a scenario's `models:` section), at load time.

    Entries are tried on the built-in catalogue; an `extends` naming a model it lacks is left
    for request time, as the server's --models file may define that model.
    """
    if not isinstance(entries, list | tuple):
        return [f"{source}: expected a list of models, got {type(entries).__name__}"]
    validator = _entry_validator()
    problems = [
        f"{source}[{i}]{_path(err.absolute_path)}: {err.message}"
        for i, entry in enumerate(entries)
        for err in validator.iter_errors(entry)
    ]
    if problems:
        return problems
    try:
        _merge(builtin_catalogue().models, entries, source)
    except CatalogueError as exc:
        return [p for p in exc.problems if not p.endswith(_UNKNOWN_PARENT)]
    return []


def _path(parts: Iterable[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _merge(
    base: tuple[ModelInfo, ...], entries: Sequence[Mapping[str, Any]], source: str
) -> tuple[ModelInfo, ...]:
    models = {m.id: m for m in base}
    problems: list[str] = []
    for i, entry in enumerate(entries):
        where = f"{source}[{i}] (id '{entry['id']}')"
        try:
            info = _resolve(entry, models)
        except KeyError as exc:
            problems.append(f"{where}: extends '{exc.args[0]}'{_UNKNOWN_PARENT}")
            continue
        problems += [f"{where}: {p}" for p in _consistency(info)]
        models[info.id] = info
    if problems:
        raise CatalogueError(problems)
    return tuple(models.values())


def _resolve(entry: Mapping[str, Any], models: Mapping[str, ModelInfo]) -> ModelInfo:
    fields = {k: _freeze(k, v) for k, v in entry.items() if k != "extends"}
    parent = entry.get("extends")
    if parent is not None:
        # A snapshot names itself unless told otherwise: never inherit the parent's.
        return dataclasses.replace(models[parent], **{"snapshot": None, **fields})
    if entry["id"] in models:
        return dataclasses.replace(models[entry["id"]], **fields)
    return ModelInfo(**fields)


def _freeze(name: str, value: Any) -> Any:
    if name in _TUPLE_FIELDS or (name == "tools" and value is not None):
        return tuple(value)
    return value


def _consistency(info: ModelInfo) -> list[str]:
    problems = []
    effort = info.default_effort
    if effort is not None and info.reasoning_efforts and effort not in info.reasoning_efforts:
        problems.append(f"default_effort '{effort}' is not one of its reasoning_efforts")
    window = info.context_window
    for name in ("max_input_tokens", "max_output_tokens"):
        limit = getattr(info, name)
        if window is not None and limit is not None and limit > window:
            problems.append(f"{name} {limit} exceeds its context_window {window}")
    unknown = [t for t in info.tools or () if TOOL_ALIASES.get(t, t) not in HOSTED_TOOL_TYPES]
    if unknown:
        allowed = ", ".join(sorted(HOSTED_TOOL_TYPES))
        problems.append(f"tools {unknown} are not hosted tool types (allowed: {allowed})")
    return problems


# ---- files ---------------------------------------------------------------------------------


def parse_models_document(text: str, source: str) -> tuple[bool, list[dict[str, Any]]]:
    """A models file's (replace, entries), or CatalogueError with `file:line:col:` locations."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise CatalogueError([f"{source}: not valid YAML: {exc}"]) from None
    if isinstance(data, list):  # a bare list of models is accepted too
        data = {"models": data}
    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise CatalogueError([_located(source, root, e) for e in errors])
    return bool(data.get("replace", False)), list(data["models"])


def _located(source: str, root: Any, err: jsonschema.ValidationError) -> str:
    path = list(err.absolute_path)
    # A bare list was read as {"models": [...]}: its nodes have no "models" key to walk.
    node_path = path[1:] if isinstance(root, yaml.SequenceNode) else path
    return f"{source}:{_mark(root, node_path)}: {_path(path).lstrip('.') or '(top)'}: {err.message}"


def _mark(node: Any, path: Sequence[Any]) -> str:
    """line:col of the deepest YAML node that `path` reaches (1-based, as editors count)."""
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    if node is None:
        return "1:1"
    return f"{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if k.value == part), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


@functools.cache
def builtin_catalogue() -> Catalogue:
    """The catalogue shipped with the package (catalogue.yaml)."""
    text = resources.files(__package__).joinpath("catalogue.yaml").read_text("utf-8")
    _, entries = parse_models_document(text, "catalogue.yaml")
    return Catalogue(_merge((), entries, "catalogue.yaml"))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The built-in catalogue, extended (or replaced) by a user's models file."""
    base = builtin_catalogue()
    if path is None:
        return base
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise CatalogueError([f"{path}: cannot read the models file: {exc.strerror}"]) from None
    replace, entries = parse_models_document(text, str(path))
    start = () if replace else base.models
    return Catalogue(_merge(start, entries, str(path)))
