"""Block Kit to plain text for the demo transcript: pure functions, no Slack, no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<([^<>|@#!][^<>|]*)(?:\|([^<>]*))?>")
_SPECIAL = re.compile(r"<!(\w+)(?:\|[^>]*)?>")
_SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
    "multi_static_select",
    "multi_users_select",
    "multi_conversations_select",
    "multi_channels_select",
    "overflow",
}


def mrkdwn(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn made readable in a terminal: names for mentions, labels for links."""
    names = names or {}
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or names.get(m.group(1), m.group(1))), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    # &amp; last, so "&amp;lt;" shows as "&lt;" as the author wrote it.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: Any, names: Mapping[str, str] | None = None) -> str:
    """The text of a Block Kit text object (plain_text or mrkdwn) or a bare string."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return mrkdwn(obj, names)
    raw = obj.get("text", "")
    return mrkdwn(raw, names) if obj.get("type") == "mrkdwn" else raw


def element(el: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """One interactive element as a person sees it: [Button], [Choose v], a date, an input."""
    kind = el.get("type", "")
    if kind in _SELECTS:
        return _select(el, names or {})
    shown = _ELEMENTS.get(kind)
    if shown is not None:
        return shown(el, names or {})
    return text_of(el, names) if "text" in el else f"[{kind}]"


def _select(el: Mapping[str, Any], names: Mapping[str, str]) -> str:
    chosen = el.get("initial_option")
    shown = text_of(chosen["text"], names) if chosen else text_of(el.get("placeholder"), names)
    if el.get("type") == "overflow":
        shown = "..."
    elif not shown and el.get("initial_user"):
        shown = "@" + names.get(el["initial_user"], el["initial_user"])
    return f"[{shown or 'choose'} v]"


def _options(el: Mapping[str, Any], names: Mapping[str, str]) -> str:
    return " ".join(f"[ ] {text_of(o['text'], names)}" for o in el.get("options", []))


_ELEMENTS: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], str]] = {
    "button": lambda el, names: f"[{text_of(el.get('text'), names)}]",
    "datepicker": lambda el, _: (
        f"[{el.get('initial_date') or text_of(el.get('placeholder')) or 'date'}]"
    ),
    "checkboxes": _options,
    "radio_buttons": _options,
    "plain_text_input": lambda el, _: (
        f"[{el.get('initial_value') or text_of(el.get('placeholder')) or '...'}]"
    ),
    "image": lambda _el, _names: "",
}


def block(b: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """One block as text lines."""
    kind = b.get("type", "")
    shown = _BLOCKS.get(kind)
    return shown(b, names or {}) if shown else [f"({kind})"]


def _section(b: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    lines = text_of(b.get("text"), names).splitlines() if b.get("text") else []
    lines += [text_of(f, names) for f in b.get("fields", [])]
    shown = element(b["accessory"], names) if b.get("accessory") else ""
    if shown and lines:
        lines[-1] = f"{lines[-1]}  {shown}"
    elif shown:
        lines.append(shown)
    return lines


def _elements(b: Mapping[str, Any], names: Mapping[str, str], sep: str) -> list[str]:
    parts = [element(e, names) for e in b.get("elements", [])]
    return sep.join(p for p in parts if p).splitlines()


def _input(b: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    optional = " (optional)" if b.get("optional") else ""
    return [f"{text_of(b.get('label'), names)}{optional}: {element(b.get('element', {}), names)}"]


_BLOCKS: dict[str, Callable[[Mapping[str, Any], Mapping[str, str]], list[str]]] = {
    "header": lambda b, names: [f"== {text_of(b.get('text'), names)} =="],
    "divider": lambda _b, _names: ["---"],
    "section": _section,
    "context": lambda b, names: _elements(b, names, "  "),
    "actions": lambda b, names: _elements(b, names, " "),
    "input": _input,
    "image": lambda b, _: [f"(image: {b.get('alt_text', '')})"],
    "rich_text": lambda b, names: _rich_text(b, names).splitlines(),
}


def blocks(
    items: list[Mapping[str, Any]] | None, names: Mapping[str, str] | None = None
) -> list[str]:
    """Every block of a message or view as text lines, in order."""
    return [line for b in items or [] for line in block(b, names)]


def message(msg: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """A message's blocks as text, or its fallback `text` when it has no blocks."""
    lines = blocks(msg.get("blocks"), names)
    return lines or mrkdwn(msg.get("text") or "", names).splitlines()


def view(v: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """A modal: its inputs, then its submit button."""
    lines = blocks(v.get("blocks"), names)
    if v.get("submit"):
        lines.append(f"[{text_of(v['submit'])}]")
    return lines


def key_line(lines: list[str], marker: str = "Stage:") -> str:
    """The first line containing `marker` (the review message's status line), else the first."""
    return next((line for line in lines if marker in line), lines[0] if lines else "")


def _rich_text(node: Mapping[str, Any], names: Mapping[str, str] | None) -> str:
    kind = node.get("type")
    if kind == "text":
        return node.get("text", "")
    if kind == "user":
        return "@" + (names or {}).get(node.get("user_id", ""), node.get("user_id", ""))
    if kind == "link":
        return node.get("text") or node.get("url", "")
    if kind == "emoji":
        return f":{node.get('name', '')}:"
    return "".join(_rich_text(child, names) for child in node.get("elements", []))
