"""review/: diff, deltas, renderers and tables, status views, model cards."""
