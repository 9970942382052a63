"""Infrastructure every layer may use, and which knows nothing of models: errors and exit codes, YAML and
atomic file writes (fileio), hashing with its stat-keyed cache, the on-disk caches, shipped resources.

May import: the standard library and third-party libraries only — nothing else of gitmodel.
A new helper for files, hashing, caching or errors goes here, once.
"""
