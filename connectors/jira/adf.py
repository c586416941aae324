"""Atlassian Document Format (ADF) <-> Markdown, both ways, without a markdown library.

Jira Cloud REST v3 speaks ADF for descriptions and comments; the normalized model speaks
Markdown (GitHub-flavoured subset). The converter is deliberately small and predictable:

Supported both ways (``adf -> md -> adf`` is equal, ``md -> adf -> md`` is stable):
paragraphs; hard breaks (a single newline inside a paragraph; ``\\`` + newline, two trailing
spaces and ``<br>`` are accepted on input); ATX headings ``#``..``######``; ``**strong**``,
``_em_`` (``*em*`` accepted), ``~~strike~~``, ```code```; links ``[text](url)`` and
``<https://autolink>``; bullet (``-``, ``*``, ``+``) and ordered (``1.``/``1)``) lists, nested
by indentation; fenced code blocks with a language; blockquotes; rules (``---``); GFM pipe
tables (the first row is the header row); emoji ``:shortname:``; mentions written
``@[Display Name](accountid:ACCOUNT_ID)``.

Degraded to text, content kept (ADF -> Markdown only): panels and expands (as blockquotes and
paragraphs), task and decision lists (``- [ ]`` / ``- [x]`` items), media (``[attachment: name]``),
inline cards (autolinks), status lozenges and dates (their text), any unknown node (its
children, or its ``text``/``url`` attribute). Marks Markdown cannot express (underline, colour,
sub/superscript) are dropped, their text kept. Not supported on input: setext headings,
indented code blocks, HTML other than ``<br>``, reference links, images.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Node = dict[str, Any]
Mark = dict[str, Any]

_ESCAPABLE = set("\\`*_{}[]()#+-.!|~<>:@\"'")
_EMOJI_RE = re.compile(r":([a-z][a-z0-9_+\-]*):")
_AUTOLINK_RE = re.compile(r"<((?:https?|mailto|ftp):[^\s<>]+)>", re.IGNORECASE)
_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
_FENCE_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$")
_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE_RE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE_RE = re.compile(r"^ {0,3}> ?")
_LIST_RE = re.compile(r"^( {0,3})([-+*]|\d{1,9}[.)])([ \t]+|$)")
_TABLE_SEP_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_LINE_START_RE = re.compile(r"^([#>+\-|]|\d+[.)](?=\s|$))")

# A few common shortnames carry their Unicode text (Jira stores both); others keep only the name.
EMOJI_TEXT: dict[str, str] = {
    "smile": "😄",
    "smiley": "😃",
    "grinning": "😀",
    "laughing": "😆",
    "wink": "😉",
    "slight_smile": "🙂",
    "slightly_smiling_face": "🙂",
    "disappointed": "😞",
    "cry": "😢",
    "joy": "😂",
    "heart": "❤️",
    "thumbsup": "👍",
    "+1": "👍",
    "thumbsdown": "👎",
    "-1": "👎",
    "tada": "🎉",
    "rocket": "🚀",
    "fire": "🔥",
    "warning": "⚠️",
    "white_check_mark": "✅",
    "x": "❌",
    "eyes": "👀",
    "thinking": "🤔",
    "pray": "🙏",
    "clap": "👏",
    "bug": "🐛",
    "star": "⭐",
    "bulb": "💡",
    "100": "💯",
}

# Nesting order when writing marks: the outermost first. Code is written as an atomic span.
_MARK_RANK = {"link": 0, "strong": 1, "em": 2, "strike": 3}
_INLINE_TYPES = {
    "text",
    "hardBreak",
    "mention",
    "emoji",
    "inlineCard",
    "status",
    "date",
    "placeholder",
    "inlineExtension",
    "mediaInline",
}
_LIST_ITEM_BLOCKS = {"paragraph", "bulletList", "orderedList", "codeBlock"}
_QUOTE_BLOCKS = {"paragraph", "bulletList", "orderedList", "codeBlock"}


# ============================================================================ Markdown -> ADF


def markdown_to_adf(text: str) -> Node:
    """The ADF document for ``text`` (Markdown); an empty text gives an empty document."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    return {"type": "doc", "version": 1, "content": _parse_blocks(lines)}


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_blank(line: str) -> bool:
    return not line.strip()


