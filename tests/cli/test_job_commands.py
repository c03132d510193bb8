"""The job commands on a fake environment: one reference, one set of exit codes, --json.

``status``, ``jobs``, ``fetch``, ``retry`` and ``logs`` run as a user types
them (typer's runner), on an in-memory bucket set that answers as the
services would; the same commands on the real local stack are in
test_job_commands_e2e.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dropcast_cli import exits, jobcommands, joblogs, retrying
from dropcast_cli.app import app
from dropcast_cli.targets import Target
from dropcast_common import naming
from dropcast_common.status import JobError, JobStatus, StatusStore
from dropcast_common.testing import InMemoryBlobStore

BUCKETS = {"input": "in", "staging": "stage", "output": "out"}


class Fakes:
    """An in-memory environment, and the uploads and jobs in it."""

    def __init__(self, tmp_path: Path) -> None:
        self.store = InMemoryBlobStore()
        logs = {name: str(tmp_path / f"{name}.log") for name in ("ingest", "forecast")}
        self.target = Target(env="local", project="p", buckets=BUCKETS, logs=logs)

    def upload(self, name: str, state: str | None, code: str = "", **fields: object) -> str:
        generation = self.store.put_object("in", name, b"date,y\n", {"dropcast-horizon": "7"})
        job = naming.job_id("in", name, generation)
        if state is not None:
            self.record(job, name, generation, state, code, **fields)
        return job

    def record(
        self, job: str, name: str, generation: int, state: str, code: str = "", **fields: object
    ) -> None:
        stem = naming.output_stem(name)
        outputs = {}
        if state == "done":
            for suffix in (".csv", ".png", ".report.json"):
                self.store.put_object("out", stem + suffix, f"{job}{suffix}".encode())
            outputs = {"csv": f"gs://out/{stem}.csv", "png": f"gs://out/{stem}.png"}
        if code:
            self.store.put_object("out", f"{stem}.error.json", json.dumps({"code": code}).encode())
            outputs = {"error": f"gs://out/{stem}.error.json"}
        status = JobStatus.model_validate(
            {
                "job_id": job,
                "state": state,
                "source": f"gs://in/{name}",
                "source_generation": generation,
                "outputs": outputs,
                "error": JobError(code=code, message="why", hint="fix") if code else None,
                **fields,
            }
        )
        StatusStore(self.store, "stage").update(job, lambda _: status)


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    found = Fakes(tmp_path)
    monkeypatch.setattr(jobcommands, "target_for", lambda *_: found.target)
    monkeypatch.setattr(jobcommands, "store_for", lambda _: found.store)
    return found


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("state", "code", "exit_code"),
    [
        ("done", "", exits.DONE),
        ("failed", "no_value_column", exits.REJECTED),
        ("failed", "processing_failed", exits.FAILED),
        ("running", "", exits.PENDING),
        ("superseded", "", exits.SUPERSEDED),
        (None, "", exits.PENDING),
    ],
)
def test_status_exit_codes_are_the_documented_ones(
    fakes: Fakes, state: str | None, code: str, exit_code: int
) -> None:
    job = fakes.upload("a/x.csv", state, code)
    for ref in (job, "a/x.csv", "gs://in/a/x.csv"):
        result = cli("status", ref)
        assert result.exit_code == exit_code, (ref, result.output)
        assert job in result.stdout


def test_a_reference_to_nothing_is_not_found_everywhere(fakes: Fakes, tmp_path: Path) -> None:
    for command in (["status"], ["fetch"], ["retry"], ["logs"]):
        result = cli(*command, "nothing/here.csv")
        assert result.exit_code == exits.NOT_FOUND, (command, result.output)
        assert "gs://in/nothing/here.csv not found" in result.stderr
        assert "dropcast jobs" in result.stderr


def test_status_json_is_the_status_object_and_the_exit_code(fakes: Fakes) -> None:
    job = fakes.upload("x.csv", "running", shards_total=4, shards_done=[0, 2], series=9)
    result = cli("status", "x.csv", "--json")
    assert result.exit_code == exits.PENDING
    body = json.loads(result.stdout)
    assert body["job_id"] == job
    assert body["exit_code"] == exits.PENDING
    assert body["status"]["shards_done"] == [0, 2]
    assert body["status"]["series"] == 9
    none = json.loads(cli("status", "0" * 24, "--json").stdout)
    assert none == {"job_id": "0" * 24, "exit_code": exits.PENDING, "status": None}


def test_jobs_lists_the_newest_first(fakes: Fakes) -> None:
    # Created out of alphabetical and upload order: the listing sorts by creation time.
    second = fakes.upload("two.csv", "failed", "no_value_column", created="2026-01-02T00:00:00")
    first = fakes.upload("one.csv", "done", created="2026-01-01T00:00:00")
    third = fakes.upload(
        "three.csv", "running", shards_total=2, shards_done=[1], created="2026-01-03T00:00:00"
    )
    fakes.store.put_object("stage", "jobs/elsewhere/parts/00000.csv", b"not a status")
    result = cli("jobs")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert [row.split()[2] for row in rows] == [third, second, first]
    assert rows[0].split()[3:] == ["running", "1/2", "gs://in/three.csv"]
    assert [j["job_id"] for j in json.loads(cli("jobs", "--json", "--limit", "2").stdout)] == [
        third,
        second,
    ]


def test_fetch_downloads_a_finished_jobs_outputs_with_their_bucket_names(
    fakes: Fakes, tmp_path: Path
) -> None:
    job = fakes.upload("reports/sales.csv", "done")
    result = cli("fetch", "reports/sales.csv", "-o", str(tmp_path / "got"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "got").iterdir()) == ["sales.csv", "sales.png"]
    assert (tmp_path / "got" / "sales.csv").read_bytes() == f"{job}.csv".encode()
    rejected = fakes.upload("bad.csv", "failed", "no_value_column")
    result = cli("fetch", rejected, "-o", str(tmp_path / "bad"))
    assert result.exit_code == exits.REJECTED
    assert json.loads((tmp_path / "bad" / "bad.error.json").read_text())["code"] == (
        "no_value_column"
    )
    fakes.upload("slow.csv", "running")
    result = cli("fetch", "slow.csv", "-o", str(tmp_path / "slow"))
    assert result.exit_code == exits.PENDING
    assert "nothing to fetch yet" in result.stderr
    assert not (tmp_path / "slow").exists()


@pytest.fixture
def rewrites(fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Rewrite in memory as Cloud Storage does: same bytes and metadata, a new generation."""
    done: list[str] = []

    def rewriter(_client: object) -> retrying.Rewriter:
        def rewrite(bucket: str, name: str) -> int:
            info = fakes.store.stat(bucket, name)
            assert info is not None
            done.append(name)
            return fakes.store.put_object(
                bucket, name, fakes.store.read(bucket, name), info.metadata
            )

        return rewrite

    monkeypatch.setattr(retrying, "gcs_rewriter", rewriter)
    monkeypatch.setattr(type(fakes.store), "client", None, raising=False)
    return done


