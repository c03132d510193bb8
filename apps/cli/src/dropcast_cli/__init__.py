"""The dropcast command: local stack, one-shot forecasts, submit, status, deploy."""