def _starts_table(lines: Sequence[str], i: int) -> bool:
    return (
        "|" in lines[i]
        and i + 1 < len(lines)
        and bool(_TABLE_SEP_RE.match(lines[i + 1]))
        and len(_split_row(lines[i + 1])) == len(_split_row(lines[i]))
    )


def _starts_block(lines: Sequence[str], i: int) -> bool:
    line = lines[i]
    return bool(
        _FENCE_RE.match(line)
        or _HEADING_RE.match(line)
        or _RULE_RE.match(line)
        or _QUOTE_RE.match(line)
        or _LIST_RE.match(line)
        or _starts_table(lines, i)
    )


def _parse_blocks(lines: Sequence[str]) -> list[Node]:
    blocks: list[Node] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_blank(line):
            i += 1
        elif _FENCE_RE.match(line):
            i = _parse_code_block(lines, i, blocks)
        elif heading := _HEADING_RE.match(line):
            blocks.append(_heading(len(heading.group(1)), heading.group(2) or ""))
            i += 1
        elif _RULE_RE.match(line):
            blocks.append({"type": "rule"})
            i += 1
        elif _QUOTE_RE.match(line):
            i = _parse_blockquote(lines, i, blocks)
        elif _LIST_RE.match(line):
            i = _parse_list(lines, i, blocks)
        elif _starts_table(lines, i):
            i = _parse_table(lines, i, blocks)
        else:
            i = _parse_paragraph(lines, i, blocks)
    return blocks


def _heading(level: int, text: str) -> Node:
    node: Node = {"type": "heading", "attrs": {"level": level}}
    content = parse_inline(text.strip())
    if content:
        node["content"] = content
    return node


def _parse_code_block(lines: Sequence[str], i: int, blocks: list[Node]) -> int:
    match = _FENCE_RE.match(lines[i])
    assert match is not None
    indent, fence, language = len(match.group(1)), match.group(2), match.group(3)
    closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    body: list[str] = []
    i += 1
    while i < len(lines) and not closing.match(lines[i]):
        line = lines[i]
        body.append(line[min(indent, _indent_of(line)) :])
        i += 1
    node: Node = {"type": "codeBlock"}
    if language:
        node["attrs"] = {"language": language}
    code = "\n".join(body)
    node["content"] = [{"type": "text", "text": code}] if code else []
    blocks.append(node)
    return i + 1


def _parse_blockquote(lines: Sequence[str], i: int, blocks: list[Node]) -> int:
    inner: list[str] = []
    while i < len(lines) and (match := _QUOTE_RE.match(lines[i])):
        inner.append(lines[i][match.end() :])
        i += 1
    content = _sanitize(_parse_blocks(inner), _QUOTE_BLOCKS)
    blocks.append({"type": "blockquote", "content": content or [_paragraph([])]})
    return i


def _list_marker(line: str) -> tuple[bool, int, int] | None:
    """(ordered, number, content offset) when ``line`` starts a list item."""
    match = _LIST_RE.match(line)
    if match is None:
        return None
    indent, marker, spacing = match.groups()
    ordered = marker[0].isdigit()
    number = int(marker[:-1]) if ordered else 0
    offset = len(indent) + len(marker) + (len(spacing) if 0 < len(spacing) <= 4 else 1)
    return ordered, number, offset


def _parse_list(lines: Sequence[str], i: int, blocks: list[Node]) -> int:
    first = _list_marker(lines[i])
    assert first is not None
    ordered, start = first[0], first[1]
    items: list[Node] = []
    while i < len(lines):
        marker = _list_marker(lines[i])
        if marker is None or marker[0] != ordered:
            break
        offset = marker[2]
        item_lines = [lines[i][offset:]]
        i += 1
        while i < len(lines):
            line = lines[i]
            if _is_blank(line):
                following = next((k for k in range(i, len(lines)) if not _is_blank(lines[k])), None)
                if following is None or _indent_of(lines[following]) < offset:
                    break
                item_lines.append("")
            elif _indent_of(line) >= offset:
                item_lines.append(line[offset:])
            else:
                break
            i += 1
        items.append(_list_item(_parse_blocks(item_lines)))
        following = next((k for k in range(i, len(lines)) if not _is_blank(lines[k])), None)
        if following is None or _list_marker(lines[following]) is None:
            break
        i = following
    node: Node = {"type": "orderedList" if ordered else "bulletList", "content": items}
    if ordered:
        node["attrs"] = {"order": start}
    blocks.append(node)
    return i


