"""Contracts, ports and adapters shared by the dropcast services."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dropcast-common")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
