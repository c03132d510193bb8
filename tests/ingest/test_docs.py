"""docs/parameters.md keeps ONE table with every parameter, in the model's order."""

from __future__ import annotations

import re
from pathlib import Path

from dropcast_common.params import Params

DOC = Path(__file__).resolve().parents[2] / "docs" / "parameters.md"


def test_every_parameter_has_one_row_in_model_order() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(), re.M)
    assert rows == list(Params.model_fields)