def _list_item(content: list[Node]) -> Node:
    content = _sanitize(content, _LIST_ITEM_BLOCKS)
    if not content or content[0]["type"] != "paragraph":
        # ADF wants a list item to open with a paragraph.
        content.insert(0, _paragraph([]))
    return {"type": "listItem", "content": content}


def _sanitize(blocks: list[Node], allowed: set[str]) -> list[Node]:
    """Keep only the block types ``allowed`` in this container, degrading the others."""
    result: list[Node] = []
    for block in blocks:
        kind = block["type"]
        if kind in allowed:
            result.append(block)
        elif kind == "heading":
            result.append(_paragraph(block.get("content", [])))
        elif kind == "rule":
            result.append(_paragraph([{"type": "text", "text": "---"}]))
        elif kind == "table":
            for row in block.get("content", []):
                cells = [c.get("content", []) for c in row.get("content", [])]
                texts = [_plain_text(cell) for cell in cells]
                result.append(_paragraph([{"type": "text", "text": " | ".join(texts)}]))
        else:
            result.extend(_sanitize(block.get("content", []), allowed))
    return result


def _paragraph(content: list[Node]) -> Node:
    return {"type": "paragraph", "content": content}


def _parse_paragraph(lines: Sequence[str], i: int, blocks: list[Node]) -> int:
    collected = [lines[i].strip()]
    i += 1
    while i < len(lines) and not _is_blank(lines[i]) and not _starts_block(lines, i):
        collected.append(lines[i].strip())
        i += 1
    blocks.append(_paragraph(parse_inline("\n".join(collected))))
    return i


def _split_row(line: str) -> list[str]:
    row = line.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    cells = re.split(r"(?<!\\)\|", row)
    return [cell.strip().replace("\\|", "|") for cell in cells]


def _parse_table(lines: Sequence[str], i: int, blocks: list[Node]) -> int:
    header = _split_row(lines[i])
    width = len(header)
    rows = [_table_row(header, "tableHeader", width)]
    i += 2
    while i < len(lines) and not _is_blank(lines[i]) and "|" in lines[i]:
        rows.append(_table_row(_split_row(lines[i]), "tableCell", width))
        i += 1
    blocks.append({"type": "table", "content": rows})
    return i


def _table_row(cells: list[str], cell_type: str, width: int) -> Node:
    cells = (cells + [""] * width)[:width]
    return {
        "type": "tableRow",
        "content": [
            {"type": cell_type, "attrs": {}, "content": [_paragraph(parse_inline(cell))]} for cell in cells
        ],
    }


# ---------------------------------------------------------------------------- inline parsing


def parse_inline(text: str) -> list[Node]:
    """The ADF inline nodes for one paragraph's Markdown (newlines are hard breaks)."""
    return _InlineParser(text).parse(())


def _same_marks(a: Node, marks: Sequence[Mark]) -> bool:
    return a.get("type") == "text" and list(a.get("marks", [])) == list(marks)


