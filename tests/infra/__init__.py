"""infra/: errors, file writes, hashing, the caches, progress callbacks, records."""
