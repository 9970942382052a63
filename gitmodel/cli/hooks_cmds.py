"""`gitmodel hooks install|uninstall`: the git hooks that refuse unversioned changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, out

hooks_app = typer.Typer(
    name="hooks",
    help="Install or remove the git hooks (pre-commit, pre-merge-commit, pre-push; Git LFS's where it runs) that "
         "refuse unversioned model changes.",
    no_args_is_help=True,
)
app.add_typer(hooks_app, name="hooks")

if TYPE_CHECKING:
    from gitmodel.gate.install import HooksResult

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]


def _report(result: HooksResult, json_out: bool) -> None:
    if json_out:
        emit_json({"hooks_dir": str(result.hooks_dir), "installed": result.installed,
                   "unchanged": result.unchanged, "kept": result.kept, "removed": result.removed,
                   "notes": result.notes})
        return
    for note in result.notes:
        out(note)


@hooks_app.command("install")
def install_cmd(
    force: Annotated[bool, typer.Option("--force", help="Replace a foreign hook instead of keeping it as "
                                                        "<hook>.legacy (it is deleted).")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Install the pre-commit, pre-merge-commit and pre-push hooks (and Git LFS's, which they run, where git-lfs
    is installed); a hook already there is kept as <hook>.legacy and runs first.

    Example: gitmodel hooks install
    """
    from gitmodel.gate.install import install
    from gitmodel.repo import git

    _report(install(git.toplevel(), force=force), json_out)


@hooks_app.command("uninstall")
def uninstall_cmd(json_out: JsonOpt = False) -> None:
    """Remove gitmodel's hooks and restore the hooks they replaced.

    Example: gitmodel hooks uninstall
    """
    from gitmodel.gate.install import uninstall
    from gitmodel.repo import git

    _report(uninstall(git.toplevel()), json_out)
