"""What ships: the wheel, the CI templates, the benchmark harness's smoke run."""
