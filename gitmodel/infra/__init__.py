"""Infrastructure every layer may use, and which knows nothing of models: errors and exit codes, YAML and
atomic file writes (fileio.atomic_write, the only one), hashing with its stat-keyed cache, the JSON caches
under .git/gitmodel (cache: one loader and saver, stamped with the version in version.py), the progress
callback type (progress: the domain reports, only the CLI draws), shipped resources.

May import: the standard library and third-party libraries only — nothing else of gitmodel.
A new helper for files, hashing, caching or errors goes here, once.
"""
