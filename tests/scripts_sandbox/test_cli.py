"""``tandem script check|run`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scripts_sandbox.cli import limits_from_env, script
from tests.scripts_sandbox.conftest import ISSUE


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    issue = tmp_path / "issue.json"
    issue.write_text(json.dumps(ISSUE))
    return {"dir": tmp_path, "issue": issue}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_check_reports_errors_and_warnings(files: dict[str, Path]) -> None:
    bad = write(files["dir"] / "bad.py", "replica.summary = isue.summary\nimport os\n")
    result = CliRunner().invoke(script, ["check", str(bad)])
    assert result.exit_code == 1
    assert (
        result.output
        == f"{bad}:2:1: error: import of 'os' is not allowed (only datetime, json, math, random, re)\n"
    )
    warn = write(files["dir"] / "warn.py", "replica.summary = isue.summary\n")
    result = CliRunner().invoke(script, ["check", str(warn), "--direction", "incoming"])
    assert result.exit_code == 0
    assert result.output == f"{warn}:1:19: warning: unknown name 'isue' (did you mean 'issue'?)\n"


@pytest.mark.parametrize("inline", [False, True])
def test_run_prints_result_json_and_logs(files: dict[str, Path], inline: bool) -> None:
    src = write(files["dir"] / "out.py", "replica.summary = issue.summary\nlog.info('copied')\nprint('hi')\n")
    args = ["run", "--direction", "outgoing", "--script", str(src), "--issue", str(files["issue"])]
    result = CliRunner().invoke(script, [*args, "--inline"] if inline else args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "value": {"summary": "Printer on fire"},
        "skip": None,
        "unlink": False,
    }
    assert result.stderr == "INFO copied\nhi\n"


def test_run_incoming_with_replica_previous_and_first_sync(files: dict[str, Path]) -> None:
    src = write(
        files["dir"] / "in.py",
        "issue.summary = replica.summary + (' again' if previous else '') + (' first' if first_sync else '')",
    )
    empty = write(files["dir"] / "empty.json", "{}")
    result = CliRunner().invoke(
        script,
        [
            *("run", "--direction", "incoming", "--script", str(src), "--issue", str(empty)),
            *("--replica", str(files["issue"]), "--previous", str(files["issue"]), "--first-sync"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["value"] == {"summary": "Printer on fire again first"}


def test_run_reports_script_errors_with_location(files: dict[str, Path]) -> None:
    src = write(files["dir"] / "err.py", "x = 1\nreplica.summary = issue.summry\n")
    result = CliRunner().invoke(
        script, ["run", "--script", str(src), "--issue", str(files["issue"]), "--direction", "outgoing"]
    )
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert first == f"{src}:2:19: AttributeError: issue has no field 'summry' (did you mean 'summary'?)"
    assert result.stdout == ""


def test_run_reports_limit_errors(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_SCRIPT_WALL_SECONDS", "0.3")
    monkeypatch.setenv("TANDEM_SCRIPT_WORKERS", "1")
    src = write(files["dir"] / "loop.py", "while True:\n    pass\n")
    result = CliRunner().invoke(script, ["run", "--script", str(src), "--issue", str(files["issue"])])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{src}: TimeoutError: the script ran longer than 0.3 s")


def test_run_rejects_invalid_json(files: dict[str, Path]) -> None:
    src = write(files["dir"] / "ok.py", "pass\n")
    broken = write(files["dir"] / "broken.json", "{")
    result = CliRunner().invoke(script, ["run", "--script", str(src), "--issue", str(broken)])
    assert result.exit_code == 2
    assert "invalid JSON" in result.output


def test_limits_from_env() -> None:
    limits = limits_from_env({"TANDEM_SCRIPT_CPU_SECONDS": "2", "TANDEM_SCRIPT_MAX_RUNS": "7", "OTHER": "1"})
    assert (limits.cpu_seconds, limits.max_runs_per_worker, limits.workers) == (2.0, 7, 2)
