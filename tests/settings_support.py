"""Test helper: the bucket settings every service needs, typed for ``Settings(**buckets)``.

A plain dict splatted into a pydantic-settings class hides from mypy which
keyword arguments it fills; a TypedDict names them, so the call is checked.
"""

from __future__ import annotations

from typing import TypedDict


class Buckets(TypedDict):
    """The three buckets of ``CommonSettings``."""

    input_bucket: str
    staging_bucket: str
    output_bucket: str


BUCKETS: Buckets = {"input_bucket": "in", "staging_bucket": "stage", "output_bucket": "out"}
