"""dropcast forecast: work message in, Prophet forecast, chart and report out."""
