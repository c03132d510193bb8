"""Run a plan, or print it (--dry-run), and write the release file last."""

from __future__ import annotations

import difflib
import shlex
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from dropcast_cli.deploy.errors import CommandFailedError
from dropcast_cli.deploy.plan import Plan
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


def show(plan: Plan, root: Path, out: TextIO) -> None:
    """Print every command and the release file a plan would write; touch nothing."""
    rel = release_path(root, plan.environment).relative_to(root).as_posix()
    out.write(f"# {plan.name} (dry run: nothing is executed or written)\n")
    for note in plan.notes:
        out.write(f"# note: {note}\n")
    for number, command in enumerate(plan.commands, start=1):
        out.write(f"\n# {number}. {command.why}\n")
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
    values: dict[str, str] = {}
    for number, command in enumerate(plan.commands, start=1):
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


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""
