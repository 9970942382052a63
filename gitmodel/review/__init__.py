"""What a person reads: manifest diffs and their deltas, one renderer per output format (Markdown, text,
JSON), the registry views (ls, status; `show` reads a reference: repo/refs.py), model cards and metric trends.

May import: gitmodel.gate, gitmodel.registry, gitmodel.storage, gitmodel.repo, gitmodel.model, gitmodel.infra.
A new output format is a renderer in render.py; its tables come from tables.py (one renderer per table format).
"""
