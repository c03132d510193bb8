"""The job commands: ``submit``, ``status``, ``jobs``, ``logs``, ``fetch`` and ``retry``.

Each takes the same job reference (:mod:`dropcast_cli.jobs`), talks to the
same environments (``--env``, :mod:`dropcast_cli.targets`) and exits with
the same codes (:mod:`dropcast_cli.exits`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from dropcast_cli import exits
from dropcast_cli.options import (
    DEFAULT_OUTDIR,
    EnvOption,
    HomeOption,
    JsonOption,
    OutdirOption,
    OutputsOption,
    ParamOption,
    ProjectOption,
    RefArgument,
    TimeoutOption,
    cloud_failure,
    fail,
    store_for,
    target_for,
)

POLL_SECONDS = {True: 0.5, False: 2.0}  # local stack, deployed env


def _job_of(store: Any, target: Any, ref: str) -> str:
    """The job id REF names; exits 4 when it names nothing."""
    from dropcast_cli import jobs

    try:
        return jobs.resolve_job(store, target.buckets["input"], ref)
    except jobs.JobNotFoundError as err:
        fail(str(err), exits.NOT_FOUND)
    except Exception as err:
        cloud_failure(err, target)


def _wait(store: Any, target: Any, job: str, timeout: float) -> Any:
    """The job's status once done or failed, or as it is after ``timeout`` seconds."""
    from dropcast_cli import jobs

    deadline = time.monotonic() + timeout
    while True:
        current = jobs.job_status(store, target.buckets["staging"], job)
        final = current is not None and current.final
        if final or time.monotonic() >= deadline:
            return current
        time.sleep(POLL_SECONDS[target.is_local])


def _show_status(job: str, current: Any, as_json: bool) -> int:
    """Print a status (text or JSON) and return its exit code."""
    from dropcast_cli import jobs, submit

    code = submit.exit_code(current)
    if as_json:
        body = None if current is None else current.model_dump(mode="json")
        typer.echo(json.dumps({"job_id": job, "exit_code": code, "status": body}, indent=2))
    elif current is None:
        typer.echo(f"{job}  not accepted yet (no status)")
    else:
        typer.echo(jobs.describe(current))
    return code


