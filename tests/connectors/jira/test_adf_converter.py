"""The ADF <-> Markdown converter: round trips for every supported node, degradation for the rest."""

from __future__ import annotations

import random
from typing import Any

import pytest

from connectors.jira.adf import adf_to_markdown, markdown_to_adf


def doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def text(value: str, *marks: str, href: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": value}
    mark_list: list[dict[str, Any]] = [{"type": m} for m in marks]
    if href is not None:
        mark_list.insert(0, {"type": "link", "attrs": {"href": href}})
    if mark_list:
        node["marks"] = mark_list
    return node


def normalized(node: Any) -> Any:
    """Marks compared as a set (their order carries no meaning in ADF)."""
    if isinstance(node, list):
        return [normalized(child) for child in node]
    if isinstance(node, dict):
        result = {key: normalized(value) for key, value in node.items()}
        if "marks" in result:
            result["marks"] = sorted(result["marks"], key=lambda m: m["type"])
        return result
    return node


CANONICAL_MARKDOWN = [
    "Just a paragraph.",
    "First paragraph.\n\nSecond paragraph.",
    "line one\nline two\nline three",
    "# H1\n\n## H2\n\n###### H6",
    "Some **bold**, *italic*, ~~struck~~ and `inline code` text.",
    "Mixed **bold _and italic_** end.",
    "Adjacent **bold**_italic_ and *em*phasis inside a word.",
    "A [link](https://example.com/path?q=1) and <https://auto.example.com>.",
    "A [**bold link**](https://example.com) here.",
    "- one\n- two\n- three",
    "1. first\n2. second\n3. third",
    "5. five\n6. six",
    "- outer\n  - inner\n    - innermost\n- back",
    "1. step\n   - detail\n   - detail two\n2. next",
    "- item with two paragraphs\n\n  second paragraph of the item\n- other",
    "```python\ndef f(x):\n    return x * 2\n```",
    "```\nplain code\n```",
    "> quoted text\n> on two lines",
    "> quote\n>\n> - with a list",
    "above\n\n---\n\nbelow",
    "| Name | Value |\n| --- | --- |\n| a | 1 |\n| **b** | `x\\|y` |",
    "Hi @[Alice Smith](accountid:5b10a2844c20165700ede21g), see :smile: and :partyparrot:",
    "Escapes: 2 \\* 3, \\[not a link\\](x), \\`tick\\`, a_b\\_ and snake_case_name",
    "\\# not a heading\n\\- not a list\n1\\. not ordered\n\\> not a quote",
]


@pytest.mark.parametrize("markdown", CANONICAL_MARKDOWN)
def test_markdown_round_trip_is_stable(markdown: str) -> None:
    adf = markdown_to_adf(markdown)
    assert adf_to_markdown(adf) == markdown
    assert markdown_to_adf(adf_to_markdown(adf)) == adf


ADF_DOCUMENTS = [
    doc(para(text("plain"))),
    doc(para(text("a"), {"type": "hardBreak"}, text("b"))),
    doc(para(text("a"), {"type": "hardBreak"}, {"type": "hardBreak"}, text("b"))),
    doc({"type": "heading", "attrs": {"level": 3}, "content": [text("Title")]}),
    doc(para(text("x "), text("bold", "strong"), text(" "), text("both", "strong", "em"), text(" end"))),
    doc(para(text("strike", "strike"), text(" and "), text("code", "code"))),
    doc(
        para(
            text("click", "strong", href="https://example.com/a(b)"),
            text(" here", href="https://example.com/a(b)"),
        )
    ),
    doc(para(text("https://example.com", href="https://example.com"))),
    doc(
        {
            "type": "bulletList",
            "content": [
                {
                    "type": "listItem",
                    "content": [
                        para(text("a")),
                        {
                            "type": "orderedList",
                            "attrs": {"order": 1},
                            "content": [{"type": "listItem", "content": [para(text("a.1"))]}],
                        },
                    ],
                },
                {"type": "listItem", "content": [para(text("b"))]},
            ],
        }
    ),
    doc({"type": "codeBlock", "attrs": {"language": "sql"}, "content": [text("SELECT *\nFROM t -- ```")]}),
    doc({"type": "blockquote", "content": [para(text("quoted", "em"))]}),
    doc(para(text("before")), {"type": "rule"}, para(text("after"))),
    doc(
        {
            "type": "table",
            "content": [
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableHeader", "attrs": {}, "content": [para(text("H1"))]},
                        {"type": "tableHeader", "attrs": {}, "content": [para(text("H|2"))]},
                    ],
                },
                {
                    "type": "tableRow",
                    "content": [
                        {"type": "tableCell", "attrs": {}, "content": [para(text("x", "strong"))]},
                        {
                            "type": "tableCell",
                            "attrs": {},
                            "content": [para(text("y"), {"type": "hardBreak"}, text("z"))],
                        },
                    ],
                },
            ],
        }
    ),
    doc(para({"type": "mention", "attrs": {"id": "abc-123", "text": "@Bob [Ops]"}}, text(" ping"))),
    doc(para({"type": "emoji", "attrs": {"shortName": ":tada:", "text": "🎉"}})),
    doc(para(text("literal *stars* _under_ [brackets] `ticks` :smile: <tag>"))),
]


