"""dropcast forecast: work message in, forecast, chart and report out.

The service shell around the forecasting core (``dropcast_forecasting.engine``):
routes, settings, wiring, staging I/O and assembly. It imports
``dropcast_common`` and ``dropcast_forecasting``; never the ingest service.
"""
