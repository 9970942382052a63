"""workspace/: init, add and bump, and adopting an existing repository."""
