"""What a signed body must look like before Bolt sees it, and its text made safe to store.

bot/runtime/web.py calls `check` on every verified POST. The body is parsed the way Bolt parses it
(JSON, a form, or a form whose `payload` field is JSON), checked for depth, cleaned (NUL
removed and lone surrogates replaced, in every string: PostgreSQL refuses NUL, and neither
database can store a lone surrogate), and validated against the model of its kind: a slash
command, each interactivity payload aarbot handles, and the Events API envelopes with the
events it subscribes to. A body of another kind, or with a field of the wrong type, a
malformed payload, absurd nesting or an id no Slack id looks like, is refused (HTTP 400)
with a reason that quotes nothing from the body. A body that passes is handed to Bolt as it
came, or, when cleaning changed it (or Bolt's strict JSON parse would refuse it),
re-serialized from the cleaned values: either way Bolt (and the job that keeps the body)
sees exactly what was checked.

The models are in bot/slack/payload_models.py.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import TypeAdapter, ValidationError

from bot.slack.payload_models import Envelope, Metadata, Payload, Shape, SlashCommand, SslCheck
from storage.types import clean_text

MAX_DEPTH = 32  # Slack's deepest payloads (rich text in a modal's state) nest about 12

_PAYLOAD: TypeAdapter[Any] = TypeAdapter(Payload)
_ENVELOPE: TypeAdapter[Any] = TypeAdapter(Envelope)
_METADATA = TypeAdapter(Metadata)


class MalformedError(ValueError):
    """A signed body aarbot will not hand to Bolt; the message quotes nothing from it."""


class _Cleaned:
    """A parsed body with every string (keys too) cleaned, and whether that changed any."""

    def __init__(self, value: Any) -> None:
        self.changed = False
        self.value = self._clean(value, 0)

    def _text(self, text: str) -> str:
        cleaned = clean_text(text)
        if cleaned is not text:
            self.changed = True
        return cleaned

    def _clean(self, value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise MalformedError(f"nested deeper than {MAX_DEPTH}")
        if isinstance(value, str):
            return self._text(value)
        if isinstance(value, dict):
            return {self._text(str(k)): self._clean(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self._clean(v, depth + 1) for v in value]
        return value


def clean(value: Any) -> Any:
    """A parsed body with every string (keys too) cleaned; MalformedError if nested too deep."""
    return _Cleaned(value).value


def _json(text: str) -> tuple[Any, bool]:
    """The parsed JSON, and whether Bolt's own (strict) parse would refuse it."""
    try:
        try:
            return json.loads(text), False
        except ValueError:
            # A raw control character in a string (a NUL, say) is text to clean, not a
            # reason to drop it; Bolt then gets the body re-serialized.
            return json.loads(text, strict=False), True
    except RecursionError:
        raise MalformedError("nested too deep to parse") from None
    except ValueError:
        raise MalformedError("JSON that does not parse") from None


@cache
def _field_names() -> frozenset[str]:
    names: set[str] = set()
    for model in Shape.__subclasses__():
        stack = [model]
        while stack:
            current = stack.pop()
            names.update(current.model_fields)
            stack.extend(current.__subclasses__())
    return frozenset(names | {"literal", "str", "int", "bool", "list", "dict", "none"})


def _problem(error: ValidationError) -> str:
    """Where and what is wrong, naming only our own field names: never a value, nor a key
    the body chose (a block id, say)."""
    known = _field_names()
    first = error.errors(include_input=False, include_url=False)[0]
    parts = [
        "[]" if isinstance(part, int) else part if part in known else "*"
        for part in first["loc"][:8]
    ]
    return f"{'.'.join(parts) or 'body'}: {first['type']}"


def check(body: str, content_type: str | None) -> str:
    """The body to hand to Bolt (cleaned, re-serialized), or MalformedError saying why not."""
    if not body:
        raise MalformedError("an empty body")
    try:
        if content_type == "application/json" or body.startswith("{"):
            return _check_envelope(body)
        pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
        fields = dict(pairs)
        if len(fields) != len(pairs):
            raise MalformedError("a form with a field given twice")
    except ValidationError as error:
        raise MalformedError(_problem(error)) from None
    except (ValueError, UnicodeError) as error:
        raise MalformedError(f"a form that does not parse ({type(error).__name__})") from None
    try:
        if "payload" in fields:
            return _check_payload(body, fields)
        return _check_command(body, fields)
    except ValidationError as error:
        raise MalformedError(_problem(error)) from None


def _check_envelope(body: str) -> str:
    raw, lax = _json(body)
    parsed = _Cleaned(raw)
    if not isinstance(parsed.value, dict):
        raise MalformedError("a JSON body that is not an object")
    _ENVELOPE.validate_python(parsed.value)
    # Unchanged, Bolt parses the body Slack sent to exactly what was checked.
    return json.dumps(parsed.value) if parsed.changed or lax else body


def _check_payload(body: str, fields: dict[str, str]) -> str:
    if len(fields) != 1:
        raise MalformedError("a payload form with other fields")
    raw, lax = _json(fields["payload"])
    parsed = _Cleaned(raw)
    if not isinstance(parsed.value, dict):
        raise MalformedError("a payload that is not a JSON object")
    _PAYLOAD.validate_python(parsed.value)
    view = parsed.value.get("view")
    if isinstance(view, dict) and view.get("private_metadata"):
        meta, _ = _json(view["private_metadata"])
        if not isinstance(meta, dict):
            raise MalformedError("private_metadata that is not a JSON object")
        _METADATA.validate_python(meta)
    if parsed.changed or lax:
        return urlencode({"payload": json.dumps(parsed.value)})
    return body


def _check_command(body: str, fields: dict[str, str]) -> str:
    parsed = _Cleaned(fields)
    if "ssl_check" in parsed.value:
        SslCheck.model_validate(parsed.value)
    else:
        SlashCommand.model_validate(parsed.value)
    return urlencode(parsed.value) if parsed.changed else body
