"""The ``dropcast`` command.

Each command imports what it uses when it runs, not here: ``dropcast
forecast`` should not pay for the local stack's, the job commands' or the
deploy's modules (a tenth of a CPU-second or more per run), which
``tests/cli/test_command_imports.py`` checks. The commands' signatures stay
here, so ``dropcast --help`` lists every command.
"""

from __future__ import annotations

import gc
import os
import shlex
import time
from pathlib import Path
from typing import Annotated

import typer

from dropcast_cli import exits, jobcommands
from dropcast_cli.deploy.cli import deploy_app
from dropcast_cli.options import DEFAULT_OUTDIR, OutdirOption, ParamOption, TimeoutOption

app = typer.Typer(
    name="dropcast",
    help="Drop a CSV in a bucket, get a forecast back. Local stack, one-shot runs, deploys.\n\n"
    "Exit codes, the same for every command: 0 done, 1 failed, 2 rejected (the message says "
    "how to fix it), 3 not finished yet, 4 no such job, 5 superseded by a newer upload.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(wanted: bool) -> None:
    if wanted:
        from importlib.metadata import version

        typer.echo(f"dropcast {version('dropcast-cli')}")
        raise typer.Exit()


@app.callback()
def main_options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """Drop a CSV in a bucket, get a forecast back."""


app.command("submit")(jobcommands.submit)
app.command("status")(jobcommands.status)
app.command("jobs")(jobcommands.jobs_command)
app.command("logs")(jobcommands.logs)
app.command("fetch")(jobcommands.fetch)
app.command("retry")(jobcommands.retry)
app.add_typer(deploy_app)


@app.command()
def up(
    home: Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")] = None,
) -> None:
    """Start the local stack (emulators and both services) on 127.0.0.1."""
    from dropcast_cli import stack
    from dropcast_cli.procs import StackError

    try:
        info = stack.up(home)
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(exits.FAILED) from err
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
    from dropcast_cli import stack

    stopped = stack.down(home)
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no local stack was running")


@app.command()
def env(
    home: Annotated[Path | None, typer.Option(help="State directory (default .dropcast)")] = None,
) -> None:
    """Print shell exports that point gcloud storage and the client libraries at the stack.

    Use as ``eval "$(dropcast env)"``. Not gsutil: its JSON API speaks https only and the
    storage emulator serves http; use ``gcloud storage cp`` locally.
    """
    from dropcast_cli import stack
    from dropcast_cli.procs import StackError

    try:
        info = stack.read(home)
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(exits.FAILED) from err
    exports = {
        **info.env(),
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE": f"{info.storage_emulator_host}/storage/v1/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": info.project,
    }
    for key, value in exports.items():
        typer.echo(f"export {key}={shlex.quote(value)}")


@app.command()
def forecast(
    source: Annotated[
        Path, typer.Argument(metavar="FILE", exists=True, dir_okay=False, help="CSV to forecast")
    ],
    outdir: OutdirOption = DEFAULT_OUTDIR,
    param: ParamOption = None,
) -> None:
    """Forecast FILE in this process, no emulators: <stem>.csv, .png, .report.json in --output.

    A file dropcast cannot read gives <stem>.error.json and exit code 2.
    """
    from dropcast_cli import oneshot

    result = oneshot.run(source, outdir, param or [])
    for path in result.outputs:
        typer.echo(f"wrote {path}")
    for line in result.warnings:
        typer.echo(line, err=True)
    if result.error is not None:
        typer.echo(
            f"rejected: {result.error.message} [{result.error.code}]\nhint: {result.error.hint}",
            err=True,
        )
        raise typer.Exit(exits.REJECTED)


@app.command()
def demo(
    source: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV to upload")],
    timeout: TimeoutOption = exits.DEFAULT_TIMEOUT_SECONDS,
    expect: Annotated[
        Path | None, typer.Option(help="A reference forecast CSV to compare with (MAPE)")
    ] = None,
    param: ParamOption = None,
) -> None:
    """Start the stack, upload SOURCE, wait for its forecast, print it, stop the stack."""
    from dropcast_cli import localclient, stack
    from dropcast_cli.procs import StackError
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
            raise typer.Exit(exits.REJECTED)
        typer.echo(f"... ({len(lines) - 1} rows)")
        if expect is not None:
            error = localclient.mape(body, expect)
            typer.echo(f"MAPE against {expect.name}: {error:.3f} %")
    except StackError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(exits.FAILED) from err
    finally:
        stack.down()


# One command per process, whose imports (pandas, matplotlib) create most of
# the objects it will ever hold: with Python's default thresholds (700, 10,
# 10) the collector scanned them all two or three times over, 0.15-0.3 CPU-s
# of a ``dropcast forecast``; these take a third of that, at the same peak
# memory. Forked pool workers inherit them (their CPU and memory unchanged).
GC_THRESHOLDS = (10_000, 50, 100)


def main() -> None:
    """Console entry point."""
    gc.set_threshold(*GC_THRESHOLDS)
    # Before numpy is imported: OpenBLAS would start a thread per CPU at its
    # import (0.05 CPU-s), which the fits never use (native.solver limits
    # BLAS to one thread; the pool runs one worker per CPU). A user's own
    # setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app()
    finally:
        # The interpreter's shutdown collects garbage over every object the
        # command still holds (pandas', matplotlib's, the forecasts): a tenth
        # to a sixth of a ``dropcast forecast``'s CPU for B1's file (0.2-0.35
        # of about 2 CPU-s), to free memory the exit returns anyway. Frozen
        # objects are left out of those collections; atexit handlers and
        # flushing still run.
        gc.freeze()
