"""Per-model request rules: what the real API refuses for a given model, with its exact error.

`check_request` is the one entry point the create handler calls, after the body has passed the
generic checks (types and ranges) and the conversation has been assembled. The checks run
cheapest first; the token count of the context runs last and only when a byte count says the
context could possibly be too long.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mockserver.catalog.includes import check_include
from mockserver.catalog.models import Catalogue, CatalogueError, ModelInfo, unknown_model
from mockserver.errors import InvalidRequest, MockError, NotFound, ServerError
from mockserver.jsonbytes import dumps, dumps_or_refuse
from mockserver.openai import usage

if TYPE_CHECKING:
    from mockserver.openai.request import ResponseRequest

CONTEXT_EXCEEDED = (
    "Your input exceeds the context window of this model. Please adjust your input and try again."
)


def counted_body(req: ResponseRequest) -> dict[str, Any]:
    """The body with its model and tools as the create path uses them (defaults filled: a
    stored prompt's request may leave the model out). A body that names its model and sends
    no tools is that already (no tools and `tools: []` read the same): it is not copied."""
    raw = req.raw
    if raw.get("tools") is None and raw.get("model") is req.model:
        return raw
    return {**raw, "model": req.model, "tools": req.tools}


def model_for(
    catalogue: Catalogue,
    req: ResponseRequest,
    conversation: Sequence[Mapping[str, Any]],
    strict: bool,
    scenario_models: Sequence[Mapping[str, Any]] = (),
) -> ModelInfo:
    """The request's model, checked against its rules (raises the API's error).

    A scenario's `models:` section extends the catalogue (`strict` is then the scenario's
    `strict_models` if it sets one, else --strict-models).
    """
    if scenario_models:
        try:
            catalogue = catalogue.merged(scenario_models, "scenario models")
        except CatalogueError as exc:  # only what load time could not know: an unknown extends
            raise ServerError(f"The scenario's models section cannot be used: {exc}") from None
    return check_request(counted_body(req), conversation, catalogue, strict)


def model_not_found(model_id: str) -> MockError:
    return NotFound(
        f"The model `{model_id}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def resolve_model(model_id: str, catalogue: Catalogue, strict: bool) -> ModelInfo:
    """The catalogue's model; an unknown one is a 404 when strict, else a lenient stand-in."""
    info = catalogue.index[model_id]
    if info is not None:
        return info
    if strict:
        raise model_not_found(model_id)
    return unknown_model(model_id)


class ContextWindowExceeded(InvalidRequest):
    """The input does not fit the model's window: the one refusal the real API reports in
    the stream of a streamed request (after response.created); `model` is the checked model."""

    def __init__(self, model: ModelInfo) -> None:
        super().__init__(CONTEXT_EXCEEDED, code="context_length_exceeded", param="input")
        self.model = model


def check_request(
    body: Mapping[str, Any],
    conversation: Sequence[Mapping[str, Any]],
    catalogue: Catalogue,
    strict: bool,
) -> ModelInfo:
    """The request's model, or the MockError the real API answers this request with.

    `conversation` is every input item the model would see: earlier turns reached through
    previous_response_id (their inputs and outputs) followed by this request's input.
    """
    get = body.get
    model = get("model", "")
    info = catalogue.index[model] if type(model) is str else None  # a catalogue model: itself
    if info is None:
        info = resolve_model(str(model), catalogue, strict)
    if not info.known:
        return info  # nothing is known about it, so nothing can be refused
    text = get("input")
    if len(body) == 2 and type(text) is str and not info.required_tools:
        # Only `model` and a string input (the usual request): its window is the one rule
        # that can refuse it, and a string whose bytes bound fits is not counted (else the
        # rules below count it).
        limit = _input_limit(info, 0)
        if limit is None or _lone_text_bound(text) <= limit:
            return info
    # Each rule runs only when the body sends what it can refuse (or the model requires a
    # tool): a plain body is checked against its window only. The order stays the API's.
    rejected = info.rejected_params
    if get("reasoning") is not None or (rejected and any(get(p) is not None for p in rejected)):
        _check_sampling(body, info, _check_reasoning(body, info))
    if get("include"):
        check_include(get("include"), info)
    if get("tools") or info.required_tools:
        _check_tools(get("tools"), info)
    if get("max_output_tokens") is not None:
        _check_max_output(get("max_output_tokens"), info)
    _check_context(body, conversation, info)
    return info


def _unsupported_parameter(
    param: str, code: str | None = "unsupported_parameter"
) -> InvalidRequest:
    return InvalidRequest(
        f"Unsupported parameter: '{param}' is not supported with this model.",
        code=code,
        param=param,
    )