class _InlineParser:
    def __init__(self, text: str) -> None:
        self.text = text

    def parse(self, marks: tuple[Mark, ...], start: int = 0, end: int | None = None) -> list[Node]:
        nodes: list[Node] = []
        buffer: list[str] = []
        text = self.text
        stop = len(text) if end is None else end
        i = start

        def flush() -> None:
            if buffer:
                _append_text(nodes, "".join(buffer), marks)
                buffer.clear()

        while i < stop:
            char = text[i]
            if char == "\\" and i + 1 < stop and text[i + 1] == "\n":
                flush()
                nodes.append({"type": "hardBreak"})
                i += 2
            elif char == "\\" and i + 1 < stop and text[i + 1] in _ESCAPABLE:
                buffer.append(text[i + 1])
                i += 2
            elif char == "\n":
                while buffer and buffer[-1] == " ":
                    buffer.pop()
                flush()
                nodes.append({"type": "hardBreak"})
                i += 1
            elif (parsed := self._special(i, stop, marks)) is not None:
                flush()
                new_nodes, i = parsed
                for node in new_nodes:
                    if node.get("type") == "text":
                        _append_text(nodes, node["text"], node.get("marks", ()))
                    else:
                        nodes.append(node)
            else:
                buffer.append(char)
                i += 1
        flush()
        return nodes

    def _special(self, i: int, stop: int, marks: tuple[Mark, ...]) -> tuple[list[Node], int] | None:
        text = self.text
        char = text[i]
        if char == "`":
            return self._code_span(i, stop, marks)
        if char == "@" and text.startswith("@[", i):
            return self._mention(i, stop)
        if char == "[":
            return self._link(i, stop, marks)
        if char == "<":
            return self._angle(i, stop, marks)
        if char == ":":
            return self._emoji(i, stop)
        if text.startswith("**", i) or text.startswith("__", i) or text.startswith("~~", i):
            return self._emphasis(i, stop, marks, text[i : i + 2])
        if char in "*_":
            return self._emphasis(i, stop, marks, char)
        return None

    def _run_length(self, i: int, stop: int, char: str) -> int:
        j = i
        while j < stop and self.text[j] == char:
            j += 1
        return j - i

    def _code_span(self, i: int, stop: int, marks: tuple[Mark, ...]) -> tuple[list[Node], int] | None:
        size = self._run_length(i, stop, "`")
        j = i + size
        while j < stop:
            if self.text[j] == "`":
                run = self._run_length(j, stop, "`")
                if run == size:
                    code = self.text[i + size : j].replace("\n", " ")
                    if len(code) > 2 and code[0] == " " and code[-1] == " " and code.strip():
                        code = code[1:-1]
                    kept = tuple(m for m in marks if m["type"] == "link")
                    return [{"type": "text", "text": code, "marks": [*kept, {"type": "code"}]}], j + size
                j += run
            else:
                j += 1
        return [{"type": "text", "text": "`" * size, "marks": list(marks)}], i + size

    def _closing_bracket(self, i: int, stop: int) -> int | None:
        depth = 0
        j = i
        while j < stop:
            char = self.text[j]
            if char == "\\":
                j += 2
                continue
            if char == "`":
                size = self._run_length(j, stop, "`")
                close = self.text.find("`" * size, j + size)
                j = close + size if close != -1 and close < stop else j + size
                continue
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
                if depth == 0:
                    return j
            j += 1
        return None

    def _destination(self, i: int, stop: int) -> tuple[str, int] | None:
        """The link target in ``(url)`` or ``(<url>)`` starting at ``i``; its end."""
        text = self.text
        if i >= stop or text[i] != "(":
            return None
        if text.startswith("(<", i):
            close = text.find(">)", i)
            if close == -1 or close >= stop:
                return None
            return text[i + 2 : close], close + 2
        depth = 0
        j = i
        while j < stop:
            char = text[j]
            if char == "\\" and j + 1 < stop:
                j += 2
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    url = re.sub(r"\\(.)", r"\1", text[i + 1 : j]).strip()
                    return (url, j + 1) if " " not in url and "\n" not in url else None
            j += 1
        return None

    def _link(self, i: int, stop: int, marks: tuple[Mark, ...]) -> tuple[list[Node], int] | None:
        close = self._closing_bracket(i, stop)
        if close is None:
            return None
        target = self._destination(close + 1, stop)
        if target is None or close == i + 1:
            return None
        url, end = target
        link = {"type": "link", "attrs": {"href": url}}
        outer = tuple(m for m in marks if m["type"] != "link")
        return self.parse((link, *outer), i + 1, close), end

    def _mention(self, i: int, stop: int) -> tuple[list[Node], int] | None:
        close = self._closing_bracket(i + 1, stop)
        if close is None:
            return None
        target = self._destination(close + 1, stop)
        if target is None or not target[0].startswith("accountid:"):
            return None
        name = re.sub(r"\\(.)", r"\1", self.text[i + 2 : close])
        account_id = target[0][len("accountid:") :]
        return [{"type": "mention", "attrs": {"id": account_id, "text": f"@{name}"}}], target[1]

    def _angle(self, i: int, stop: int, marks: tuple[Mark, ...]) -> tuple[list[Node], int] | None:
        if br := _BR_RE.match(self.text, i, stop):
            return [{"type": "hardBreak"}], br.end()
        auto = _AUTOLINK_RE.match(self.text, i, stop)
        if auto is None:
            return None
        url = auto.group(1)
        outer = [m for m in marks if m["type"] != "link"]
        return [
            {"type": "text", "text": url, "marks": [{"type": "link", "attrs": {"href": url}}, *outer]}
        ], auto.end()

    def _emoji(self, i: int, stop: int) -> tuple[list[Node], int] | None:
        match = _EMOJI_RE.match(self.text, i, stop)
        if match is None:
            return None
        return [emoji_node(match.group(1))], match.end()

    def _emphasis(
        self, i: int, stop: int, marks: tuple[Mark, ...], delimiter: str
    ) -> tuple[list[Node], int] | None:
        text = self.text
        size = len(delimiter)
        after = i + size
        if after >= stop or text[after].isspace():
            return None
        intraword = delimiter[0] == "_"
        if intraword and i > 0 and text[i - 1].isalnum():
            return None
        close = self._find_closer(after, stop, delimiter)
        if close is None:
            return None
        mark_type = {"**": "strong", "__": "strong", "~~": "strike", "*": "em", "_": "em"}[delimiter]
        inner = (*marks, {"type": mark_type})
        return self.parse(inner, after, close), close + size

    def _find_closer(self, j: int, stop: int, delimiter: str) -> int | None:
        text = self.text
        char, size = delimiter[0], len(delimiter)
        first = j
        while j < stop:
            current = text[j]
            if current == "\\":
                j += 2
                continue
            if current == "`":
                run = self._run_length(j, stop, "`")
                close = text.find("`" * run, j + run)
                j = close + run if close != -1 and close < stop else j + run
                continue
            if current == char:
                run = self._run_length(j, stop, char)
                last = j + run - size  # the closer sits at the end of a longer run (``***``)
                closes = (
                    run >= size
                    and (size == 2 or run % 2 == 1)
                    and last > first
                    and not text[last - 1].isspace()
                    and not (char == "_" and j + run < stop and text[j + run].isalnum())
                )
                if closes:
                    return last
                j += run
                continue
            j += 1
        return None


