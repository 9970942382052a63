"""Where pinned bytes live and how they move: one protocol (backend.py), one module per backend (git_backend.py,
dvc_backend.py, lfs_backend.py) and their registry (backends.py); pinning (which backend a file goes to),
verify-then-place (placement.py), push/pull (transfer.py), checkout.py, verify.py, export and `resolve()`.
The only package that imports DVC (dvc.py, dvc_transfer.py).

May import: gitmodel.repo, gitmodel.model, gitmodel.infra. A new storage backend is a new module here with a
`Backend` subclass, registered in backends.py; code elsewhere asks `backend_for(entry)`, never the name.
"""
