"""The ``dropcast`` command."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from dropcast_cli import stack
from dropcast_cli.procs import StackError

app = typer.Typer(
    name="dropcast",
    help="Drop a CSV in a bucket, get a forecast back. Local stack, one-shot runs, deploys.",
    no_args_is_help=True,
    add_completion=False,
)

ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Parameter as name=value (see the README's table)."),
]


@app.command()
def up(
    home: Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")] = None,
) -> None:
    """Start the local stack (emulators and both services) on 127.0.0.1."""
    try:
        info = stack.up(home)
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(
        f"local stack up: storage {info.storage_emulator_host}, pubsub {info.pubsub_emulator_host}"
    )
    for name, url in info.services.items():
        typer.echo(f"  {name:<9} {url}")
    typer.echo(f"  input bucket gs://{info.buckets['input']}  (details: {stack.stack_file(home)})")


@app.command()
def down(
    home: Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")] = None,
) -> None:
    """Stop the local stack and every process it started."""
    stopped = stack.down(home)
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no local stack was running")


@app.command()
def env(
    home: Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")] = None,
) -> None:
    """Print shell exports that point gcloud, gsutil and the client libraries at the stack.

    Use as ``eval "$(dropcast env)"``.
    """
    try:
        info = stack.read(home)
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    exports = {
        **info.env(),
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE": f"{info.storage_emulator_host}/storage/v1/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": info.project,
    }
    for key, value in exports.items():
        typer.echo(f"export {key}={shlex.quote(value)}")


EnvOption = Annotated[
    str, typer.Option("--env", "-e", help="local (the stack of `dropcast up`), dev or prod")
]
ProjectOption = Annotated[
    str | None,
    typer.Option(help="Project of a deployed env (default $DROPCAST_PROJECT)", show_default=False),
]
OutputsOption = Annotated[
    Path | None,
    typer.Option(
        help="`terraform -chdir=terraform/envs/ENV output -json` saved to a file: exact bucket "
        "names of a deployed env",
        show_default=False,
    ),
]
HomeOption = Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")]


def _target(env: str, home: Path | None, project: str | None, outputs: Path | None) -> Any:
    """The environment to talk to, with the clients pointed at it; exits 1 if it can't be found."""
    from dropcast_cli import targets

    try:
        target = targets.resolve(
            env, home=home, project=project, outputs=outputs, environ=os.environ
        )
    except targets.TargetError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    os.environ.update(target.client_env)
    return target


def _store(target: Any) -> Any:
    """A blob store on the target's project (anonymous on the emulators, ADC in the cloud)."""
    from dropcast_common.storage import GcsBlobStore

    return GcsBlobStore(project=target.project or None)