def emoji_node(short_name: str) -> Node:
    """The ADF emoji node for a shortname without colons (``smile``)."""
    attrs: dict[str, Any] = {"shortName": f":{short_name}:"}
    if short_name in EMOJI_TEXT:
        attrs["text"] = EMOJI_TEXT[short_name]
    return {"type": "emoji", "attrs": attrs}


def _append_text(nodes: list[Node], text: str, marks: Iterable[Mark]) -> None:
    if not text:
        return
    mark_list = list(marks)
    if nodes and _same_marks(nodes[-1], mark_list):
        nodes[-1]["text"] += text
        return
    node: Node = {"type": "text", "text": text}
    if mark_list:
        node["marks"] = mark_list
    nodes.append(node)


# ============================================================================ ADF -> Markdown


def adf_to_markdown(doc: dict[str, Any] | str | None) -> str:
    """Markdown for an ADF document (a plain string, as API v2 returns, passes through)."""
    if doc is None:
        return ""
    if isinstance(doc, str):
        return doc
    content = doc.get("content", []) if doc.get("type") == "doc" else [doc]
    return "\n\n".join(_render_blocks(content)).strip("\n")


def _render_blocks(nodes: Iterable[Node]) -> list[str]:
    chunks: list[str] = []
    for node in nodes:
        chunk = _render_block(node)
        if chunk is not None and chunk.strip():
            chunks.append(chunk)
    return chunks