def _check_reasoning(body: Mapping[str, Any], info: ModelInfo) -> str | None:
    reasoning = body.get("reasoning")
    if not isinstance(reasoning, Mapping):
        return info.effort(None)
    if not info.reasons:
        for key in ("effort", "summary", "generate_summary"):
            if reasoning.get(key) is not None:
                raise _unsupported_parameter(f"reasoning.{key}")
        return None
    effort = info.effort(reasoning)
    if effort is not None and info.reasoning_efforts and effort not in info.reasoning_efforts:
        raise InvalidRequest(
            f"Unsupported value: '{effort}' is not supported with this model. "
            f"Supported values are: {_listing(info.reasoning_efforts, 'and')}.",
            code="unsupported_value",
            param="reasoning.effort",
        )
    return effort


def _check_sampling(body: Mapping[str, Any], info: ModelInfo, effort: str | None) -> None:
    if info.samples(effort):
        return
    for param in info.rejected_params:
        if body.get(param) is not None:  # real traffic: code null for sampling parameters
            raise _unsupported_parameter(param, code=None)


def _check_tools(tools: Any, info: ModelInfo) -> None:
    kinds = [t.get("type") for t in tools or () if isinstance(t, Mapping)]
    for kind in kinds:
        if isinstance(kind, str) and not info.supports_tool(kind):
            raise InvalidRequest(
                f"Hosted tool '{kind}' is not supported with {info.response_model}.",
                param="tools",
            )
    if info.required_tools and not set(kinds) & set(info.required_tools):
        raise InvalidRequest(
            "Deep research models require at least one of "
            f"{_listing(info.required_tools, 'or')} tools.",
            param="tools",
        )


def _check_max_output(requested: Any, info: ModelInfo) -> None:
    limit = info.max_output_tokens
    if isinstance(requested, int) and limit is not None and requested > limit:
        raise InvalidRequest(
            f"max_output_tokens is too large: {requested}. This model supports at most "
            f"{limit} output tokens, whereas you provided {requested}.",
            code="invalid_value",
            param="max_output_tokens",
        )


def _check_context(
    body: Mapping[str, Any], conversation: Sequence[Mapping[str, Any]], info: ModelInfo
) -> None:
    requested = body.get("max_output_tokens")
    limit = _input_limit(info, requested if isinstance(requested, int) else 0)
    if limit is None:
        return
    # Tokenising costs about a microsecond a byte; most requests are below the limit in bytes
    # alone (no token is shorter than a byte), so only long ones are counted for real.
    if _bytes_bound(body, conversation) <= limit:
        return
    if input_token_count(body, conversation) > limit:
        raise ContextWindowExceeded(info)


def _input_limit(info: ModelInfo, output: int) -> int | None:
    """The input tokens the model reads at most when `output` tokens are asked for (None:
    no limit)."""
    limit = info.max_input_tokens
    if info.context_window is not None and (limit is None or info.context_window - output < limit):
        limit = info.context_window - output
    return limit


def input_token_count(body: Mapping[str, Any], conversation: Sequence[Mapping[str, Any]]) -> int:
    """Input tokens exactly as usage.input_tokens reports them for the same request."""
    instructions = body.get("instructions")
    text = body.get("text")
    return usage.input_tokens(
        instructions if isinstance(instructions, str) else None,
        [dict(item) for item in conversation],
        [dict(t) for t in body.get("tools") or () if isinstance(t, Mapping)],
        text.get("format") if isinstance(text, Mapping) else None,
    )


def _bytes_bound(body: Mapping[str, Any], conversation: Sequence[Mapping[str, Any]]) -> int:
    """At least the input tokens `input_token_count` counts (a token is at least a byte)."""
    text = body.get("input")
    if (
        type(text) is str
        and len(conversation) == 1  # then it is the message made of text: nothing came before
        and body.get("instructions") is None
        and not body.get("tools")
        and body.get("text") is None
    ):
        return _lone_text_bound(text)
    items = conversation if type(conversation) is list else list(conversation)
    parts = [body.get("instructions"), items, body.get("tools"), body.get("text")]
    # Compact JSON at a tenth of json.dumps's cost. json.dumps's ", " and ": " add at most
    # one byte per byte of it, so twice its size bounds what the token counter reads.
    try:
        size = len(dumps_or_refuse(parts))
    except TypeError:  # what orjson refuses: the one encoder's slower way
        size = len(dumps(parts))
    return 2 * size + usage.PRIMING + usage.PER_MESSAGE * (len(conversation) + 1)


def _lone_text_bound(text: str) -> int:
    """`_bytes_bound` of a request whose one input is a string (nothing else to read)."""
    # A lone string is all the model reads, and a character is at most 4 bytes of UTF-8.
    return 4 * len(text) + usage.PRIMING + usage.PER_MESSAGE


def _listing(values: Sequence[str], conjunction: str) -> str:
    """'a', 'b', and 'c' — the API's way of listing allowed values."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return f" {conjunction} ".join(quoted)
    return ", ".join(quoted[:-1]) + f", {conjunction} " + quoted[-1]
