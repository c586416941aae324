from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from plugin.cli import main


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    db_path = tmp_path / "cli.db"
    monkeypatch.setenv("TANDEM_DATABASE_URL", f"sqlite:///{db_path}")
    monkeypatch.setenv("TANDEM_SECRET_KEY", "cli-test-secret")
    return db_path


def test_db_upgrade_then_tenants_list_and_purge(env: Path) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert env.exists()
    listed = runner.invoke(main, ["tenants", "list"])
    assert listed.exit_code == 0 and listed.output == ""
    purged = runner.invoke(main, ["tenants", "purge"])
    assert purged.exit_code == 0 and "purged 0 tenant(s)" in purged.output


def test_config_lists_every_setting() -> None:
    result = CliRunner().invoke(main, ["config"])
    assert result.exit_code == 0
    assert "TANDEM_SECRET_KEY" in result.output and "TANDEM_DATABASE_URL" in result.output