def _render_block(node: Node) -> str | None:
    kind = node.get("type")
    content: list[Node] = node.get("content") or []
    attrs: dict[str, Any] = node.get("attrs") or {}
    if kind == "paragraph":
        return _escape_line_starts(render_inline(content))
    if kind == "heading":
        level = min(max(int(attrs.get("level", 1)), 1), 6)
        return "#" * level + " " + render_inline(content, hard_break=" ").strip()
    if kind in ("bulletList", "orderedList"):
        return _render_list(node)
    if kind == "codeBlock":
        return _render_code_block(str(attrs.get("language") or ""), _plain_text(content))
    if kind in ("blockquote", "panel"):
        return _quote("\n\n".join(_render_blocks(content)))
    if kind == "rule":
        return "---"
    if kind == "table":
        return _render_table(content)
    if kind in ("taskList", "decisionList"):
        return "\n".join(_render_task(item) for item in content)
    if kind in ("mediaSingle", "mediaGroup"):
        return " ".join(_media_label(child) for child in content)
    if kind == "media":
        return _media_label(node)
    if kind in ("expand", "nestedExpand"):
        title = str(attrs.get("title") or "")
        parts = ([f"**{_escape_text(title)}**"] if title else []) + _render_blocks(content)
        return "\n\n".join(parts)
    if kind in _INLINE_TYPES:
        return _escape_line_starts(render_inline([node]))
    return _render_unknown_block(node)


def _render_unknown_block(node: Node) -> str | None:
    content: list[Node] = node.get("content") or []
    if content and all(child.get("type") in _INLINE_TYPES for child in content):
        return _escape_line_starts(render_inline(content))
    if content:
        return "\n\n".join(_render_blocks(content))
    fallback = _attribute_text(node)
    return _escape_text(fallback) if fallback else None


def _indent(text: str, width: int) -> str:
    pad = " " * width
    return "\n".join(pad + line if line else "" for line in text.split("\n"))


def _render_list(node: Node) -> str:
    ordered = node.get("type") == "orderedList"
    number = int((node.get("attrs") or {}).get("order") or 1)
    items: list[str] = []
    for item in node.get("content") or []:
        marker = f"{number}. " if ordered else "- "
        number += 1
        items.append(_render_list_item(marker, item.get("content") or []))
    return "\n".join(items)


def _render_list_item(marker: str, content: list[Node]) -> str:
    body = ""
    for child in content:
        chunk = _render_block(child) or ""
        if not body:
            body = chunk
        elif chunk:
            body += ("\n" if child.get("type") in ("bulletList", "orderedList") else "\n\n") + chunk
    if not body:
        return marker.rstrip()
    indented = _indent(body, len(marker))
    return marker + indented[len(marker) :] if not body.startswith("\n") else marker.rstrip() + indented


def _render_task(item: Node) -> str:
    done = (item.get("attrs") or {}).get("state") in ("DONE", "DECIDED")
    content: list[Node] = item.get("content") or []
    if item.get("type") in ("taskList", "decisionList"):
        return _indent("\n".join(_render_task(child) for child in content), 2)
    text = render_inline(content)
    return f"- [{'x' if done else ' '}] " + _indent(text, 6)[6:]


def _render_code_block(language: str, code: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}" if code else f"{fence}{language}\n{fence}"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


def _render_table(rows: list[Node]) -> str:
    rendered = [[_render_cell(cell) for cell in row.get("content") or []] for row in rows]
    if not rendered:
        return ""
    width = max(len(row) for row in rendered)
    rendered = [row + [""] * (width - len(row)) for row in rendered]
    lines = ["| " + " | ".join(rendered[0]) + " |", "|" + "|".join([" --- "] * width) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rendered[1:])
    return "\n".join(lines)


def _render_cell(cell: Node) -> str:
    parts: list[str] = []
    for block in cell.get("content") or []:
        if block.get("type") == "paragraph":
            parts.append(render_inline(block.get("content") or [], hard_break="<br>", in_table=True))
        else:
            text = _render_block(block) or ""
            parts.append(text.replace("|", "\\|").replace("\n", "<br>"))
    return "<br>".join(part for part in parts if part)


def _media_label(node: Node) -> str:
    attrs = node.get("attrs") or {}
    name = attrs.get("alt") or attrs.get("filename") or attrs.get("id") or attrs.get("url") or "media"
    return _escape_text(f"[attachment: {name}]")


def _plain_text(nodes: Iterable[Node]) -> str:
    parts: list[str] = []
    for node in nodes:
        if node.get("type") == "text":
            parts.append(str(node.get("text", "")))
        elif node.get("type") == "hardBreak":
            parts.append("\n")
        elif node.get("content"):
            parts.append(_plain_text(node["content"]))
        else:
            parts.append(_attribute_text(node))
    return "".join(parts)


