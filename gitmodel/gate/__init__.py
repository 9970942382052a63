"""The rules and the git hooks that apply them: `check` (fresh, bumped, immutable, whole), the lean
pre-commit / pre-merge-commit / pre-push hook, hook installation, and CI's `--verify-objects`.
`hook_index.py` maps changed paths to the models they concern (HEAD's pins, kept by git's ids): the hook,
`check --staged` and `check --base` judge only those.
`judged.py` keeps what `check` found for each work-tree model, so `status`, `ls` and `check` on an
unchanged repository judge only the models whose inputs moved.

May import: gitmodel.registry, gitmodel.storage, gitmodel.repo, gitmodel.model, gitmodel.infra.
The hook path (hook.py) must stay lean: no typer, rich, GitPython or DVC.
"""
