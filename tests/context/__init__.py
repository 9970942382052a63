"""context/: environment, input samples, MLflow import, container labels."""