@pytest.mark.parametrize("adf", ADF_DOCUMENTS)
def test_adf_round_trip_is_equal(adf: dict[str, Any]) -> None:
    markdown = adf_to_markdown(adf)
    assert normalized(markdown_to_adf(markdown)) == normalized(adf), markdown


def test_markdown_produces_expected_adf_structure() -> None:
    adf = markdown_to_adf("## Hi **there**\n\n- a\n  1. b")
    assert adf == doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Hi "), text("there", "strong")]},
        {
            "type": "bulletList",
            "content": [
                {
                    "type": "listItem",
                    "content": [
                        para(text("a")),
                        {
                            "type": "orderedList",
                            "attrs": {"order": 1},
                            "content": [{"type": "listItem", "content": [para(text("b"))]}],
                        },
                    ],
                }
            ],
        },
    )


def test_mention_and_emoji_nodes() -> None:
    adf = markdown_to_adf("@[Carol](accountid:557058:c0ffee) :thumbsup:")
    assert adf["content"][0]["content"] == [
        {"type": "mention", "attrs": {"id": "557058:c0ffee", "text": "@Carol"}},
        text(" "),
        {"type": "emoji", "attrs": {"shortName": ":thumbsup:", "text": "👍"}},
    ]


def test_code_block_language_and_content_kept_verbatim() -> None:
    adf = markdown_to_adf("~~~js\nconst a = `**not bold**`;\n~~~")
    assert adf["content"] == [
        {"type": "codeBlock", "attrs": {"language": "js"}, "content": [text("const a = `**not bold**`;")]}
    ]


def test_input_variants_are_accepted() -> None:
    adf = markdown_to_adf("a  \nb\\\nc<br>d __strong__ _em_ * bullet")
    content = adf["content"][0]["content"]
    assert [n["type"] for n in content].count("hardBreak") == 3
    assert text("strong", "strong") in content
    assert text("em", "em") in content


def test_common_markdown_emphasis_forms_are_read() -> None:
    adf = markdown_to_adf("***both*** and **bold *nested*** and *a **b***")
    assert normalized(adf["content"][0]["content"]) == normalized(
        [
            text("both", "strong", "em"),
            text(" and "),
            text("bold ", "strong"),
            text("nested", "strong", "em"),
            text(" and "),
            text("a ", "em"),
            text("b", "em", "strong"),
        ]
    )


WORDS = ["alpha", "x_y", "a*b", "[br]", "`t`", "#h", "1.", "-", "a  b", "<p>", ":smile:", "|", "(x)", "2 * 3"]


def random_inline(rng: random.Random) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.1:
            nodes.append({"type": "hardBreak"})
        elif roll < 0.15:
            nodes.append({"type": "mention", "attrs": {"id": "acc-1", "text": "@Ann B"}})
        else:
            marks = [m for m in ("strong", "em", "strike", "code") if rng.random() < 0.25]
            value = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
            href = "https://e.x/" + rng.choice(["a", "b(c)"]) if rng.random() < 0.15 else None
            nodes.append(text(value, *(["code"] if "code" in marks else marks), href=href))
    return nodes


