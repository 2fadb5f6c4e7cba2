"""Benchmarks: scripts that print their numbers, not timed tests."""
