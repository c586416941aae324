from __future__ import annotations

from click.testing import CliRunner

from connectors.jira.simulator import sim_command


def test_cli_prints_sites_and_credentials() -> None:
    result = CliRunner().invoke(
        sim_command, ["--port", "0", "--sites", "acme,umbrella", "--seed", "1", "--exit-after", "0.05"]
    )
    assert result.exit_code == 0, result.output
    assert "acme: http://127.0.0.1:" in result.output
    assert "/umbrella" in result.output
    assert "admin@acme.example.com / API token ATATT" in result.output


def test_cli_per_site_ports() -> None:
    result = CliRunner().invoke(
        sim_command, ["--port", "0", "--per-site-ports", "--seed", "0", "--exit-after", "0"]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip().startswith(("acme:", "globex:"))]
    assert len(lines) == 2 and all("/acme " not in line for line in lines)
