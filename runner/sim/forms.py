"""Reading an API request's parameters the way a PHP panel does (``$_REQUEST``): from the
query string, and from an ``application/x-www-form-urlencoded`` or ``multipart/form-data``
body, the body winning.  Other bodies (JSON, text) bring nothing, as in PHP: such a
request has no key, so it is an "Invalid API key".  A repeated name keeps its last value.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"


def _urlencoded(text: str) -> dict[str, str]:
    return dict(parse_qsl(text, keep_blank_values=True))


def _field_name(part: Message) -> str | None:
    if part.get_content_disposition() != "form-data":
        return None
    name = part.get_param("name", header="content-disposition")
    return name if isinstance(name, str) and name else None


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    out: dict[str, str] = {}
    if not message.is_multipart():
        return out
    for part in message.get_payload():
        if not isinstance(part, Message) or (name := _field_name(part)) is None:
            continue
        payload = part.get_payload(decode=True)
        out[name] = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return out


def decode(body: bytes, content_type: str | None = None, query: str = "") -> dict[str, str]:
    """The request's parameters.  No content type at all reads the body as urlencoded."""
    form = _urlencoded(query) if query else {}
    kind = (content_type or URLENCODED).split(";")[0].strip().lower()
    if kind == MULTIPART and content_type:
        form.update(_multipart(body, content_type))
    elif kind == URLENCODED and body:
        form.update(_urlencoded(body.decode("utf-8", "replace")))
    return form
