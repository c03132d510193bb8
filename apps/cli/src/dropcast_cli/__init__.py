"""The dropcast command: local stack, one-shot forecasts, submit, status, deploy.

It imports the libraries (``dropcast_common``, ``dropcast_tables``,
``dropcast_forecasting``); never a service, which the local stack runs as
processes.
"""
