"""The rules and the git hooks that apply them: `check` (fresh, bumped, immutable, whole), the lean
pre-commit / pre-merge-commit / pre-push hook, hook installation, and CI's `--verify-objects`.

May import: gitmodel.registry, gitmodel.storage, gitmodel.repo, gitmodel.model, gitmodel.infra.
The hook path (hook.py) must stay lean: no typer, rich, GitPython or DVC.
"""
