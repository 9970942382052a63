"""`--repo URL` on the read commands: the registry read from a git remote without a clone (gitmodel/repo/remote.py)."""

from __future__ import annotations

from typing import Annotated

import typer

RepoOpt = Annotated[str | None, typer.Option(
    "--repo", metavar="URL",
    help="Read the registry from this git remote without a clone (https://, ssh://, git://, host:path, "
         "file:// or a bare repository); only the objects read are fetched, into the per-user cache. "
         "GITMODEL_OFFLINE_OK=1 answers from that cache when the remote is unreachable.")]
