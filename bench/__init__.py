"""Benchmarks (``make bench``): performance targets reported as ratios in the same run."""
