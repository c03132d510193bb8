"""Manifests: a ``*.dropcast.json`` upload that names its data, output and parameters.

::

    {
      "input": "sales/2024.csv",            // or ["a.csv", "b.csv"]; relative to the manifest
      "output": "forecasts/sales-2024",     // optional: output path without extension
      "params": {"horizon": 14, "frequency": "D"}
    }

Input names are object names in the input bucket, relative to the
manifest's folder unless they start with ``/`` (bucket root). Data that a
manifest reads should not also be forecast on its own: upload it under a
folder or file name that starts with ``_`` (``_data/sales.csv``), which the
upload trigger skips, as Spark and Hadoop skip ``_``-prefixed paths.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dropcast_common import naming
from dropcast_common.errors import InputError
from dropcast_common.table import DEFAULT_SERIES_ID
from dropcast_tables.normalise import Normalised

MAX_INPUTS = 50
MAX_MANIFEST_BYTES = 64 * 1024


class Manifest(BaseModel):
    """The parsed manifest; unknown keys are refused so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: tuple[str, ...] = Field(min_length=1, max_length=MAX_INPUTS)
    output: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("input", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("input")
    @classmethod
    def _names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if not name.strip() or name.endswith("/"):
                raise ValueError(f"input {name!r} is not an object name")
            if ".." in name.split("/") or name.lower().endswith(".dropcast.json"):
                raise ValueError(f"input {name!r} may not leave the bucket or name a manifest")
        return value

    @field_validator("output")
    @classmethod
    def _output(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or ".." in value.split("/")):
            raise ValueError(f"output {value!r} is not a usable path")
        return value.strip("/") if value else value

    def inputs(self, manifest_name: str) -> list[str]:
        """Object names of the inputs, resolved against the manifest's folder."""
        folder = posixpath.dirname(manifest_name)
        return [
            n.lstrip("/") if n.startswith("/") else posixpath.join(folder, n) for n in self.input
        ]


def parse(data: bytes, name: str) -> Manifest:
    """Parse manifest bytes; every problem is an InputError with where and how to fix it."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise InputError(
            "manifest_too_large",
            f"manifest {name} is {len(data):,} bytes, more than {MAX_MANIFEST_BYTES:,}",
            "A manifest only names inputs, an output and parameters: keep it small.",
            {"bytes": len(data), "limit": MAX_MANIFEST_BYTES},
        )
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(
            "manifest_invalid_json",
            f"manifest {name} is not UTF-8 text",
            "Save the manifest as UTF-8 JSON.",
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            "manifest_invalid_json",
            f"manifest {name} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}",
            'Fix the JSON at that position (e.g. {"input": "data.csv", "params": '
            '{"horizon": 14}}); trailing commas and comments are not allowed.',
            {"line": exc.lineno, "column": exc.colno},
        ) from exc
    if not isinstance(raw, dict):
        raise InputError(
            "manifest_invalid",
            f"manifest {name} must be a JSON object, not {type(raw).__name__}",
            'Write an object such as {"input": "data.csv", "params": {"horizon": 14}}.',
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise InputError(
            "manifest_invalid",
            f"manifest {name}: {field}: {err['msg']}",
            "A manifest has the keys input (a name or a list of names), output (optional) "
            "and params (optional object of parameters); see docs/parameters.md.",
            {"field": field},
        ) from exc


def is_manifest_input(name: str) -> bool:
    """Whether an object is data kept for manifests (a ``_``-prefixed file or folder)."""
    return any(part.startswith("_") for part in name.split("/"))


def combine(parts: list[tuple[str, Normalised]]) -> Normalised:
    """One job's table from several inputs: series ids are prefixed with each input's stem.

    A single input is passed through unchanged, so a manifest naming one
    file produces exactly what uploading that file would.
    """
    if len(parts) == 1:
        return parts[0][1]
    frames, quality, frequencies = [], {}, {}
    for name, result in parts:
        stem = posixpath.basename(naming.output_stem(name))
        ids = {
            sid: stem if sid == DEFAULT_SERIES_ID else f"{stem}/{sid}" for sid in result.frequencies
        }
        frames.append(result.frame.assign(series_id=result.frame["series_id"].map(ids)))
        frequencies.update({ids[sid]: freq for sid, freq in result.frequencies.items()})
        quality[name] = result.quality
    frame = pd.concat(frames, ignore_index=True)
    if frame.duplicated(["series_id", "ds"]).any():
        raise InputError(
            "manifest_series_clash",
            "two inputs of the manifest give the same series id",
            "Give the manifest's input files different names (each file's name becomes the "
            "prefix of its series ids).",
            {"inputs": [name for name, _ in parts]},
        )
    frame = frame.sort_values(["series_id", "ds"], kind="stable", ignore_index=True)
    return Normalised(frame, {"inputs": quality}, frequencies)
