from __future__ import annotations

from typing import Any

import pytest

from connectors.jira.simulator.adf import AdfError, adf_to_text, text_to_adf, validate_adf


def doc(*content: Any) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*inline: Any) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(inline)}


def text(value: str, *marks: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    if marks:
        node["marks"] = list(marks)
    return node


VALID = doc(
    {"type": "heading", "attrs": {"level": 2}, "content": [text("Title")]},
    para(
        text("bold", {"type": "strong"}),
        {"type": "hardBreak"},
        text("link", {"type": "link", "attrs": {"href": "https://x"}}),
    ),
    para(
        {"type": "mention", "attrs": {"id": "abc", "text": "@Alice"}},
        {"type": "emoji", "attrs": {"shortName": ":smile:"}},
    ),
    {"type": "bulletList", "content": [{"type": "listItem", "content": [para(text("item"))]}]},
    {"type": "orderedList", "content": [{"type": "listItem", "content": [para(text("one"))]}]},
    {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("print(1)")]},
    {"type": "blockquote", "content": [para(text("quoted"))]},
    {"type": "rule"},
    {"type": "panel", "attrs": {"panelType": "info"}, "content": [para(text("note"))]},
    {
        "type": "table",
        "content": [
            {
                "type": "tableRow",
                "content": [
                    {"type": "tableHeader", "content": [para(text("h"))]},
                    {"type": "tableCell", "content": [para(text("c"))]},
                ],
            }
        ],
    },
    {
        "type": "mediaSingle",
        "content": [{"type": "media", "attrs": {"id": "m1", "type": "file", "collection": ""}}],
    },
    para({"type": "inlineCard", "attrs": {"url": "https://example.com"}}),
    {
        "type": "taskList",
        "attrs": {"localId": "t"},
        "content": [
            {"type": "taskItem", "attrs": {"localId": "i", "state": "TODO"}, "content": [text("open task")]},
        ],
    },
    {"type": "expand", "attrs": {"title": "More"}, "content": [para(text("hidden"))]},
)


def test_full_document_is_valid() -> None:
    validate_adf(VALID)


@pytest.mark.parametrize(
    "bad",
    [
        "plain string",
        {"type": "doc", "content": []},
        {"type": "doc", "version": 2, "content": []},
        {"type": "paragraph", "version": 1, "content": []},
        {"type": "doc", "version": 1},
        doc(para(text(""))),
        doc(para({"type": "text"})),
        doc({"type": "blink", "content": []}),
        doc(text("text at top level")),
        doc({"type": "heading", "attrs": {"level": 7}, "content": [text("x")]}),
        doc(para({"type": "mention", "attrs": {}})),
        doc(para(text("x", {"type": "sparkle"}))),
        doc(para(text("x", {"type": "link", "attrs": {}}))),
        doc({"type": "bulletList", "content": [para(text("not a list item"))]}),
        doc({"type": "rule", "content": [text("x")]}),
    ],
)
def test_malformed_documents_are_rejected(bad: Any) -> None:
    with pytest.raises(AdfError):
        validate_adf(bad)


def test_text_round_trip() -> None:
    document = text_to_adf("first line\nsecond\n\nnext paragraph")
    validate_adf(document)
    assert adf_to_text(document) == "first line\nsecond\n\nnext paragraph"
