"""The README carries the one parameter table, identical to docs/parameters.md's, in model order."""

from __future__ import annotations

import re
from pathlib import Path

from dropcast_common.params import Params

REPO = Path(__file__).resolve().parents[2]


def table(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^\| `[a-z_]+` \|", line)]


def test_readme_table_matches_the_model_and_the_docs() -> None:
    readme = table((REPO / "README.md").read_text())
    assert [re.match(r"^\| `([a-z_]+)`", row).group(1) for row in readme] == list(  # type: ignore[union-attr]
        Params.model_fields
    )
    assert readme == table((REPO / "docs" / "parameters.md").read_text())
