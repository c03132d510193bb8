"""dropcast ingest: storage notification in, canonical Parquet and work messages out."""
