"""Rendering of results: the forecast CSV, the chart and the report."""
