"""Benchmarks: API calls and wall time against the rate-limit bound."""
