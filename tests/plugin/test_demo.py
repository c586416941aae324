"""`tandem demo --once`: the README's first command, end to end, must converge and exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main


def test_demo_once_converges_and_reports_latency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DEMO_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["demo", "--once"])
    assert result.exit_code == 0, result.output
    assert "converged: yes" in result.output
    assert "latency over 9 propagations: p50" in result.output
    assert "did not arrive" not in result.output
    assert (tmp_path / "demo.db").exists()
