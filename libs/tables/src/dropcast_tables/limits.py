"""Guardrails: how much a single upload may ask of the ingest service.

Each cap has its own error code so a user (and an operator reading logs)
knows exactly which limit a file hit and what to do about it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from dropcast_common.errors import InputError


def _mib(value: int) -> str:
    return f"{value / (1024 * 1024):.1f} MiB"


class Limits(BaseModel):
    """Caps on one input; each breach has its own error code."""

    model_config = ConfigDict(frozen=True)

    max_bytes: int = 512 * 1024 * 1024
    max_decompressed_bytes: int = 2 * 1024 * 1024 * 1024
    max_rows: int = 20_000_000
    max_columns: int = 2_000
    max_series: int = 100_000
    max_line_bytes: int = 1024 * 1024

    def check_bytes(self, size: int, name: str) -> None:
        """Refuse a file larger than ``max_bytes`` before reading any of it.

        The one size check: the ingest service calls it with the size the
        notification gives (before downloading), sniff with the file's own.
        """
        if size > self.max_bytes:
            raise InputError(
                "file_too_large",
                f"{name} is {_mib(size)} ({size:,} bytes), more than the "
                f"{_mib(self.max_bytes)} one upload may be",
                "Split the file into several uploads (for example by series), or compress it "
                "as .csv.gz: the limit is on the uploaded size.",
                {"bytes": size, "limit": self.max_bytes},
            )

    def decompressed_too_large(self, name: str, seen: int) -> InputError:
        """The error for a compressed file that inflates past ``max_decompressed_bytes``."""
        return InputError(
            "decompressed_too_large",
            f"{name} inflates to more than {_mib(self.max_decompressed_bytes)} "
            f"(stopped after {_mib(seen)})",
            "Upload a smaller file or split it; compressed uploads are capped by their "
            "uncompressed size.",
            {"decompressed_bytes_seen": seen, "limit": self.max_decompressed_bytes},
        )

    def check_rows(self, rows: int, name: str) -> None:
        """Refuse a file with more than ``max_rows`` data rows."""
        if rows > self.max_rows:
            raise InputError(
                "too_many_rows",
                f"{name} has more than {self.max_rows:,} rows",
                "Split the file into several uploads or aggregate it to a coarser frequency.",
                {"rows": rows, "limit": self.max_rows},
            )

    def check_columns(self, columns: int, name: str) -> None:
        """Refuse a file with more than ``max_columns`` columns."""
        if columns > self.max_columns:
            raise InputError(
                "too_many_columns",
                f"{name} has {columns:,} columns, more than the limit of {self.max_columns:,}",
                "Write the file in long format (id, date, value) instead of one column per "
                "series, or select fewer value columns.",
                {"columns": columns, "limit": self.max_columns},
            )

    def check_series(self, series: int, name: str) -> None:
        """Refuse a file with more than ``max_series`` distinct series."""
        if series > self.max_series:
            raise InputError(
                "too_many_series",
                f"{name} has {series:,} series, more than the limit of {self.max_series:,}",
                "Split the series over several uploads, or check that id_columns names the "
                "column(s) that identify a series and not a per-row key.",
                {"series": series, "limit": self.max_series},
            )

    def line_too_long(self, name: str, line: int | None = None) -> InputError:
        """The error for a line longer than ``max_line_bytes``."""
        where = f" (line {line})" if line else ""
        return InputError(
            "line_too_long",
            f"{name} has a line longer than {self.max_line_bytes:,} bytes{where}",
            "Check that the file really is a table with one record per line (an unclosed "
            "quote makes the rest of the file one line).",
            {"limit": self.max_line_bytes, **({"line": line} if line else {})},
        )