def _attribute_text(node: Node) -> str:
    """The text an atom node shows (status lozenge, date, card, placeholder …)."""
    attrs = node.get("attrs") or {}
    if node.get("type") == "date" and str(attrs.get("timestamp", "")).isdigit():
        return datetime.fromtimestamp(int(attrs["timestamp"]) / 1000, tz=UTC).strftime("%Y-%m-%d")
    for key in ("text", "url", "shortName", "title", "extensionKey"):
        if attrs.get(key):
            return str(attrs[key])
    return ""


# ---------------------------------------------------------------------------- inline rendering


def _escape_text(text: str, in_table: bool = False) -> str:
    out: list[str] = []
    for index, char in enumerate(text):
        before = text[index - 1] if index > 0 else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if (
            char in "\\`*[]"
            or (char == "_" and not (before.isalnum() and after.isalnum()))
            or (char == "~" and "~" in (before, after))
            or (char == "<" and (after.isalpha() or after in "/!"))
            or (char == ":" and _EMOJI_RE.match(text, index))
            or (char == "|" and in_table)
        ):
            out.append("\\")
        out.append(char)
    return "".join(out)


def _escape_line_starts(text: str) -> str:
    """Escape text that would read as block syntax at the start of a line."""
    return "\n".join(_LINE_START_RE.sub(_escape_first, line) for line in text.split("\n"))


def _escape_first(match: re.Match[str]) -> str:
    token = match.group(1)
    if token[0].isdigit():
        return token[:-1] + "\\" + token[-1]
    return "\\" + token


def _ordered_marks(node: Node) -> list[Mark]:
    marks = [m for m in node.get("marks") or [] if m.get("type") in _MARK_RANK]
    normalized = [
        {"type": "link", "attrs": {"href": str((m.get("attrs") or {}).get("href", ""))}}
        if m["type"] == "link"
        else {"type": m["type"]}
        for m in marks
    ]
    return sorted(normalized, key=lambda m: _MARK_RANK[m["type"]])


def _open(mark: Mark) -> str:
    # ``*`` for emphasis: ``_`` does not work inside words (``a*b*c``), ``*`` does.
    return {"link": "[", "strong": "**", "em": "*", "strike": "~~"}[mark["type"]]


def _close(mark: Mark) -> str:
    if mark["type"] == "link":
        href = str(mark["attrs"]["href"])
        safe = href if re.fullmatch(r"[^\s()<>]*", href) else f"<{href}>"
        return f"]({safe})"
    return _open(mark)


def _is_autolink(text: str, marks: list[Mark]) -> bool:
    return (
        len(marks) == 1
        and marks[0]["type"] == "link"
        and marks[0]["attrs"]["href"] == text
        and bool(_AUTOLINK_RE.fullmatch(f"<{text}>"))
    )


def _has_code(node: Node) -> bool:
    return any(m.get("type") == "code" for m in node.get("marks") or [])


def _code_span(code: str, in_table: bool) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * (longest + 1)
    padded = (
        f" {code} " if code.startswith("`") or code.endswith("`") or (code[:1] == code[-1:] == " ") else code
    )
    span = f"{fence}{padded}{fence}"
    return span.replace("|", "\\|") if in_table else span


def _merge_texts(nodes: Iterable[Node]) -> list[Node]:
    merged: list[Node] = []
    for node in nodes:
        if (
            merged
            and node.get("type") == "text"
            and merged[-1].get("type") == "text"
            and (merged[-1].get("marks") or []) == (node.get("marks") or [])
        ):
            merged[-1] = {**merged[-1], "text": merged[-1]["text"] + node.get("text", "")}
        else:
            merged.append(node)
    return merged


@dataclass
class _Delimiter:
    """A mark's opening or closing delimiter, resolved to text once its neighbours are known."""

    mark: Mark
    opening: bool
    text: str


