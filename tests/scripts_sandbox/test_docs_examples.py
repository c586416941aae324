"""Every example in docs/scripting.md runs through ``tandem script run`` and gives its output.

Convention (also stated in the doc): an example is a fenced block whose info string is
``python title=NAME direction=outgoing|incoming`` (optionally ``first_sync=true``), followed by
fenced ``json title=issue`` (required), ``json title=replica`` and ``json title=previous``
(optional) and ``json title=output`` (required) blocks, in any order, up to the next python
block. ``output`` is what the command prints: ``{"value": ..., "skip": ..., "unlink": ...}``;
the test compares parsed JSON, so layout does not matter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scripts_sandbox.cli import script

DOC = Path(__file__).resolve().parents[2] / "docs" / "scripting.md"
FENCE = re.compile(r"^```(\w+)([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
ATTRIBUTE = re.compile(r"(\w+)=(\S+)")


@dataclass
class Example:
    title: str
    direction: str
    first_sync: bool
    source: str
    json_blocks: dict[str, Any] = field(default_factory=dict)


def parse_examples(text: str) -> list[Example]:
    examples: list[Example] = []
    for match in FENCE.finditer(text):
        language, info, body = match.group(1), match.group(2), match.group(3)
        attributes = dict(ATTRIBUTE.findall(info))
        if language == "python" and "title" in attributes:
            examples.append(
                Example(
                    title=attributes["title"],
                    direction=attributes["direction"],
                    first_sync=attributes.get("first_sync") == "true",
                    source=body,
                )
            )
        elif language == "json" and "title" in attributes and examples:
            examples[-1].json_blocks[attributes["title"]] = json.loads(body)
    return examples


EXAMPLES = parse_examples(DOC.read_text(encoding="utf-8"))


def test_the_doc_has_the_promised_examples() -> None:
    titles = {e.title for e in EXAMPLES}
    expected = {"field-map", "status-map", "public-comments", "merge-comments", "attachments", "user-mapping"}
    expected |= {"first-sync", "custom-fields", "hierarchy", "conditional-sync", "unlink"}
    assert expected <= titles
    assert len(titles) == len(EXAMPLES), "example titles must be unique"
    for example in EXAMPLES:
        assert {"issue", "output"} <= set(example.json_blocks), example.title


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.title for e in EXAMPLES])
def test_doc_example(example: Example, tmp_path: Path) -> None:
    script_file = tmp_path / f"{example.title}.py"
    script_file.write_text(example.source)
    args = ["run", "--direction", example.direction, "--script", str(script_file)]
    for name in ("issue", "replica", "previous"):
        if name in example.json_blocks:
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(example.json_blocks[name]))
            args += [f"--{name}", str(path)]
    if example.first_sync:
        args.append("--first-sync")
    result = CliRunner().invoke(script, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == example.json_blocks["output"]
