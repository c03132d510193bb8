"""The ``dropcast`` command."""

from __future__ import annotations

import os
import shlex
import time
from pathlib import Path
from typing import Annotated

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


@app.command()
def status(
    ref: Annotated[str, typer.Argument(help="Job id, uploaded object name or gs:// URI")],
    wait: Annotated[bool, typer.Option(help="Wait until the job is done or failed")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait with --wait")] = 300.0,
    home: Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")] = None,
) -> None:
    """Show a job's status on the local stack (exit 0 done, 1 failed, 3 not finished)."""
    from dropcast_cli import jobs
    from dropcast_common.storage import GcsBlobStore

    try:
        info = stack.read(home)
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    os.environ.update(info.env())
    store = GcsBlobStore(project=info.project)
    try:
        job = jobs.resolve_job(store, info.buckets["input"], ref)
    except LookupError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    deadline = time.monotonic() + (timeout if wait else 0)
    while True:
        current = jobs.job_status(store, info.buckets["staging"], job)
        final = current is not None and current.state in ("done", "failed")
        if final or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if current is None:
        typer.echo(f"{job}  not accepted yet (no status)")
        raise typer.Exit(3)
    typer.echo(jobs.describe(current))
    raise typer.Exit({"done": 0, "failed": 1}.get(current.state, 3))


@app.command()
def forecast(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV to forecast")],
    outdir: Annotated[Path, typer.Option("--output", "-o", help="Output directory")] = Path(),
    param: ParamOption = None,
) -> None:
    """Forecast a file in this process, no emulators: writes OUTDIR/<stem>.csv (exit 2 if bad)."""
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
) -> None:
    """Start the stack, upload SOURCE, wait for its forecast, print it, stop the stack."""
    from dropcast_cli import localclient

    started = time.monotonic()
    try:
        info = stack.up()
        typer.echo(f"stack up in {time.monotonic() - started:.1f}s")
        uploaded = localclient.upload(info, source, source.name)
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
