"""Model-aware fidelity: the model catalogue, per-model request rules, include[] and logprobs.

What the core calls:
- `load_catalogue(config.models_file)` once at startup; `catalogue.merged(scenario_models)`
  for a scenario with a `models:` section.
- `check_request(body, conversation, catalogue, strict)` before matching; it returns the
  ModelInfo (its `response_model` is what Response.model says) or raises the API's error.
- `reasoning_plan_for(body, info, rng)` and
  `reasoning_tokens_for(effort, prompt_tokens, output_tokens, rng)` in the zero-config
  generator.
- `apply_includes(items, include, rng, ...)` on the final output items (stream deltas take
  their logprobs from those items).
"""

from mockserver.catalog.includes import apply_includes, apply_input_includes, check_include
from mockserver.catalog.logprobs import logprobs_for
from mockserver.catalog.models import (
    Catalogue,
    CatalogueError,
    ModelInfo,
    builtin_catalogue,
    entry_problems,
    load_catalogue,
    unknown_model,
)
from mockserver.catalog.reasoning import (
    encrypted_content_for,
    reasoning_plan_for,
    reasoning_tokens_for,
    with_reasoning,
)
from mockserver.catalog.rules import (
    check_request,
    input_token_count,
    model_not_found,
    resolve_model,
)

__all__ = [
    "Catalogue",
    "CatalogueError",
    "ModelInfo",
    "apply_includes",
    "apply_input_includes",
    "builtin_catalogue",
    "check_include",
    "check_request",
    "encrypted_content_for",
    "entry_problems",
    "input_token_count",
    "load_catalogue",
    "logprobs_for",
    "model_not_found",
    "reasoning_plan_for",
    "reasoning_tokens_for",
    "resolve_model",
    "unknown_model",
    "with_reasoning",
]
