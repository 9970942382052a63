"""The registry kept in git tags (GTO's formats): releases `NAME@vX.Y.Z`, stages `NAME#STAGE#N`,
approvals and deregistrations; release history, changelog and lineage.

May import: gitmodel.storage, gitmodel.repo, gitmodel.model, gitmodel.infra.
"""
