"""registry/: release, stage and approval tags, and GTO reading them."""
