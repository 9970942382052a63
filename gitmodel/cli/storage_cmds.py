"""Commands for this area; registered on the shared app by import.

Only these commands reach DVC, and only inside their bodies: `gitmodel --help`, `ls`, `status` and
`check` never import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, err, out, warn
from gitmodel.cli.progress import progress_for
from gitmodel.cli.remote_opts import RepoOpt
from gitmodel.infra.errors import ExitCode
from gitmodel.repo.git import toplevel as _root

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]
RemoteOpt = Annotated[str | None, typer.Option("--remote", "-r",
                                               help="DVC remote name (default: .gitmodel.yaml's, else DVC's).")]


def _print_verify(report: object) -> None:
    from gitmodel.storage.verify import VerifyReport

    assert isinstance(report, VerifyReport)
    for model in report.models:
        bad = [f for f in model.files if not f.ok]
        noted = sum(1 for f in bad if f.note)  # not a changed file (an LFS file not downloaded)
        state = "ok" if not bad else ", ".join(part for part in (
            f"{len(bad) - noted} mismatch(es)" if len(bad) > noted else "", f"{noted} not verified" if noted else "")
            if part)
        out(f"{model.name} {model.version} (against {model.against}): {len(model.files)} file(s), {state}")
        for f in bad:
            err(f"  ✗ {f.line()}")
        if bad and "@" not in model.against and "#" not in model.against:
            err(f"  restore the pinned bytes with `gitmodel pull {model.name}`")


@app.command()
def push(
    names: Annotated[list[str] | None, typer.Argument(
        help="Models, or NAME@vX.Y.Z for one release's objects (default: all models).")] = None,
    all_releases: Annotated[bool, typer.Option("--all-releases", help="Also every release tag's objects.")] = False,
    remote: RemoteOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Send the DVC objects of the models' weights and data to the remote (skips what it already has).

    Example: gitmodel push sentiment@v0.1.0
    """
    from gitmodel.cli.views import show_push

    show_push(names or None, all_releases, remote, json_out)


def _put_back(root: Path) -> Path:
    """Before placing files: what a killed `dvc add` had taken away goes back first (gitmodel/storage/inflight.py),
    so a file that is the user's newer work is kept as such rather than replaced by the pinned one."""
    from gitmodel.storage.inflight import recover_notes

    for note in recover_notes(root):
        err(f"note: {note}")
    return root


