"""Core commands: init, add, ls, status, bump, check, validate, show."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, err, out, warn
from gitmodel.cli.remote_opts import RepoOpt
from gitmodel.infra.errors import ExitCode
from gitmodel.model import components
from gitmodel.model.semver import Level
from gitmodel.repo.git import toplevel as _root

if TYPE_CHECKING:
    from collections.abc import Iterator

    from gitmodel.context.mlflow_import import MlflowModel
    from gitmodel.infra.progress import Progress

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]


def _flag(decl: str, command: str, **kwargs: Any) -> Any:
    """A component's option on add/bump: its names and help come from the registry (gitmodel/model/components.py)."""
    flag = components.REGISTRY.flag(decl, command)
    return typer.Option(*flag.decls, help=flag.help, **kwargs)


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(int(code))


def _here(root: Path, raw: str | None) -> str | None:
    """A path typed on the command line is relative to the current directory, as in git and dvc.

    From the repo root it passes unchanged (so messages quote what was typed); from a subdirectory it
    becomes absolute, which the domain maps back into the repo (or refuses, if it leaves it).
    """
    if raw is None or not raw or Path(raw).is_absolute():
        return raw
    cwd = Path.cwd()
    return raw if cwd == root or cwd.resolve() == root.resolve() else str(cwd / raw)


def _here_all(root: Path, raws: list[str] | None) -> list[str]:
    return [p for p in (_here(root, raw) for raw in raws or []) if p is not None]


def _roles(root: Path, raws: list[str] | None) -> dict[str, str]:
    from gitmodel.workspace.inputs import data_roles

    mapped = []
    for raw in raws or []:
        path, sep, role = raw.rpartition("=")
        mapped.append(f"{_here(root, path)}={role}" if sep and path else raw)
    return data_roles(root, mapped)


def _from_mlflow(root: Path, directory: str | None, name: str, *, replace: bool) -> MlflowModel | None:
    if directory is None:
        return None
    from gitmodel.context.mlflow_import import read_mlflow_model

    return read_mlflow_model(root, directory, name=name, replace=replace)


@contextlib.contextmanager
def _editing(imported: MlflowModel | None, json_out: bool) -> Iterator[Progress | None]:
    """add/bump: progress bars for a person watching, and a failed edit leaves nothing behind — the MLflow
    model copied in for it included."""
    from gitmodel.cli.progress import progress_for

    with progress_for(json_out) as progress:
        try:
            yield progress
        except BaseException:
            if imported is not None:
                imported.undo_copy()
            raise