def test_retry_starts_a_new_job_for_the_same_upload(fakes: Fakes, rewrites: list[str]) -> None:
    old = fakes.upload("a/x.csv", "failed", "processing_failed")
    result = cli("retry", old, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    info = fakes.store.stat("in", "a/x.csv")
    assert info is not None
    assert body == {
        "job_id": naming.job_id("in", "a/x.csv", info.generation),
        "previous": old,
        "uri": "gs://in/a/x.csv",
    }
    assert rewrites == ["a/x.csv"]
    assert info.metadata == {"dropcast-horizon": "7"}  # the parameters travel along


def test_retry_wait_follows_the_new_job_to_its_exit_code(
    fakes: Fakes, rewrites: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes.upload("x.csv", "failed", "processing_failed")

    def pipeline_answers(store: object, target: object, job: str, timeout: float) -> JobStatus:
        info = fakes.store.stat("in", "x.csv")
        assert info is not None
        fakes.record(job, "x.csv", info.generation, "done")
        return StatusStore(fakes.store, "stage").get(job)  # type: ignore[return-value]

    monkeypatch.setattr(jobcommands, "_wait", pipeline_answers)
    result = cli("retry", "x.csv", "--wait")
    assert result.exit_code == exits.DONE, result.output
    assert "retrying gs://in/x.csv as job" in result.stdout


def test_retry_of_an_upload_replaced_since_is_refused(fakes: Fakes, rewrites: list[str]) -> None:
    old = fakes.upload("x.csv", "done")
    fakes.upload("x.csv", "done")
    result = cli("retry", old)
    assert result.exit_code == exits.REJECTED
    assert "was uploaded again since" in result.stderr
    assert "dropcast retry gs://in/x.csv" in result.stderr
    assert rewrites == []


def test_logs_follow_prints_new_lines_until_the_job_ends(fakes: Fakes) -> None:
    job = fakes.upload("x.csv", "running")
    ingest, forecast = (Path(fakes.target.logs[name]) for name in ("ingest", "forecast"))
    ingest.write_text(f"a [job_id={job}]\nb [job_id={'1' * 24}]\n")
    forecast.write_text("")
    ticks = iter(range(1000))
    writes = iter(
        [
            f"c [job_id={job}]\n    | trace line\nd [job_id={'1' * 24}]\n",
            "half of e [job_",
            f"id={job}]\n",
        ]
    )
    state = {"done": False}

    def sleep(_: float) -> None:
        chunk = next(writes, None)
        if chunk is None:
            state["done"] = True
            return
        with forecast.open("a") as handle:
            handle.write(chunk)

    lines = list(
        joblogs.follow_local(
            fakes.target,
            job=job,
            finished=lambda: state["done"],
            timeout=60,
            sleep=sleep,
            clock=lambda: float(next(ticks)),
        )
    )
    assert lines == [
        f"ingest   | a [job_id={job}]",
        f"forecast | c [job_id={job}]",
        "forecast |     | trace line",
        f"forecast | half of e [job_id={job}]",
    ]


def test_logs_follow_ends_at_its_timeout_without_a_job(fakes: Fakes) -> None:
    Path(fakes.target.logs["ingest"]).write_text("x\n")
    ticks = iter(range(1000))
    lines = list(
        joblogs.follow_local(
            fakes.target, timeout=5, sleep=lambda _: None, clock=lambda: float(next(ticks))
        )
    )
    assert lines == ["ingest   | x"]


def test_logs_takes_the_job_as_an_argument_and_follows_in_the_cloud(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = CliRunner().invoke(
        app, ["logs", "0" * 24, "--env", "dev", "--project", "acme", "--follow"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("gcloud beta logging tail ")
    assert f'jsonPayload.job_id="{"0" * 24}"' in result.stdout
    assert "--freshness" not in result.stdout


def test_version() -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("dropcast ")
    assert result.stdout.split()[1][0].isdigit()


def test_every_waiting_command_has_the_same_timeout_default() -> None:
    import typer.main

    command = typer.main.get_command(app)
    defaults = {}
    for name in ("submit", "status", "retry", "logs", "demo"):
        options = {p.name: p for p in command.commands[name].params}  # type: ignore[attr-defined]
        defaults[name] = options["timeout"].default
    assert set(defaults.values()) == {exits.DEFAULT_TIMEOUT_SECONDS}, defaults