@app.command()
def pull(
    names: Annotated[list[str] | None, typer.Argument(help="Models (default: all).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite local changes to weights and data.")] = False,
    remote: RemoteOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Fetch the weights and data the working tree's manifests pin, check them out, and verify them.

    Example: gitmodel pull sentiment
    """
    from gitmodel.storage.transfer import pull as do_pull

    root = _put_back(_root())
    with progress_for(json_out) as progress:
        report = do_pull(root, names or None, remote=remote, force=force, progress=progress)
    if json_out:
        emit_json(report.to_json())
    else:
        if report.fetched:
            out(f"fetched from {report.remote}: {', '.join(report.fetched)}")
        for path in report.checked_out:
            out(f"checked out {path}")
        if report.in_git:
            out(f"stored in git, not DVC (git restores them: `git checkout -- PATH`): {', '.join(report.in_git)}")
        _print_verify(report.verify)
    if not report.verify.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


@app.command()
def get(
    ref: Annotated[str, typer.Argument(help="NAME@vX.Y.Z (or NAME#STAGE, or NAME for the latest release).")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Directory to export into (new or empty).")],
    remote: RemoteOpt = None,
    json_out: JsonOpt = False,
    repo: RepoOpt = None,
) -> None:
    """Export one release: weights and data from DVC, prompts, params and manifest from git, each sha256-checked.

    Nothing is placed unless every file matches the manifest. A unit that `uses` others gets each member in a
    subfolder named after its role. Example: gitmodel get sentiment@v1.2.0 --out dist/
    """
    from gitmodel.repo.remote import is_remote
    from gitmodel.storage.members import SetResult, get_set

    with progress_for(json_out) as progress:
        if repo is not None and is_remote(repo):
            from gitmodel.storage.resolve_remote import get_remote

            result, notes = get_remote(repo, ref, out_dir, remote=remote, progress=progress)
            for note in notes:
                warn(note)
            placed = SetResult(result)  # a unit's members are exported from a local repository only
        else:
            placed = get_set(_root(Path(repo) if repo else None), ref, out_dir, remote=remote, progress=progress)
    if json_out:
        emit_json(placed.to_json())
        return

    def show(unit: SetResult, prefix: str) -> None:
        result = unit.result
        source = f" (fetched {len(result.fetched)} from {result.remote})" if result.fetched else ""
        out(f"{prefix}{result.tag} → {result.out_dir}{source}")
        for f in result.files:
            out(f"{prefix}  {f.component:11} {f.path}  sha256:{f.sha256[:12]}  ok")
        for role, member in unit.members.items():
            out(f"{prefix}  uses.{role}:")
            show(member, prefix + "    ")

    show(placed, "")


@app.command()
def checkout(
    ref: Annotated[str, typer.Argument(help="NAME@vX.Y.Z or NAME#STAGE.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite uncommitted changes to those paths.")] = False,
    remote: RemoteOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Restore one release's manifest, pointers, prompts, params and weights into the working tree.

    HEAD and the index are untouched. Example: gitmodel checkout sentiment@v0.1.0
    """
    from gitmodel.storage.checkout import checkout as do_checkout

    root = _put_back(_root())
    with progress_for(json_out) as progress:
        report = do_checkout(root, ref, force=force, remote=remote, progress=progress)
    if json_out:
        emit_json(report.to_json())
    else:
        out(f"restored {report.tag} into the working tree")
        for path in report.restored:
            out(f"  {path}")
        _print_verify(report.verify)
    if not report.verify.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


@app.command()
def verify(
    ref: Annotated[str | None, typer.Argument(help="NAME, NAME@vX.Y.Z or NAME#STAGE (default: every model).")] = None,
    labels: Annotated[str | None, typer.Option("--labels", help="Check an image's labels instead: `docker inspect` "
                                               "JSON in FILE (- for stdin) against the release they name.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Rehash the working tree's files against the manifest; exit 1 listing each mismatch.

    Example: gitmodel verify sentiment@v1.2.0   ·   docker inspect IMAGE | gitmodel verify --labels -
    """
    from gitmodel.storage.verify import verify as do_verify

    if labels is not None:
        from gitmodel.cli.integrations_cmds import verify_labels_file

        verify_labels_file(labels, ref, json_out=json_out)
        return

    with progress_for(json_out) as progress:
        report = do_verify(_root(), ref, progress=progress)
    if json_out:
        emit_json(report.to_json())
    else:
        _print_verify(report)
    if not report.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


def check_with_objects(base: str | None, json_out: bool) -> int:
    """`check --base REV --verify-objects`: the gate, then the remote's bytes for what changed since REV."""
    from gitmodel.gate.check import run_check
    from gitmodel.gate.objects_check import verify_objects
    from gitmodel.infra.errors import InvalidInput

    if base is None:
        raise InvalidInput("--verify-objects needs --base REV (the objects of manifests changed since REV)",
                           where="--verify-objects", hint="gitmodel check --base origin/main --verify-objects")
    root = _root()
    with progress_for(json_out) as progress:
        result = run_check(root, mode="worktree", base=base, progress=progress)
    objects = verify_objects(root, base)
    ok = result.ok and objects.ok
    if json_out:
        emit_json({**result.to_json(), "ok": ok, "objects": objects.to_json()})
    else:
        for w in result.warnings:
            warn(w)
        for f in result.findings:
            err(f.line())
        for c in objects.checks:
            if c.problem is not None:
                err(f"✗ {c.line()}")
        (out if result.ok else err)(result.summary())
        bad = sum(c.problem is not None for c in objects.checks)
        (out if objects.ok else err)(f"objects: {len(objects.checks)} checked against the remote "
                                     f"({objects.bytes_checked / 2**20:,.1f} MiB), {bad} bad")
    return int(ExitCode.OK if ok else ExitCode.REFUSED)
