"""Untrusted names and strings, made safe where they leave dropcast.

Object names, parameter values and series ids come from whoever can upload
a file. Three places would let them do harm, and each has one function:

- output names (:func:`safe_object_stem`, :func:`unsafe_name_reason`,
  :func:`safe_local_path`): never a path outside the output prefix or the
  output directory, whatever ``..``, ``/``, control characters or odd
  Unicode the name holds;
- CSV cells (:func:`safe_csv_cell`): a series id that a spreadsheet
  would run as a formula is prefixed with ``'``.

Log lines are escaped by :mod:`dropcast_common.logs` itself; chart text
is drawn with ``parse_math=False`` (``dropcast_forecasting.render.chart``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from dropcast_common.errors import InputError

# GCS allows 1024 bytes per object name; leave room for an output prefix and
# the longest output suffix (".report.json").
MAX_NAME_BYTES = 900
# Filesystems cap one path component at 255 bytes; fake-gcs-server stores
# objects as files, and users download outputs into directories.
MAX_SEGMENT_BYTES = 200
_HASH_LEN = 8
# Control, format (bidi overrides, zero-width), surrogate, private-use,
# unassigned, and line/paragraph separators: invisible or line-breaking.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Backslash is a separator on Windows; the rest are refused by Windows file names.
_UNSAFE_LOCAL = frozenset('\\<>:"|?*')
# Spreadsheets run a cell starting with these as a formula (OWASP CSV
# injection), including the full-width forms some of them accept; a leading
# line break may hide one on the cell's second line.
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _unsafe_char(ch: str) -> bool:
    return ch == "\\" or unicodedata.category(ch) in _UNSAFE_CATEGORIES


def _truncate(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8", "surrogatepass")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", "ignore")


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_LEN]


def safe_object_stem(name: str) -> str:
    """A relative object name made from ``name`` that cannot leave its prefix.

    Control and invisible characters and backslashes become ``_``; empty,
    ``.`` and ``..`` segments (and so a leading ``/``) are dropped; long
    segments and names are cut. A name that needed any of that gets
    ``-<hash of the original>`` appended, so two different unsafe names
    never share (and, with create-only writes, silently lose) outputs.
    Ordinary names come back unchanged.
    """
    return _safe_stem(name, frozenset())


def _safe_stem(name: str, also_unsafe: frozenset[str]) -> str:
    cleaned = "".join("_" if ch in also_unsafe or _unsafe_char(ch) else ch for ch in name)
    budget = MAX_SEGMENT_BYTES - _HASH_LEN - 1
    segments = [_truncate(s, budget) for s in cleaned.split("/") if s not in ("", ".", "..")]
    stem = _truncate("/".join(segments), MAX_NAME_BYTES - _HASH_LEN - 1).rstrip("/")
    if stem and stem == name:
        return stem
    return f"{stem}-{_digest(name)}" if stem else f"unnamed-{_digest(name)}"


def unsafe_name_reason(name: str) -> str | None:
    """Why a user-chosen output name (e.g. ``output_name``) is refused, or None if it is fine.

    Stricter than :func:`safe_object_stem`: a person chose this name, so
    they are told what to change instead of having it changed.
    """
    if not name.strip():
        return "it is empty"
    if name.startswith("/"):
        return "it starts with '/'; give a path relative to the output bucket"
    bad = sorted({f"U+{ord(ch):04X}" for ch in name if _unsafe_char(ch)})
    if bad:
        return f"it contains control, invisible or backslash characters ({', '.join(bad[:5])})"
    segments = name.split("/")
    if any(s in (".", "..") for s in segments):
        return "it contains a '.' or '..' path segment"
    if any(s == "" for s in segments):
        return "it contains an empty path segment ('//' or a trailing '/')"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    if any(len(s.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES for s in segments):
        return f"a path segment is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def safe_local_path(directory: Path, filename: str) -> Path:
    """``directory / filename`` for an untrusted file name, guaranteed inside ``directory``.

    The name is made one file name, never a path: separators, control and
    invisible characters and those Windows refuses become ``_``, ``.`` and
    ``..`` are replaced, and a long name is cut before its extension.
    Raises InputError(``unsafe_output_path``) if the file would still land
    elsewhere, e.g. through a symbolic link already in the directory.
    """
    flat = "".join(
        "_" if ch in _UNSAFE_LOCAL or ch == "/" or _unsafe_char(ch) else ch for ch in filename
    )
    if flat in ("", ".", ".."):
        flat = f"unnamed-{_digest(filename)}"
    if len(flat.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
        base, dot, ext = flat.rpartition(".")
        if not dot or len(ext) > 16:
            base, ext = flat, ""
        tail = f"-{_digest(filename)}{dot if ext else ''}{ext}"
        flat = _truncate(base, MAX_SEGMENT_BYTES - len(tail.encode())) + tail
    path = directory / flat
    if path.resolve().parent != directory.resolve():
        raise InputError(
            "unsafe_output_path",
            f"the output file {path.name!r} would be written outside {directory}",
            "Remove the symbolic link in the output directory, or choose another directory.",
            {"name": path.name, "directory": str(directory)},
        )
    return path


def safe_csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will show as text, never run as a formula.

    Cells starting with ``= + - @``, tab or a line break get a leading
    ``'`` (OWASP's advice); plain numbers such as ``-5`` are left alone
    because they cannot execute. A bare carriage return inside the cell
    becomes a newline: CSV writers ending lines with ``\\n`` leave ``\\r``
    unquoted, and readers that split rows on it would start a new row — and
    a new, unneutralised first cell — there.
    """
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if value and value[0] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
