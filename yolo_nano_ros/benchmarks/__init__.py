"""Benchmarks: commands that measure, never tests that time (docs/benchmarks.md records results)."""
