"""The o200k_base tokenizer of bpe-openai, loaded in ~0.05 s instead of ~0.9 s.

`import bpe_openai` builds Python dicts of all three vocabularies it ships (cl100k, o200k,
voyage3: ~450,000 base64 lines decoded one by one) just to read their special tokens, before
any encoding is asked for. Counting and splitting need only its Rust backend, which carries
its own copy of the vocabulary: we load that extension module by itself, without running the
package's `__init__`. Encoding gives the same ids as `Encoding.encode(text,
disallowed_special=())` (no special tokens are recognised, lone surrogates become U+FFFD).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from typing import Any, Protocol, cast


class Backend(Protocol):
    def encode(self, text: str) -> list[int]: ...
    def decode(self, tokens: list[int]) -> str: ...


def load(encoding: str = "o200k_base") -> Backend:
    """The Rust tokenizer for encoding (raises ImportError when bpe-openai is missing)."""
    spec = importlib.util.find_spec("bpe_openai")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("bpe-openai is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("_bindings*.so")) + sorted(folder.glob("_bindings*.pyd"))
    if not found:
        raise ImportError(f"bpe-openai's compiled backend is missing from {folder}")
    name = "bpe_openai._bindings"
    loader = importlib.machinery.ExtensionFileLoader(name, str(found[0]))
    module_spec = importlib.util.spec_from_file_location(name, found[0], loader=loader)
    assert module_spec is not None  # a file path and a loader always give a spec
    module = importlib.util.module_from_spec(module_spec)
    loader.exec_module(module)
    return cast(Backend, cast(Any, module).tokenizer_for_encoding(encoding))


def sanitized(text: str) -> str:
    """text as the tokenizer takes it: lone surrogates (not encodable) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def decoded(backend: Backend, tokens: list[int]) -> str | None:
    """The text of tokens, or None when they end inside a multi-byte character."""
    try:
        return backend.decode(tokens)
    except ValueError:
        return None
