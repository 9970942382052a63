"""Release commands: tag, versions, promote, stages, rollback, changelog, approve."""

from __future__ import annotations

from pathlib import Path
from shlex import quote
from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, out, table, warn
from gitmodel.cli.remote_opts import RepoOpt
from gitmodel.repo.git import toplevel as _root

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]
PushOpt = Annotated[bool, typer.Option("--push", help="Push the new tag (only that tag) to the remote.")]


@app.command()
def tag(
    name: Annotated[str, typer.Argument(help="Model name.")],
    message: Annotated[str | None, typer.Option("--message", "-m", help="Release notes for the tag message.")] = None,
    rev: Annotated[str | None, typer.Option("--rev", help="Commit to release (default: HEAD).")] = None,
    sign: Annotated[bool, typer.Option("--sign", help="Sign the tag (git tag -s, your git signing setup).")] = False,
    push: PushOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Release the manifest's version as the annotated tag NAME@vX.Y.Z (refused if not fresh, released or gated).

    Example: gitmodel tag sentiment -m "Reworded system prompt"
    """
    from gitmodel.registry.releases import tag_release

    result = tag_release(_root(), name, message=message, rev=rev, sign=sign, push=push)
    if json_out:
        emit_json(result.to_json())
        return
    for note in result.notes:
        warn(note)
    out(f"released {result.tag} on commit {result.commit[:12]}")
    out(f"  fingerprint sha256:{result.fingerprint}")
    for gate in result.gates:
        out(f"  gate {gate.line()}")
    if result.pushed_to:
        out(f"pushed {result.tag} to {result.pushed_to}")
    else:
        out(f"not pushed: git push origin {quote(result.tag)}  (or gitmodel tag --push next time)")


@app.command()
def versions(
    name: Annotated[str, typer.Argument(help="Model name.")],
    json_out: JsonOpt = False,
    repo: RepoOpt = None,
) -> None:
    """Every release of a model, by semver: version, date, tagger, commit, stages, approvals, message.

    Example: gitmodel versions sentiment --json
    """
    from gitmodel.cli.views import show_versions

    show_versions(name, json_out, repo)


@app.command()
def promote(
    ref: Annotated[str, typer.Argument(help="The release, NAME@vX.Y.Z.")],
    stage: Annotated[str, typer.Argument(help="Stage to give it, e.g. prod.")],
    push: PushOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Put a release into a stage (tag NAME#STAGE#N); gates and required approvals are checked first.

    Example: gitmodel promote sentiment@v0.2.0 prod
    """
    from gitmodel.registry.stages import promote as do_promote

    result = do_promote(_root(), ref, stage, push=push)
    if json_out:
        emit_json(result.to_json())
        return
    if result.tag is None:
        out(f"{result.name} v{result.version} already holds {result.stage}: nothing to do")
        return
    before = f" (was v{result.previous})" if result.previous else ""
    out(f"{result.name} v{result.version} is now in {result.stage}{before}: tag {result.tag}")
    if result.pushed_to:
        out(f"pushed {result.tag} to {result.pushed_to}")


@app.command("stages")
def stages_cmd(
    name: Annotated[str, typer.Argument(help="Model name.")],
    json_out: JsonOpt = False,
    repo: RepoOpt = None,
) -> None:
    """Which version holds each stage ("which version is in prod?").

    Example: gitmodel stages sentiment
    """
    from gitmodel.cli.views import read_root
    from gitmodel.registry.stages import stages

    result = stages(read_root(repo, names={name}), name)
    for w in result.warnings:
        warn(w)
    if json_out:
        emit_json(result.to_json())
        return
    if result.deprecated:
        warn(f"{name} is deprecated ({result.deprecated}): it holds no stage; a new release revives it")
    if not result.holders:
        out(f"{name} is in no stage yet: gitmodel promote {name}@vX.Y.Z STAGE")
        return
    table(["stage", "version", "since", "by", "tag"],
          [[stage, h.version if h else "-", h.event.date[:19].replace("T", " ") if h else "",
            h.event.tagger if h else "", h.event.tag if h else ""] for stage, h in result.holders.items()])


@app.command()
def rollback(
    name: Annotated[str, typer.Argument(help="Model name.")],
    stage: Annotated[str, typer.Argument(help="Stage to roll back, e.g. prod.")],
    push: PushOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Give a stage back to the version that held it before (a new stage event; history is kept).

    Example: gitmodel rollback sentiment prod
    """
    from gitmodel.registry.stages import rollback as do_rollback

    result = do_rollback(_root(), name, stage, push=push)
    if json_out:
        emit_json(result.to_json())
        return
    if result.version is None:
        out(f"{name} {stage}: v{result.previous} unassigned, the stage is empty again: tag {result.tag}")
    else:
        out(f"{name} {stage}: back to v{result.version} (was v{result.previous}): tag {result.tag}")
    if result.pushed_to:
        out(f"pushed {result.tag} to {result.pushed_to}")


@app.command()
def changelog(
    name: Annotated[str, typer.Argument(help="Model name.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the markdown to FILE.")] = None,
    json_out: JsonOpt = False,
    repo: RepoOpt = None,
) -> None:
    """Markdown changelog, newest first: version, date, tagger, bump level and why, tag message.

    Example: gitmodel changelog sentiment -o CHANGELOG-sentiment.md
    """
    from gitmodel.cli.views import read_root
    from gitmodel.infra.fileio import atomic_write
    from gitmodel.review.changelog import changelog as build

    result = build(read_root(repo, names={name}), name)
    if json_out and output is None:
        emit_json(result.to_json())
        return
    for w in result.warnings:
        warn(w)
    if output is None:
        out(result.markdown.rstrip("\n"))
        return
    atomic_write(output, result.markdown)  # a failure is one line naming the file (exit 2, or 3 for a full disk)
    out(f"wrote {output} ({len(result.entries)} release(s))")


@app.command()
def approve(
    ref: Annotated[str, typer.Argument(help="The release, NAME@vX.Y.Z.")],
    role: Annotated[str, typer.Option("--role", help="Role you approve in, e.g. ml-lead (see approvals: in config).")],
    message: Annotated[str | None, typer.Option("--message", "-m", help="Note kept with the approval.")] = None,
    push: PushOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Record your approval of a release in a role (annotated tag NAME@vX.Y.Z#approved-by#ROLE).

    Example: gitmodel approve sentiment@v0.2.0 --role ml-lead -m "eval report reviewed"
    """
    from gitmodel.registry.releases import approve as do_approve

    result = do_approve(_root(), ref, role, message, push=push)
    if json_out:
        emit_json(result.to_json())
        return
    out(f"approved {result.release} as {result.role}: tag {result.tag}")
    if result.pushed_to:
        out(f"pushed {result.tag} to {result.pushed_to}")
    else:
        out(f"share it: git push origin {quote(result.tag)}  (or --push)")


@app.command("used-by")
def used_by_cmd(
    ref: Annotated[str | None, typer.Argument(metavar="[UNIT@vX.Y.Z]", help="The release to look for.")] = None,
    path: Annotated[str | None, typer.Option("--path", help="Look for the releases pinning this file (or a "
                                             "directory holding it) instead.")] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", help="Look for the releases pinning this content "
                                               "instead.")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Every release, of every unit and from all history, that pinned a release, a file or a content —
    directly or through references — with the stages each holds now.

    Example: gitmodel used-by tickets@v3.0.0
    """
    from gitmodel.review.used_by import used_by

    result = used_by(_root(), ref, path=path, sha256=sha256)
    for warning in result.warnings:
        warn(warning)
    if json_out:
        emit_json(result.to_json())
        return
    if not result.users:
        out(f"no release pins {result.target}")
        return
    table(["release", "kind", "how", "stages now"], result.rows(), title=f"used by: {result.target}")
