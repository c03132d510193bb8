"""Contracts, ports and adapters shared by the dropcast services.

What crosses a boundary (push envelopes, work messages, parameters, the
canonical table, reports, job status, object names, IAM needs) is defined
here once. It may import the cloud clients (lazily, inside adapters) and
pydantic; never a service, a core, the CLI or the benchmarks.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dropcast-common")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"
