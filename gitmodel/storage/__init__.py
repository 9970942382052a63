"""Where pinned bytes live and how they move: one protocol, one module per backend (git, DVC, LFS),
pinning (which backend a file goes to), verify-then-place, push/pull/checkout, export and `resolve()`.
The only package that imports DVC (dvc.py, dvc_transfer.py).

May import: gitmodel.repo, gitmodel.model, gitmodel.infra. A new storage backend is a new module here,
registered in backends.py.
"""