@app.command()
def init(
    remote: Annotated[str | None, typer.Option(help="DVC remote: a directory or s3://bucket/prefix.")] = None,
    no_hooks: Annotated[bool, typer.Option("--no-hooks", help="Do not install the git hooks.")] = False,
) -> None:
    """Set up gitmodel in this git repo: .gitmodel.yaml, DVC, a default remote, hooks.

    Example: gitmodel init --remote s3://ml-models/sentiment
    """
    from gitmodel.workspace.init_repo import init_repo

    result = init_repo(_root(), remote=remote, hooks=not no_hooks)
    for item in result.created:
        out(f"created {item}")
    for note in result.notes:
        out(note)
    out("gitmodel is ready: add a model with `gitmodel add NAME --weights PATH`")


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="Model name, e.g. sentiment or team/ranker.")],
    weights: Annotated[list[str] | None, _flag("--weights", "add")] = None,
    data: Annotated[list[str] | None, _flag("--data", "add")] = None,
    prompt: Annotated[list[str] | None, _flag("--prompt", "add")] = None,
    params: Annotated[str | None, _flag("--params", "add")] = None,
    version: Annotated[str, typer.Option(help="Initial semantic version.")] = "0.1.0",
    description: Annotated[str | None, _flag("--description", "add")] = None,
    schema: Annotated[str | None, _flag("--schema", "add")] = None,
    git_paths: Annotated[list[str] | None, typer.Option("--git", help="Store this file in git (repeatable); "
                                                                  "weights already in git otherwise move to DVC.")] = None,
    dvc_paths: Annotated[list[str] | None, typer.Option("--dvc", help="Store this file through DVC (repeatable).")] = None,
    lfs_paths: Annotated[list[str] | None, typer.Option("--lfs", help="This file is stored in Git LFS (repeatable).")] = None,
    from_mlflow: Annotated[str | None, typer.Option("--from-mlflow", metavar="DIR",
                                                    help="MLflow model directory: its MLmodel signature becomes the "
                                                         "schema, its flavors the weights, their format and "
                                                         "environment.mlflow, its requirements the environment lock. "
                                                         "A directory outside the repo is copied to artifacts/NAME/.")] = None,
    metrics: Annotated[str | None, _flag("--metrics", "add")] = None,
    data_role: Annotated[list[str] | None, _flag("--data-role", "add", metavar="PATH=ROLE")] = None,
    parent: Annotated[str | None, _flag("--parent", "add")] = None,
    base_model: Annotated[str | None, _flag("--base-model", "add")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="What the unit is: model (the default), prompt (pins "
                                                         "--prompt files), dataset (--data) or system (built from "
                                                         "--use references).")] = None,
    use: Annotated[list[str] | None, _flag("--use", "add", metavar="ROLE=UNIT@vX.Y.Z")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Create models/NAME.yaml pinning weights, data and prompts by sha256 (large/binary files via DVC).

    Example: gitmodel add sentiment --weights artifacts/model.bin --data data/train.csv --prompt prompts/system.txt
    Example: gitmodel add support-bot --kind system --use prompt=support-prompt@v0.1.0 --use model=sentiment@v1.2.0
    """
    from gitmodel.workspace.edit import add_model

    root = _root()
    roles = _roles(root, data_role)
    imported = _from_mlflow(root, _here(root, from_mlflow), name, replace=False)
    with _editing(imported, json_out) as progress:
        result = add_model(root, name, weights=_here_all(root, weights) or (imported.weights if imported else []),
                           data=_here_all(root, data), prompts=_here_all(root, prompt), params_file=_here(root, params),
                           version=version, description=description, schema_file=_here(root, schema),
                           force_git=_here_all(root, git_paths), force_dvc=_here_all(root, dvc_paths),
                           force_lfs=_here_all(root, lfs_paths), schema=imported.schema if imported else None,
                           environment=imported.environment if imported else None,
                           formats=imported.formats if imported else None,
                           metrics_file=_here(root, metrics), parent=parent, base_model=base_model, roles=roles,
                           progress=progress, kind=kind, uses=use or ())
    from gitmodel.model.names import gto_name_problem

    for text in [*(imported.warnings if imported else []), *filter(None, [gto_name_problem(result.name)])]:
        warn(text)
    for note in [*(imported.notes if imported else []), *result.notes]:
        err(f"note: {note}")
    if json_out:
        emit_json({"name": result.name, "manifest": result.manifest_path, "version": result.manifest.version,
                   "kind": result.manifest.unit, "uses": result.manifest.uses or {},
                   "files": [dict(e.to_dict(), component=c) for c, e in result.manifest.files()],
                   "staged": result.staged})
        return
    out(f"created {result.manifest_path} ({result.name} {result.manifest.version})")
    for component, entry in result.manifest.files():
        out(f"  {component:8} {entry.path}  sha256:{entry.sha256[:12]}  {entry.storage}")
    for role, ref in (result.manifest.uses or {}).items():
        out(f"  uses     {role}={ref}")
    out(f"staged: {' '.join(result.staged)}")
    out("next: git commit, then `gitmodel tag " + result.name + "` to release it")


@app.command("ls")
def ls_cmd(json_out: JsonOpt = False, repo: RepoOpt = None) -> None:
    """List every model: version, latest release, stages, fresh or stale (with --repo: at the remote's HEAD).

    Example: gitmodel ls --json
    """
    from gitmodel.cli.views import show_ls

    _exit(show_ls(json_out, repo))


@app.command()
def status(
    names: Annotated[list[str] | None, typer.Argument(help="Models (default: all).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """What changed vs each manifest and vs its latest release, and the bump that requires.

    Example: gitmodel status sentiment
    """
    from gitmodel.cli.views import show_status

    _exit(show_status(names or None, json_out))


@app.command()
def bump(
    name: Annotated[str, typer.Argument(help="Model name.")],
    major: Annotated[bool, typer.Option("--major", help="Require at least a major bump.")] = False,
    minor: Annotated[bool, typer.Option("--minor", help="Require at least a minor bump.")] = False,
    patch: Annotated[bool, typer.Option("--patch", help="Require at least a patch bump.")] = False,
    schema: Annotated[str | None, _flag("--schema", "bump")] = None,
    from_mlflow: Annotated[str | None, typer.Option("--from-mlflow", metavar="DIR",
                                                    help="Take schema, weights formats and environment lock from "
                                                         "this MLflow model directory's MLmodel (one outside the "
                                                         "repo is copied over artifacts/NAME/).")] = None,
    metrics: Annotated[str | None, _flag("--metrics", "bump")] = None,
    data_role: Annotated[list[str] | None, _flag("--data-role", "bump", metavar="PATH=ROLE")] = None,
    parent: Annotated[str | None, _flag("--parent", "bump")] = None,
    base_model: Annotated[str | None, _flag("--base-model", "bump")] = None,
    use: Annotated[list[str] | None, _flag("--use", "bump", metavar="ROLE=UNIT@vX.Y.Z")] = None,
    latest: Annotated[list[str] | None, _flag("--latest", "bump", metavar="ROLE")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Re-track and rehash a model's files and set the version its changes require.

    Example: gitmodel bump sentiment
    Example: gitmodel bump support-bot --use prompt=support-prompt@v1.5.0
    """
    from gitmodel.infra.errors import InvalidInput
    from gitmodel.workspace.edit import bump_model

    if sum((major, minor, patch)) > 1:
        raise InvalidInput("give at most one of --major, --minor, --patch", where="options")
    floor = Level.MAJOR if major else Level.MINOR if minor else Level.PATCH if patch else Level.NONE
    root = _root()
    roles = _roles(root, data_role)
    imported = _from_mlflow(root, _here(root, from_mlflow), name, replace=True)
    with _editing(imported, json_out) as progress:
        result = bump_model(root, name, floor=floor, schema_file=_here(root, schema),
                            schema=imported.schema if imported else None,
                            environment=imported.environment if imported else None,
                            formats=imported.formats if imported else None,
                            metrics_file=_here(root, metrics), parent=parent, base_model=base_model, roles=roles,
                            progress=progress, uses=use or (), latest=latest or ())
    for text in imported.warnings if imported else []:
        warn(text)
    if imported is not None and imported.copied:
        err(f"note: {imported.copied}")
    for note in result.notes:
        err(f"note: {note}")
    if json_out:
        emit_json({"name": result.name, "old_version": result.old_version, "new_version": result.new_version,
                   "latest_release": result.released, "level": str(result.level), "why": result.why,
                   "retracked": result.retracked, "staged": result.staged})
        return
    if result.old_version == result.new_version:
        out(f"{result.name} stays at {result.new_version}" +
            (f" (latest release {result.released})" if result.released else " (unreleased)"))
    else:
        out(f"{result.name}: {result.old_version} → {result.new_version} ({result.level} bump"
            + (f" from release {result.released})" if result.released else ")"))
    for line in result.why:
        out(f"  because {line}")
    for path in result.retracked:
        out(f"  re-tracked {path} through DVC")


@app.command()
def check(
    staged: Annotated[bool, typer.Option("--staged", help="Judge what is staged (the index), as the hook does.")] = False,
    base: Annotated[str | None, typer.Option("--base", help="CI: judge HEAD and every manifest changed since REV.")] = None,
    verify_objects: Annotated[bool, typer.Option("--verify-objects", help="With --base: download each DVC/LFS "
                                                 "object a changed manifest pins (to a temp dir) and check its "
                                                 "sha256.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """The gate: every model fresh, bumped against its latest release, immutable, whole. Exit 1 on violations.

    Example: gitmodel check --base origin/main --verify-objects
    """
    from gitmodel.cli.views import show_check

    if verify_objects:
        from gitmodel.cli.storage_cmds import check_with_objects

        _exit(check_with_objects(base, json_out))
        return
    _exit(show_check(staged, base, json_out))


@app.command()
def validate(
    paths: Annotated[list[str] | None, typer.Argument(help="Manifests or .gitmodel.yaml (default: all).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Schema-validate manifests and the config. Exit 2 on the first invalid file.

    Example: gitmodel validate models/sentiment.yaml
    """
    from gitmodel.model.validation import validate_paths

    root = _root()
    checked = validate_paths(root, _here_all(root, paths))
    if json_out:
        emit_json({"ok": True, "validated": checked})
        return
    for path in checked:
        out(f"ok  {path}")


@app.command()
def show(
    ref: Annotated[str, typer.Argument(help="NAME (HEAD), NAME@vX.Y.Z (a release) or NAME#STAGE.")],
    json_out: JsonOpt = False,
    repo: RepoOpt = None,
) -> None:
    """Show one manifest with its release status; a release's fingerprint is recomputed and compared.

    Example: gitmodel show sentiment@v0.1.0
    """
    from gitmodel.cli.views import read_root
    from gitmodel.model import manifest as mf
    from gitmodel.repo.refs import show_model
    from gitmodel.repo.tags import parse_ref

    name, version, stage = parse_ref(ref)
    result = show_model(read_root(repo, names={name}, head=version is None and stage is None, refs=[ref]), ref)
    if json_out:
        emit_json(result.to_json())
    else:
        where = result.release.tag if result.release else (f"commit {result.commit[:12]}" if result.commit
                                                           else "working tree (not committed)")
        out(f"# {result.manifest_path} at {where}")
        out(f"# fingerprint sha256:{result.fingerprint}")
        if result.releases:
            out(f"# releases: {', '.join(result.releases)}")
        if result.stages:
            out("# stages: " + ", ".join(f"{s}={v}" for s, v in sorted(result.stages.items())))
        if result.approvals:
            out("# approvals: " + ", ".join(f"{a.role} by {a.tagger} {a.date[:10]}" for a in result.approvals))
        out(mf.render(result.manifest).rstrip())
    if result.fingerprint_ok is False:
        err(f"error: {result.release.tag if result.release else ref}: fingerprint mismatch — the manifest at the "
            f"tag does not match the fingerprint recorded in the tag message (tag says "
            f"{result.release.fingerprint if result.release else '?'}, manifest gives {result.fingerprint})")
        raise typer.Exit(int(ExitCode.REFUSED))
