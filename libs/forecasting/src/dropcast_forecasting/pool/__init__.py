"""Processes and CPUs: the worker pool that fits series in parallel."""