def _choose_em_delimiters(tokens: list[str | _Delimiter]) -> None:
    """Write emphasis as ``_`` where ``*`` would touch another ``*`` run (``**a***b*`` is ambiguous)."""
    items = [t for t in tokens if t != ""]
    for index, token in enumerate(items):
        if not (isinstance(token, _Delimiter) and token.opening and token.mark["type"] == "em"):
            continue
        close = next(
            (j for j, other in enumerate(items) if j > index and _closes(other, token.mark)),
            None,
        )
        if close is None:
            continue
        closer = items[close]
        assert isinstance(closer, _Delimiter)
        before = _token_text(items[index - 1]) if index > 0 else ""
        after = _token_text(items[close + 1]) if close + 1 < len(items) else ""
        touches_star = before.endswith("*") or after.startswith("*")
        if touches_star and not before[-1:].isalnum() and not after[:1].isalnum():
            token.text = closer.text = "_"


def _closes(token: str | _Delimiter, mark: Mark) -> bool:
    return isinstance(token, _Delimiter) and not token.opening and token.mark is mark


def _token_text(token: str | _Delimiter) -> str:
    return token.text if isinstance(token, _Delimiter) else token


def render_inline(nodes: Iterable[Node], *, hard_break: str = "\n", in_table: bool = False) -> str:
    """Markdown for a run of ADF inline nodes, writing marks as few times as possible."""
    out: list[str | _Delimiter] = []
    active: list[Mark] = []
    pending_space = ""

    def move_to(marks: list[Mark], before_open: str = "") -> None:
        nonlocal pending_space
        common = 0
        while common < min(len(active), len(marks)) and active[common] == marks[common]:
            common += 1
        for mark in reversed(active[common:]):
            out.append(_Delimiter(mark, False, _close(mark)))
        out.append(pending_space)
        pending_space = ""
        del active[common:]
        out.append(before_open)
        for mark in marks[common:]:
            opened = dict(mark)  # a fresh object per span, so each pair is found by identity
            out.append(_Delimiter(opened, True, _open(mark)))
            active.append(opened)

    def at_line_start() -> bool:
        text = "".join(_token_text(t) for t in out)
        return not text or text.endswith("\n")

    merged = _merge_texts(nodes)
    while merged and merged[-1].get("type") == "hardBreak":
        merged.pop()  # a trailing break shows nothing; written, it would turn into a stray "\\"
    for node in merged:
        kind = node.get("type")
        marks = _ordered_marks(node)
        if kind == "text":
            raw = str(node.get("text", ""))
            core = raw.strip(" ")
            if not core:
                # Whitespace alone: written under its own marks, never hoisted.
                move_to(marks)
                out.append(raw)
                continue
            lead, trail = raw[: len(raw) - len(raw.lstrip(" "))], raw[len(raw.rstrip(" ")) :]
            if _is_autolink(core, marks) and not _has_code(node):
                move_to([], lead)
                out.append(f"<{core}>")
                pending_space = trail
                continue
            move_to(marks, lead)
            out.append(_code_span(core, in_table) if _has_code(node) else _escape_text(core, in_table))
            pending_space = trail
        elif kind == "hardBreak":
            # Marks close before the break and reopen after it: a delimiter at the start of an
            # indented continuation line (after the indent) would not close anything.
            pending_space = pending_space.rstrip(" ")
            move_to([])
            # A break at the start of a line would leave a blank line (a new paragraph): escape it.
            out.append("\\\n" if hard_break == "\n" and at_line_start() else hard_break)
        else:
            move_to(marks if kind in ("inlineCard",) else [])
            out.append(_render_atom(node, in_table))
    move_to([])
    _choose_em_delimiters(out)
    return "".join(_token_text(t) for t in out)


def _render_atom(node: Node, in_table: bool) -> str:
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "mention":
        name = str(attrs.get("text") or "").removeprefix("@")
        return f"@[{_escape_text(name, in_table)}](accountid:{attrs.get('id', '')})"
    if kind == "emoji":
        short_name = str(attrs.get("shortName") or "").strip(":")
        if short_name and _EMOJI_RE.fullmatch(f":{short_name}:"):
            return f":{short_name}:"
        return _escape_text(str(attrs.get("text") or attrs.get("shortName") or ""), in_table)
    if kind == "inlineCard" and attrs.get("url"):
        return f"<{attrs['url']}>"
    if node.get("content"):
        return render_inline(node["content"], in_table=in_table)
    return _escape_text(_attribute_text(node), in_table)
