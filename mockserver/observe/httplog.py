"""One line, not a traceback, for HTTP that aiohttp cannot parse (a client's mistake).

aiohttp answers a malformed request itself (a plain-text 400: duplicate Content-Type, a bad
header line, a chunk size that is not hex, a gzip body that is not gzip) and logs it on
`aiohttp.server` at ERROR with the parser's traceback. A client can send those at will, so
they are logged as a WARNING that says what was wrong, and the log stays readable.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

_CLIENT_ERRORS = (HttpProcessingError, RequestPayloadError)
_MAX_REASON = 200  # the parser quotes what it got: a 64 KB header must not fill the log


class MalformedRequestFilter(logging.Filter):
    """On aiohttp.server: a record caused by a client's malformed request becomes one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        cause = _client_error(record)
        if cause is None:
            return True
        reason = " ".join(str(cause).split())  # "400, message: Duplicate 'Content-Type' ..."
        reason = reason if len(reason) <= _MAX_REASON else reason[: _MAX_REASON - 3] + "..."
        record.msg = f"malformed request: {reason} ({record.getMessage()})"
        record.args = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


def _client_error(record: logging.LogRecord) -> BaseException | None:
    exc = record.exc_info[1] if record.exc_info else None
    seen = 0
    while exc is not None and seen < 10:  # the chain: zlib.error -> ContentEncodingError...
        if isinstance(exc, _CLIENT_ERRORS):
            return exc
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return None


def install() -> None:
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, MalformedRequestFilter) for f in logger.filters):
        logger.addFilter(MalformedRequestFilter())
