"""Benchmarks: throughput and memory, run by ``make bench``; never timed tests."""
