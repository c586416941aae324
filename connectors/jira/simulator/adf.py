"""Atlassian Document Format: validation as Jira does it, and plain-text conversions.

Jira rejects a malformed document with 400; the validator returns the first problem found
(a path and a reason) so tests and logs can say what was wrong.
"""

from __future__ import annotations

from typing import Any

BLOCK_NODES = {
    "paragraph",
    "heading",
    "bulletList",
    "orderedList",
    "codeBlock",
    "blockquote",
    "rule",
    "table",
    "panel",
    "mediaSingle",
    "mediaGroup",
    "expand",
    "taskList",
    "decisionList",
    "blockCard",
    "embedCard",
    "layoutSection",
    "extension",
    "bodiedExtension",
}
CHILD_NODES = {
    "listItem",
    "tableRow",
    "tableHeader",
    "tableCell",
    "media",
    "taskItem",
    "decisionItem",
    "layoutColumn",
    "nestedExpand",
}
INLINE_NODES = {
    "text",
    "hardBreak",
    "mention",
    "inlineCard",
    "emoji",
    "date",
    "status",
    "mediaInline",
    "placeholder",
    "inlineExtension",
}
KNOWN_NODES = BLOCK_NODES | CHILD_NODES | INLINE_NODES
KNOWN_MARKS = {"strong", "em", "code", "link", "strike", "underline", "textColor", "subsup"}
ALLOWED_CHILDREN: dict[str, set[str]] = {
    "doc": BLOCK_NODES,
    "paragraph": INLINE_NODES,
    "heading": INLINE_NODES,
    "codeBlock": {"text"},
    "bulletList": {"listItem"},
    "orderedList": {"listItem"},
    "listItem": BLOCK_NODES,
    "blockquote": BLOCK_NODES,
    "panel": BLOCK_NODES,
    "expand": BLOCK_NODES,
    "table": {"tableRow"},
    "tableRow": {"tableHeader", "tableCell"},
    "tableHeader": BLOCK_NODES | {"nestedExpand"},
    "tableCell": BLOCK_NODES | {"nestedExpand"},
    "mediaSingle": {"media"},
    "mediaGroup": {"media"},
    "taskList": {"taskItem", "taskList"},
    "taskItem": INLINE_NODES,
    "decisionList": {"decisionItem"},
    "decisionItem": INLINE_NODES,
    "layoutSection": {"layoutColumn"},
    "layoutColumn": BLOCK_NODES,
    "nestedExpand": BLOCK_NODES - {"expand", "table"},
    "bodiedExtension": BLOCK_NODES,
}


class AdfError(ValueError):
    """The document is not valid ADF; the message names the offending node path."""


def validate_adf(doc: Any) -> None:
    """Raise AdfError unless ``doc`` is a well-formed ADF document."""
    if not isinstance(doc, dict):
        raise AdfError("document must be a JSON object")
    if doc.get("type") != "doc":
        raise AdfError("root node must have type 'doc'")
    if doc.get("version") != 1:
        raise AdfError("root node must have version 1")
    _check_children(doc, "doc", "doc")


def _check_children(node: dict[str, Any], node_type: str, path: str) -> None:
    content = node.get("content")
    if content is None and node_type not in ("doc", "listItem", "tableRow", "bulletList", "orderedList"):
        return
    if not isinstance(content, list):
        raise AdfError(f"{path}: 'content' must be a list")
    allowed = ALLOWED_CHILDREN.get(node_type, set())
    for index, child in enumerate(content):
        child_path = f"{path}.content[{index}]"
        _check_node(child, child_path)
        if child["type"] not in allowed:
            raise AdfError(f"{child_path}: '{child['type']}' is not allowed inside '{node_type}'")


def _check_node(node: Any, path: str) -> None:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        raise AdfError(f"{path}: node must be an object with a 'type'")
    node_type = node["type"]
    if node_type not in KNOWN_NODES:
        raise AdfError(f"{path}: unknown node type '{node_type}'")
    attrs = node.get("attrs", {})
    if not isinstance(attrs, dict):
        raise AdfError(f"{path}: 'attrs' must be an object")
    if node_type == "text":
        _check_text(node, path)
    elif node_type == "heading" and attrs.get("level") not in (1, 2, 3, 4, 5, 6):
        raise AdfError(f"{path}: heading needs attrs.level between 1 and 6")
    elif node_type == "mention" and not isinstance(attrs.get("id"), str):
        raise AdfError(f"{path}: mention needs attrs.id")
    elif node_type == "inlineCard" and not isinstance(attrs.get("url"), str) and "data" not in attrs:
        raise AdfError(f"{path}: inlineCard needs attrs.url")
    elif node_type == "emoji" and not isinstance(attrs.get("shortName"), str):
        raise AdfError(f"{path}: emoji needs attrs.shortName")
    elif node_type in ("media", "mediaInline") and not isinstance(attrs.get("id") or attrs.get("url"), str):
        raise AdfError(f"{path}: media needs attrs.id")
    if node_type in ALLOWED_CHILDREN:
        _check_children(node, node_type, path)
    elif "content" in node:
        raise AdfError(f"{path}: '{node_type}' cannot have content")


def _check_text(node: dict[str, Any], path: str) -> None:
    text = node.get("text")
    if not isinstance(text, str) or not text:
        raise AdfError(f"{path}: text node needs a non-empty 'text'")
    marks = node.get("marks", [])
    if not isinstance(marks, list):
        raise AdfError(f"{path}: 'marks' must be a list")
    for mark in marks:
        if not isinstance(mark, dict) or mark.get("type") not in KNOWN_MARKS:
            raise AdfError(f"{path}: unknown mark {mark!r}")
        if mark["type"] == "link" and not isinstance((mark.get("attrs") or {}).get("href"), str):
            raise AdfError(f"{path}: link mark needs attrs.href")


def text_to_adf(text: str) -> dict[str, Any]:
    """A document of one paragraph per blank-line separated block (v2 bodies, helpers)."""
    paragraphs: list[dict[str, Any]] = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        inline: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            if index:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        paragraphs.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": paragraphs}


def adf_to_text(node: Any) -> str:
    """Plain text of a document: paragraphs separated by blank lines (JQL ~ and v2 bodies)."""
    if not isinstance(node, dict):
        return ""
    node_type = node.get("type")
    if node_type == "text":
        return str(node.get("text", ""))
    if node_type == "hardBreak":
        return "\n"
    if node_type == "mention":
        return str((node.get("attrs") or {}).get("text", ""))
    if node_type == "inlineCard":
        return str((node.get("attrs") or {}).get("url", ""))
    parts = [adf_to_text(child) for child in node.get("content") or []]
    if node_type in ("doc", "listItem", "blockquote", "panel", "bulletList", "orderedList", "tableCell"):
        return "\n\n".join(part for part in parts if part) if node_type == "doc" else "\n".join(parts)
    return "".join(parts)


def coerce_body(value: Any, *, v2: bool) -> dict[str, Any]:
    """The ADF a request meant: v2 sends plain text; v3 must send valid ADF (AdfError otherwise)."""
    if v2 and isinstance(value, str):
        return text_to_adf(value)
    validate_adf(value)
    assert isinstance(value, dict)
    return value
