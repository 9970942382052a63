"""Changing the work tree on a user's behalf: `init` (config, schemas, DVC, hooks) and `add`/`bump`
(pin files into a manifest through the storage backends).

May import: gitmodel.gate, gitmodel.registry, gitmodel.storage, gitmodel.context, gitmodel.repo, gitmodel.model,
gitmodel.infra.
"""
