"""gate/: the rules (check) and the git hooks, pre-push included."""
