"""Reading the repository's state at a revision — work tree, index or commit: the git adapter (the only
module that runs git), content sources, manifests and releases as read at a revision, release/stage tags.

May import: gitmodel.model, gitmodel.infra.
"""
