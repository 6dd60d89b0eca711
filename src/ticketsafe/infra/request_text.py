"""One check for every JSON body: text must be encodable (UTF-8), or the answer is 422.

JSON may carry a lone surrogate (`"\\ud800"`); Python's `json` decodes it into a `str`
that every later step (hashing an e-mail for its blind index, encrypting, BSON, the
orjson answer that echoes a field name) fails to encode, which answered 500. This
dependency runs for every route (`FastAPI(dependencies=[...])`) before the body is
validated, walks the JSON FastAPI already parsed, and answers the usual 422
`validation_failed` naming where the text is. Query strings, paths and headers cannot
hold such text (Starlette decodes them with replacement characters, headers as latin-1).

The fast lane parses its bodies with pydantic's JSON parser, which refuses lone
surrogates itself, so it declines those bodies and this check answers them.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.requests import HTTPConnection

_JSON_SUFFIXES = ("/json", "+json")


async def reject_unencodable_text(connection: HTTPConnection) -> None:
    """A FastAPI dependency: 422 if the JSON body holds text UTF-8 cannot encode
    (WebSocket connections have no body: nothing to check)."""
    if not isinstance(connection, Request):
        return
    request = connection
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if request.method in ("GET", "HEAD") or not content_type.endswith(_JSON_SUFFIXES):
        return
    body = await request.body()
    if not body:
        return
    try:
        document = await request.json()  # cached: FastAPI parsed it already
    except (json.JSONDecodeError, UnicodeDecodeError):
        return  # FastAPI's own body parsing reports it
    where = unencodable_at(document)
    if where is not None:
        raise RequestValidationError(
            [
                {
                    "type": "string_unicode",
                    "loc": ("body", *where),
                    "msg": "text must be valid Unicode (no lone surrogates)",
                    "input": None,
                }
            ]
        )


def unencodable_at(document: Any) -> tuple[str | int, ...] | None:
    """Where in a parsed JSON document a string (or an object key) cannot be encoded as
    UTF-8, or None. A bad key is reported at its object, so the answer never echoes it.
    Iterative: a deeply nested body must not exhaust the stack."""
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(document, ())]
    while pending:
        value, path = pending.pop()
        if isinstance(value, str):
            if not _encodable(value):
                return path
        elif isinstance(value, list):
            pending.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    return path
                pending.append((item, (*path, key)))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