def status(
    ref: RefArgument,
    wait: Annotated[bool, typer.Option(help="Wait until the job is done or failed")] = False,
    timeout: TimeoutOption = exits.DEFAULT_TIMEOUT_SECONDS,
    as_json: JsonOption = False,
    env: EnvOption = "local",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Show a job's state, progress, outputs or error.

    Exit 0 done, 2 rejected, 1 failed, 3 not finished, 4 no such job, 5 superseded.
    """
    target = target_for(env, home, project, outputs)
    store = store_for(target)
    job = _job_of(store, target, ref)
    try:
        current = _wait(store, target, job, timeout if wait else 0)
    except Exception as err:
        cloud_failure(err, target)
    raise typer.Exit(_show_status(job, current, as_json))


def jobs_command(
    limit: Annotated[int, typer.Option(min=1, help="How many jobs to show")] = 20,
    as_json: JsonOption = False,
    env: EnvOption = "local",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """List recent jobs and their states, newest first."""
    from dropcast_cli import jobs

    target = target_for(env, home, project, outputs)
    try:
        found = jobs.recent(store_for(target), target.buckets["staging"], limit)
    except Exception as err:
        cloud_failure(err, target)
    if as_json:
        typer.echo(json.dumps([s.model_dump(mode="json") for s in found], indent=2))
        return
    if not found:
        typer.echo(f"no jobs yet in gs://{target.buckets['staging']}")
        return
    for entry in found:
        typer.echo(jobs.one_line(entry))


def fetch(
    ref: RefArgument,
    output: OutdirOption = DEFAULT_OUTDIR,
    env: EnvOption = "local",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Download a finished job's outputs (forecast, chart, report, or error report) to a folder.

    Exit 0 done, 2 rejected (the error report is downloaded), 1 failed, 3 not finished, 4 no
    such job, 5 superseded (nothing to fetch: the newer upload's job has the outputs).
    """
    from dropcast_cli import jobs, submit

    target = target_for(env, home, project, outputs)
    store = store_for(target)
    job = _job_of(store, target, ref)
    try:
        current = jobs.job_status(store, target.buckets["staging"], job)
        if current is None or not current.final:
            state = "not accepted yet" if current is None else current.state
            fail(f"job {job} is {state}: nothing to fetch yet", exits.PENDING)
        files = submit.download_outputs(store, current, output)
    except typer.Exit:
        raise
    except Exception as err:
        cloud_failure(err, target)
    typer.echo(jobs.describe(current).splitlines()[0])
    for kind, path in files.items():
        typer.echo(f"  {kind:<6} {path}")
    raise typer.Exit(submit.exit_code(current))


def retry(
    ref: RefArgument,
    wait: Annotated[bool, typer.Option(help="Wait until the new job is done or failed")] = False,
    timeout: TimeoutOption = exits.DEFAULT_TIMEOUT_SECONDS,
    as_json: JsonOption = False,
    env: EnvOption = "local",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Process an upload again without uploading it: a new job for the same file and parameters.

    The object is rewritten onto itself in the bucket (no download, no upload): a new
    generation, so a new job, with the same metadata. Exit codes as status (with --wait),
    else 0 once the new job is started.
    """
    from dropcast_cli import retrying

    target = target_for(env, home, project, outputs)
    store = store_for(target)
    job = _job_of(store, target, ref)
    try:
        again = retrying.retry(store, retrying.gcs_rewriter(store.client), target.buckets, ref, job)
    except retrying.RetryError as err:
        fail(str(err), err.exit_code)
    except Exception as err:
        cloud_failure(err, target)
    if not as_json:
        typer.echo(f"retrying {again.uri} as job {again.job_id} (was {job})")
    if not wait:
        if as_json:
            typer.echo(json.dumps({"job_id": again.job_id, "previous": job, "uri": again.uri}))
        raise typer.Exit(exits.DONE)
    try:
        current = _wait(store, target, again.job_id, timeout)
    except Exception as err:
        cloud_failure(err, target)
    raise typer.Exit(_show_status(again.job_id, current, as_json))


def logs(
    ref: Annotated[
        str | None,
        typer.Argument(
            metavar="REF",
            help="Only this job: its id, the uploaded object's name or a gs:// URI",
            show_default=False,
        ),
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option(help="ingest or forecast (repeatable; default both)", show_default=False),
    ] = None,
    job: Annotated[
        str | None, typer.Option(hidden=True, help="Same as REF (older spelling)")
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Keep printing new lines; with REF, until the job ends"
        ),
    ] = False,
    timeout: TimeoutOption = exits.DEFAULT_TIMEOUT_SECONDS,
    env: EnvOption = "local",
    run: Annotated[
        bool, typer.Option("--run", help="Cloud: run the gcloud command instead of printing it")
    ] = False,
    freshness: Annotated[str, typer.Option(help="Cloud: how far back to look")] = "1d",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Show the services' log lines (of one job). Local: the stack's log files; cloud: gcloud."""
    import subprocess

    from dropcast_cli import joblogs
    from dropcast_cli import jobs as joblookup
    from dropcast_cli.targets import SERVICES

    services = service or list(SERVICES)
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        fail(f"unknown service {', '.join(unknown)}: use ingest or forecast", exits.REJECTED)
    target = target_for(env, home, project, outputs)
    ref = ref or job
    job_id = ref
    store = None
    if ref is not None and not joblookup.JOB_ID.match(ref):
        store = store_for(target)
        job_id = _job_of(store, target, ref)
    if target.is_local:
        if not follow:
            for line in joblogs.local_lines(target, services, job_id):
                typer.echo(line)
            return
        finished = None
        if job_id is not None:
            store = store or store_for(target)
            finished = joblogs.job_finished(store, target.buckets["staging"], job_id)
        try:
            for line in joblogs.follow_local(target, services, job_id, finished, timeout):
                typer.echo(line)
        except KeyboardInterrupt:
            return
        return
    argv = joblogs.gcloud_command(target, services, job_id, freshness, follow=follow)
    if not run:
        typer.echo(joblogs.shell_line(argv))
        return
    try:
        done = subprocess.run(argv, check=False)
    except OSError as err:
        fail(f"cannot run gcloud ({err}); install the gcloud CLI")
    raise typer.Exit(done.returncode)


def submit(
    source: Annotated[
        Path,
        typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="File to forecast"),
    ],
    param: ParamOption = None,
    output: OutdirOption = DEFAULT_OUTDIR,
    name: Annotated[
        str | None,
        typer.Option(help="Object name in the input bucket (default: FILE's name)"),
    ] = None,
    timeout: TimeoutOption = exits.DEFAULT_TIMEOUT_SECONDS,
    as_json: JsonOption = False,
    env: EnvOption = "local",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Upload FILE, follow its job, download the forecast, chart and report (or error report).

    Exit 0 done, 2 rejected (the error report says how to fix the file), 1 failed
    (a platform fault: the job was dead-lettered), 3 not finished within --timeout.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from dropcast_cli import submit as submitting
    from dropcast_common.errors import InputError

    object_name = name or source.name
    try:
        metadata = submitting.upload_metadata(param or [])
        submitting.check_submittable(object_name)
        submitting.check_outdir(object_name, output, source)
    except InputError as err:
        typer.echo(
            f"rejected before upload: {err.message} [{err.code}]\nhint: {err.hint}", err=True
        )
        raise typer.Exit(exits.REJECTED) from err
    target = target_for(env, home, project, outputs)
    store = store_for(target)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("shards"),
        TimeElapsedColumn(),
    )
    try:
        # The bar goes to stderr (hidden with --json, whose stdout is one object).
        console = Console(stderr=True, quiet=as_json)
        with Progress(*columns, console=console) as progress:
            result = submitting.submit(
                source,
                store=store,
                upload=submitting.gcs_uploader(store.client),
                buckets=target.buckets,
                name=object_name,
                metadata=metadata,
                timeout=timeout,
                outdir=output,
                watch=submitting.ProgressWatch(progress),
                poll_seconds=POLL_SECONDS[target.is_local],
            )
    except InputError as err:
        fail(f"{err.message} [{err.code}]\nhint: {err.hint}", exits.REJECTED)
    except Exception as err:
        cloud_failure(err, target)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        typer.echo(submitting.summary(result))
    if result.exit_code == exits.PENDING:
        typer.echo(
            f"not finished after {timeout:.0f}s; the job goes on: "
            f"dropcast status {result.job_id} --wait --env {env}",
            err=True,
        )
    raise typer.Exit(result.exit_code)