@app.command()
def status(
    ref: Annotated[str, typer.Argument(help="Job id, uploaded object name or gs:// URI")],
    wait: Annotated[bool, typer.Option(help="Wait until the job is done or failed")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait")] = 300.0,
    home: HomeOption = None,
    env: EnvOption = "local",
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Show a job's status (exit 0 done, 1 failed, 3 not finished)."""
    from dropcast_cli import jobs

    target = _target(env, home, project, outputs)
    store = _store(target)
    try:
        job = jobs.resolve_job(store, target.buckets["input"], ref)
        deadline = time.monotonic() + (timeout if wait else 0)
        while True:
            current = jobs.job_status(store, target.buckets["staging"], job)
            final = current is not None and current.state in ("done", "failed")
            if final or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
    except LookupError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    except Exception as err:
        _cloud_failure(err, target)
    if current is None:
        typer.echo(f"{job}  not accepted yet (no status)")
        raise typer.Exit(3)
    typer.echo(jobs.describe(current))
    raise typer.Exit({"done": 0, "failed": 1}.get(current.state, 3))


def _cloud_failure(err: Exception, target: Any) -> NoReturn:
    """Turn a client failure (no credentials, no bucket, no access) into one actionable line."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    from dropcast_common.errors import DropcastError

    if isinstance(err, auth_exc.DefaultCredentialsError):
        message = (
            "no Google credentials: run `gcloud auth application-default login` "
            "(or set GOOGLE_APPLICATION_CREDENTIALS)"
        )
    elif target.is_local and isinstance(err, gexc.GoogleAPIError | DropcastError | OSError):
        message = f"{err}\n  is the local stack still running? (`dropcast up`)"
    elif isinstance(err, gexc.NotFound | gexc.Forbidden | DropcastError):
        message = (
            f"{err}\n  the {target.env} buckets ({', '.join(target.buckets.values())}) come "
            f"from {target.origin}: is {target.env} deployed there, and may you use it?"
        )
    elif isinstance(err, gexc.GoogleAPIError | auth_exc.GoogleAuthError | OSError):
        message = str(err)
    else:
        raise err
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1) from err


@app.command()
def submit(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="File to forecast")],
    param: ParamOption = None,
    env: EnvOption = "local",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the job")] = 600.0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to save the outputs (default: next to FILE)"),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Object name in the input bucket (default: FILE's name)"),
    ] = None,
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
    except InputError as err:
        typer.echo(
            f"rejected before upload: {err.message} [{err.code}]\nhint: {err.hint}", err=True
        )
        raise typer.Exit(submitting.EXIT_REJECTED) from err
    target = _target(env, home, project, outputs)
    store = _store(target)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("shards"),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, console=Console(stderr=True)) as progress:
            result = submitting.submit(
                source,
                store=store,
                upload=submitting.gcs_uploader(store.client),
                buckets=target.buckets,
                name=object_name,
                metadata=metadata,
                timeout=timeout,
                outdir=output or source.parent,
                watch=submitting.ProgressWatch(progress),
                poll_seconds=0.5 if target.is_local else 2.0,
            )
    except Exception as err:
        _cloud_failure(err, target)
    typer.echo(submitting.summary(result))
    if result.exit_code == submitting.EXIT_PENDING:
        typer.echo(
            f"not finished after {timeout:.0f}s; the job goes on: "
            f"dropcast status {result.job_id} --wait --env {env}",
            err=True,
        )
    raise typer.Exit(result.exit_code)


@app.command()
def logs(
    service: Annotated[
        list[str] | None,
        typer.Option(help="ingest or forecast (repeatable; default both)", show_default=False),
    ] = None,
    job: Annotated[
        str | None,
        typer.Option(help="Only this job: job id, uploaded object name or gs:// URI"),
    ] = None,
    env: EnvOption = "local",
    run: Annotated[
        bool, typer.Option("--run", help="Cloud: run the gcloud command instead of printing it")
    ] = False,
    freshness: Annotated[str, typer.Option(help="Cloud: how far back to look")] = "1d",
    home: HomeOption = None,
    project: ProjectOption = None,
    outputs: OutputsOption = None,
) -> None:
    """Show the services' logs (of one job). Local: the stack's log files; cloud: gcloud."""
    import subprocess

    from dropcast_cli import joblogs, jobs
    from dropcast_cli.targets import SERVICES

    services = service or list(SERVICES)
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        typer.echo(f"error: unknown service {', '.join(unknown)}: use ingest or forecast", err=True)
        raise typer.Exit(1)
    target = _target(env, home, project, outputs)
    job_id = job
    if job is not None and not jobs.JOB_ID.match(job):
        try:
            job_id = jobs.resolve_job(_store(target), target.buckets["input"], job)
        except LookupError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from err
        except Exception as err:
            _cloud_failure(err, target)
    if target.is_local:
        for line in joblogs.local_lines(target, services, job_id):
            typer.echo(line)
        return
    argv = joblogs.gcloud_command(target, services, job_id, freshness)
    if not run:
        typer.echo(joblogs.shell_line(argv))
        return
    try:
        done = subprocess.run(argv, check=False)
    except OSError as err:
        typer.echo(f"error: cannot run gcloud ({err}); install the gcloud CLI", err=True)
        raise typer.Exit(1) from err
    raise typer.Exit(done.returncode)


@app.command()
def forecast(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV to forecast")],
    outdir: Annotated[
        Path, typer.Option("--output", "-o", help="Output directory (default: ./forecasts)")
    ] = Path("forecasts"),
    param: ParamOption = None,
) -> None:
    """Forecast a file in this process, no emulators: OUTDIR/<stem>.csv, .png, .report.json.

    A file dropcast cannot read gives OUTDIR/<stem>.error.json and exit code 2.
    """
    from dropcast_cli import oneshot

    result = oneshot.run(source, outdir, param or [])
    for path in result.outputs:
        typer.echo(f"wrote {path}")
    if result.error is not None:
        typer.echo(
            f"rejected: {result.error.message} [{result.error.code}]\nhint: {result.error.hint}",
            err=True,
        )
        raise typer.Exit(2)


@app.command()
def demo(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV to upload")],
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the output")] = 120.0,
    expect: Annotated[
        Path | None, typer.Option(help="A reference forecast CSV to compare with (MAPE)")
    ] = None,
    param: ParamOption = None,
) -> None:
    """Start the stack, upload SOURCE, wait for its forecast, print it, stop the stack."""
    from dropcast_cli import localclient
    from dropcast_common.params import METADATA_PREFIX, from_pairs

    metadata = {f"{METADATA_PREFIX}{k}": v for k, v in from_pairs(param or []).items()}

    started = time.monotonic()
    try:
        info = stack.up()
        typer.echo(f"stack up in {time.monotonic() - started:.1f}s")
        uploaded = localclient.upload(info, source, source.name, metadata)
        typer.echo(f"uploaded {source} to {uploaded}")
        t0 = time.monotonic()
        name, body = localclient.wait_for_output(info, source.name, timeout)
        typer.echo(
            f"output gs://{info.buckets['output']}/{name} after {time.monotonic() - t0:.1f}s:\n"
        )
        lines = body.decode().splitlines()
        typer.echo("\n".join(lines[:8]))
        if name.endswith(".error.json"):
            raise typer.Exit(2)
        typer.echo(f"... ({len(lines) - 1} rows)")
        if expect is not None:
            error = localclient.mape(body, expect)
            typer.echo(f"MAPE against {expect.name}: {error:.3f} %")
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    finally:
        stack.down()


def main() -> None:
    """Console entry point."""
    app()
