"""Block Kit checks: what Slack would refuse, judged with slack_sdk's own models."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
MAX_ID_LENGTH = 255
MAX_PRIVATE_METADATA = 3000
_ID_KEYS = ("action_id", "block_id", "callback_id")


def check_message(text: Any, blocks: Any) -> list[str]:
    """Problems with a message's text and blocks; empty when Slack would accept it."""
    problems: list[str] = []
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        problems.append(f"text is {len(text)} characters; the limit is {MAX_MESSAGE_TEXT}")
    if blocks is None:
        return problems
    if not isinstance(blocks, list):
        return [*problems, "blocks must be an array"]
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a message may have at most {MAX_MESSAGE_BLOCKS}")
    problems.extend(_id_lengths(blocks, "blocks"))
    problems.extend(_check_blocks(blocks))
    return problems


def check_view(view: Any) -> list[str]:
    """Problems with a modal or Home tab view; empty when Slack would accept it."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    problems: list[str] = []
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("view.blocks must be an array")
        blocks = []
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a view may have at most {MAX_VIEW_BLOCKS}")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > MAX_PRIVATE_METADATA:
        problems.append(
            f"private_metadata is {len(metadata)} characters; the limit is {MAX_PRIVATE_METADATA}"
        )
    problems.extend(_id_lengths(view, "view"))
    try:
        View(**view).validate_json()
    except Exception as exc:  # slack_sdk raises several types for malformed input
        problems.append(f"view: {exc}")
    problems.extend(_check_blocks(blocks))
    return _unique(problems)


def _check_blocks(blocks: list[Any]) -> list[str]:
    problems: list[str] = []
    for index, raw in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(raw, dict):
            problems.append(f"{where} must be an object")
            continue
        try:
            block = Block.parse(raw)
            if block is None:
                problems.append(f"{where}: unknown block type {raw.get('type')!r}")
                continue
            problems.extend(f"{where}: {p}" for p in _validate_tree(block))
        except Exception as exc:  # a malformed dict can fail inside the model constructors
            problems.append(f"{where}: {exc}")
    return problems


def _validate_tree(obj: JsonObject) -> Iterator[str]:
    # validate_json() only checks the object it is called on, so walk the children too.
    try:
        obj.validate_json()
    except Exception as exc:  # SlackObjectFormationError, or a TypeError on odd input
        yield f"{type(obj).__name__}: {exc}"
    for attribute in sorted(obj.attributes):
        yield from _validate_value(getattr(obj, attribute, None), attribute)


def _validate_value(value: Any, attribute: str) -> Iterator[str]:
    if isinstance(value, JsonObject):
        yield from _validate_tree(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if item is None:
                # slack_sdk parses unknown element types to None (with a warning).
                yield f"{attribute}: unknown element type"
            else:
                yield from _validate_value(item, attribute)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _validate_value(item, attribute)


def _id_lengths(node: Any, path: str) -> Iterator[str]:
    # Slack caps these ids at 255 even where slack_sdk's models do not check them.
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str) and len(value) > MAX_ID_LENGTH:
                yield f"{path}.{key} is {len(value)} characters; the limit is {MAX_ID_LENGTH}"
            yield from _id_lengths(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _id_lengths(item, f"{path}[{index}]")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
