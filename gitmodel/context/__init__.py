"""A model version's reproducibility context: environment record and drift, input/output schema and
sample validation, weights formats, MLflow import, container labels.

May import: gitmodel.registry, gitmodel.storage, gitmodel.repo, gitmodel.model, gitmodel.infra.
"""
