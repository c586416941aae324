"""The configuration docs list every setting the code reads (the table is generated from it)."""

from __future__ import annotations

from plugin.config import settings_table
from tests.conftest import PROJECT_ROOT


def test_configuration_doc_and_readme_carry_the_current_table() -> None:
    table = settings_table()
    assert table in (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    assert table in (PROJECT_ROOT / "README.md").read_text()
