"""Run a plan, or print it (--dry-run), and write the release file last."""

from __future__ import annotations

import difflib
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from dropcast_cli.deploy.errors import CommandFailedError
from dropcast_cli.deploy.plan import PLACEHOLDER, Command, Plan
from dropcast_cli.deploy.release import release_path

# argv, capture stdout? -> (returncode, stdout)
Executor = Callable[[Sequence[str], bool], tuple[int, str]]


def subprocess_executor(root: Path) -> Executor:
    """Run commands in the repository root, streaming their output unless it is captured."""

    def run(argv: Sequence[str], capture: bool) -> tuple[int, str]:
        done = subprocess.run(
            list(argv),
            cwd=root,
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else None,
        )
        return done.returncode, done.stdout or ""

    return run


def release_diff(old: str, new: str, path: str) -> str:
    """Unified diff of a release file: what a deploy changes in what runs where."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{path} (committed)",
        tofile=f"{path} (after this deploy)",
    )
    return "".join(lines) or f"(no change to {path})\n"


def probe_executor(root: Path) -> Executor:
    """Run a read-only probe quietly: captured, bounded, a missing tool is a failure."""

    def run(argv: Sequence[str], capture: bool) -> tuple[int, str]:  # noqa: ARG001
        try:
            done = subprocess.run(
                list(argv), cwd=root, capture_output=True, text=True, check=False, timeout=120
            )
        except (OSError, subprocess.TimeoutExpired):
            return 127, ""
        return done.returncode, done.stdout

    return run


class Probes:
    """Answers ``skip_if`` once per distinct set of probes, for a whole plan."""

    def __init__(self, executor: Executor) -> None:
        self._executor = executor
        self._answers: dict[tuple[tuple[str, ...], ...], bool] = {}

    def satisfied(self, command: Command) -> bool:
        if not command.skip_if:
            return False
        if command.skip_if not in self._answers:
            self._answers[command.skip_if] = all(
                self._executor(probe, True)[0] == 0 for probe in command.skip_if
            )
        return self._answers[command.skip_if]


def show(plan: Plan, root: Path, out: TextIO, probe: Executor | None = None) -> None:
    """Print every command and the release file a plan would write; change nothing.

    Probes of skippable commands (read-only lookups, such as whether an image
    exists) do run, so the dry run shows the path a real run takes; a probe
    that names a value a dry run does not know (``<DROPCAST_PROJECT>``) is
    not asked.
    """
    rel = release_path(root, plan.environment).relative_to(root).as_posix()
    probes = Probes(probe or probe_executor(root))
    out.write(f"# {plan.name} (dry run: nothing is executed or written)\n")
    for note in plan.notes:
        out.write(f"# note: {note}\n")
    shown: tuple[tuple[str, ...], ...] = ()
    for number, command in enumerate(plan.commands, start=1):
        out.write(f"\n# {number}. {command.why}\n")
        if command.skip_if:
            if command.skip_if != shown:  # a run of steps shares its probes: say them once
                for argv in command.skip_if:
                    out.write(f"#    unless this succeeds: {shlex.join(argv)}\n")
                shown = command.skip_if
            if any(_unknown(argv) for argv in command.skip_if):
                out.write("#    (not asked: the project is not known in this dry run)\n")
            elif probes.satisfied(command):
                out.write(f"# skipped: {command.skip_why}\n")
                continue
            else:
                out.write("#    (asked now: not there, so a real run runs this)\n")
        suffix = f"    # stdout -> <<{command.capture}>>" if command.capture else ""
        out.write(f"{shlex.join(command.argv)}{suffix}\n")
    out.write(f"\n# then write {rel}:\n{plan.release_text}")
    old = _read(release_path(root, plan.environment))
    out.write(f"\n# diff of {rel}:\n{release_diff(old, plan.release_text, rel)}")


def execute(plan: Plan, root: Path, out: TextIO, executor: Executor | None = None) -> Path:
    """Run every command in order; after the last one succeeds, write the release file.

    A failing command stops the run before the release file is written, so
    the committed file keeps describing what last deployed successfully.
    """
    executor = executor or subprocess_executor(root)
    probes = Probes(executor)
    values: dict[str, str] = {}
    for number, command in enumerate(plan.commands, start=1):
        if probes.satisfied(command):
            out.write(f"\n# {number}/{len(plan.commands)} skipped: {command.skip_why}\n")
            continue
        argv = command.render(values)
        out.write(f"\n# {number}/{len(plan.commands)} {command.why}\n$ {shlex.join(argv)}\n")
        out.flush()
        code, stdout = executor(argv, command.capture is not None)
        if code != 0:
            raise CommandFailedError(argv, code)
        if command.capture is not None:
            values[command.capture] = stdout.strip()
    release = plan.release_for(values)
    path = release_path(root, plan.environment)
    old = _read(path)
    new = release.to_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    rel = path.relative_to(root).as_posix()
    out.write(f"\n# wrote {rel}; commit it:\n{release_diff(old, new, rel)}")
    return path


def _unknown(argv: Sequence[str]) -> bool:
    """Does a probe name a value only a real run knows (a dry run's <PLACEHOLDER>)?"""
    return any("<" in arg and ">" in arg for arg in argv) or any(
        PLACEHOLDER.search(arg) for arg in argv
    )


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
