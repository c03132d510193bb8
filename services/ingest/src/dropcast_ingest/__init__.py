"""dropcast ingest: storage notification in, canonical Parquet and work messages out.

The service shell around the reading core (``dropcast_tables.normalise``):
routes, settings, wiring and I/O. It imports ``dropcast_common`` and
``dropcast_tables``; never the forecast service.
"""
