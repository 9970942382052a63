"""The Typer application; each area module registers its commands on it."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="gitmodel",
    help="Git-native model versioning: manifests pinned by sha256, semver release tags, hooks that block "
    "unversioned changes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each module registers its commands on `app` (one module per area keeps merges and reviews small).
from gitmodel.cli import core as _core  # noqa: E402,F401
from gitmodel.cli import env_cmds as _env  # noqa: E402,F401
from gitmodel.cli import governance_cmds as _governance  # noqa: E402,F401
from gitmodel.cli import hooks_cmds as _hooks  # noqa: E402,F401
from gitmodel.cli import integrations_cmds as _integrations  # noqa: E402,F401
from gitmodel.cli import release_cmds as _release  # noqa: E402,F401
from gitmodel.cli import review_cmds as _review  # noqa: E402,F401
from gitmodel.cli import site_cmds as _site  # noqa: E402,F401
from gitmodel.cli import storage_cmds as _storage  # noqa: E402,F401
