"""``dropcast logs``: one job's lines from the local files, the gcloud query in the cloud."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

from typer.testing import CliRunner

from dropcast_cli import joblogs, targets
from dropcast_cli.app import app

JOB = "0123456789abcdef01234567"
OTHER = "fedcba9876543210fedcba98"


def test_text_lines_of_one_job_with_their_traceback_lines() -> None:
    lines = [
        f"10:00:00 INFO    dropcast.ingest: notification for gs://in/a.csv#1 [job_id={JOB}]\n",
        f"10:00:00 INFO    dropcast.ingest: notification for gs://in/b.csv#1 [job_id={OTHER}]\n",
        "    | Traceback (most recent call last):\n",
        f"10:00:01 ERROR   dropcast.deadletters: job failed [job_id={JOB}]\n",
        "    | ValueError: boom\n",
        "10:00:02 INFO    uvicorn.error: Application startup complete.\n",
    ]
    assert list(joblogs.select(lines, JOB)) == [
        lines[0].rstrip("\n"),
        lines[3].rstrip("\n"),
        "    | ValueError: boom",
    ]
    assert len(list(joblogs.select(lines, None))) == len(lines)


def test_json_lines_match_on_the_job_id_field_only() -> None:
    ours = json.dumps({"severity": "INFO", "message": "computing shard 1/2", "job_id": JOB})
    mentions = json.dumps({"severity": "INFO", "message": f"job_id={JOB} in text", "job_id": OTHER})
    assert joblogs.belongs_to(ours, JOB)
    assert not joblogs.belongs_to(mentions, JOB)


def _fake_stack(home: Path) -> None:
    logs = home / "logs"
    logs.mkdir(parents=True)
    (logs / "ingest.log").write_text(f"a [job_id={JOB}]\nb [job_id={OTHER}]\n")
    (logs / "forecast.log").write_text(f"c [job_id={JOB}]\n")
    info = {
        "project": "dropcast-local",
        "storage_emulator_host": "http://127.0.0.1:1",
        "pubsub_emulator_host": "127.0.0.1:2",
        "buckets": {"input": "i", "staging": "s", "output": "o"},
        "topics": {},
        "subscriptions": {},
        "services": {},
        "logs": {name: str(logs / f"{name}.log") for name in ("ingest", "forecast")},
    }
    (home / "stack.json").write_text(json.dumps(info))


def test_local_logs_of_a_job_from_both_services(tmp_path: Path) -> None:
    _fake_stack(tmp_path)
    result = CliRunner().invoke(app, ["logs", "--job", JOB, "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"ingest   | a [job_id={JOB}]",
        f"forecast | c [job_id={JOB}]",
    ]
    one = CliRunner().invoke(app, ["logs", "--service", "forecast", "--home", str(tmp_path)])
    assert one.output.splitlines() == [f"forecast | c [job_id={JOB}]"]


def test_cloud_prints_the_gcloud_command_with_the_job_filter() -> None:
    result = CliRunner().invoke(
        app, ["logs", "--env", "prod", "--project", "acme", "--job", JOB], env={}
    )
    assert result.exit_code == 0, result.output
    argv = shlex.split(result.output)
    assert argv[:3] == ["gcloud", "logging", "read"]
    assert argv[3] == (
        'resource.type="cloud_run_revision" AND resource.labels.service_name='
        '("dropcast-prod-ingest" OR "dropcast-prod-forecast") '
        f'AND jsonPayload.job_id="{JOB}"'
    )
    assert "--project=acme" in argv
    assert "--order=asc" in argv


def test_cloud_command_for_one_service_without_job() -> None:
    target = targets.by_naming_rule("dev", "acme")
    query = joblogs.cloud_filter(target, ["ingest"], None)
    assert query == (
        'resource.type="cloud_run_revision" AND '
        'resource.labels.service_name=("dropcast-dev-ingest")'
    )


def test_unknown_service_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["logs", "--service", "web", "--home", str(tmp_path)])
    assert result.exit_code == 2  # rejected: the request names no service (docs: Exit codes)
    assert "use ingest or forecast" in result.output


def test_the_cloud_example_in_operations_md_is_what_the_command_prints() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs/operations.md").read_text()
    lines = doc.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.startswith("$ uv run dropcast logs")]
    args = shlex.split(lines[at].removeprefix("$ uv run dropcast "))
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == lines[at + 1]
