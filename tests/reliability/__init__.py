"""Reliability across layers: bad input, concurrent runs, kill -9, fuzzing."""
