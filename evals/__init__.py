"""Question sets, metrics, the eval runner and the benchmarks."""
