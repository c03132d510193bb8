"""dropcast's pure forecasting core: series in, forecasts, chart and report out.

``engine`` is the entry point; ``render/`` writes the CSV, chart and report;
``pool/`` spreads series over processes and CPUs. It may import
``dropcast_common``'s contracts and errors and the numeric libraries; never
a cloud client, a web framework or a service.
"""
