"""Analysis of practice data: pure pandas/numpy, no Flask, unit-tested."""