def random_block(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.4 or depth > 1:
        return para(*random_inline(rng))
    if roll < 0.5:
        return {"type": "heading", "attrs": {"level": rng.randint(1, 6)}, "content": random_inline(rng)[:1]}
    if roll < 0.7:
        items: list[dict[str, Any]] = [
            {"type": "listItem", "content": [para(*random_inline(rng))]} for _ in range(rng.randint(1, 3))
        ]
        if rng.random() < 0.5:
            nested = [{"type": "listItem", "content": [para(*random_inline(rng))]}]
            items[0]["content"].append({"type": "bulletList", "content": nested})
        return {"type": "orderedList", "attrs": {"order": 1}, "content": items}
    if roll < 0.8:
        return {"type": "blockquote", "content": [para(*random_inline(rng))]}
    if roll < 0.9:
        return {"type": "codeBlock", "attrs": {"language": "py"}, "content": [text("x = 1\n  y ```")]}
    cells = [{"type": "tableHeader", "attrs": {}, "content": [para(*random_inline(rng))]} for _ in range(2)]
    return {"type": "table", "content": [{"type": "tableRow", "content": cells}]}


@pytest.mark.parametrize("seed", range(300))
def test_random_documents_reach_a_fixed_point(seed: int) -> None:
    rng = random.Random(seed)
    adf = doc(*(random_block(rng) for _ in range(rng.randint(1, 3))))
    once = markdown_to_adf(adf_to_markdown(adf))
    assert normalized(markdown_to_adf(adf_to_markdown(once))) == normalized(once)


def test_intraword_underscores_and_times_are_not_markup() -> None:
    adf = markdown_to_adf("snake_case_name at 10:30:00")
    assert adf["content"] == [para(text("snake_case_name at 10:30:00"))]


def test_unknown_and_degraded_nodes_keep_their_text() -> None:
    adf = doc(
        {"type": "panel", "attrs": {"panelType": "info"}, "content": [para(text("panel text"))]},
        {
            "type": "taskList",
            "content": [
                {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [text("done task")]},
                {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [text("open task")]},
            ],
        },
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "m1", "alt": "shot.png"}}]},
        para(
            {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
            text(" "),
            {"type": "date", "attrs": {"timestamp": "1700000000000"}},
            text(" "),
            {"type": "inlineCard", "attrs": {"url": "https://card.example"}},
            text(" "),
            text("under", "underline"),
        ),
        {"type": "futureBlock", "content": [para(text("future content"))]},
        {"type": "futureInlineContainer", "content": [text("inline future")]},
    )
    markdown = adf_to_markdown(adf)
    for fragment in (
        "> panel text",
        "- [x] done task",
        "- [ ] open task",
        "attachment: shot.png",
        "IN REVIEW",
        "2023-11-14",
        "<https://card.example>",
        "under",
        "future content",
        "inline future",
    ):
        assert fragment in markdown


def test_empty_inputs() -> None:
    assert adf_to_markdown(None) == ""
    assert adf_to_markdown(doc()) == ""
    assert adf_to_markdown("plain v2 string") == "plain v2 string"
    assert markdown_to_adf("") == doc()
    assert markdown_to_adf("  \n\n") == doc()


def test_list_item_blocks_are_sanitized_for_adf() -> None:
    adf = markdown_to_adf("- # heading in item\n\n  > quote in item")
    item = adf["content"][0]["content"][0]
    assert [block["type"] for block in item["content"]] == ["paragraph", "paragraph"]
    assert adf_to_markdown(adf) == "- heading in item\n\n  quote in item"


def test_unclosed_markup_is_literal() -> None:
    adf = markdown_to_adf("a **b and `c and [d")
    assert adf["content"] == [para(text("a **b and `c and [d"))]
    assert markdown_to_adf(adf_to_markdown(adf)) == adf


def test_whitespace_at_mark_edges_moves_outside_the_marks() -> None:
    # Markdown cannot open or close emphasis next to a space: the space leaves the mark.
    adf = doc(para(text("a"), text(" bold ", "strong"), text("b")))
    assert adf_to_markdown(adf) == "a **bold** b"
    assert markdown_to_adf("a **bold** b") == doc(para(text("a "), text("bold", "strong"), text(" b")))
