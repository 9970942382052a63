"""Review commands: diff, metrics, card."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, out, rich_out, warn
from gitmodel.cli.remote_opts import RepoOpt
from gitmodel.infra.errors import ExitCode
from gitmodel.repo.git import toplevel as _root


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def diff(
    a: Annotated[str | None, typer.Argument(metavar="[A]", help="Old side: a revision or NAME@vX.Y.Z (default: each model's "
                                            "latest release).")] = None,
    b: Annotated[str | None, typer.Argument(metavar="[B]", help="New side: a revision or NAME@vX.Y.Z (default: the working "
                                            "tree).")] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.")] = None,
    fmt: Annotated[DiffFormat, typer.Option("--format", "-f", help="text (terminal), markdown (PR comment) or "
                                            "json.")] = DiffFormat.text,
    json_out: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when a model's version bump is smaller "
                                            "than its changes require.")] = False,
    expand: Annotated[bool, typer.Option("--expand", help="Under each moved reference (uses.ROLE), show that "
                                         "member's own diff between the two releases.")] = False,
    repo: RepoOpt = None,
) -> None:
    """Review diff of the model manifests: versions, required vs given bump, files, params, metrics, schema.

    Example: gitmodel diff sentiment@v0.1.0 sentiment@v0.2.0 --format markdown
    Example: gitmodel diff support-bot@v0.1.0 support-bot@v0.2.0 --expand
    """
    from gitmodel.review import diff as review
    from gitmodel.review import render

    report = review.diff(_diff_root(repo, a, b, model), a, b, model=model, expand=expand)
    for warning in report.warnings:
        warn(warning)
    if json_out or fmt is DiffFormat.json:
        emit_json(report.to_json())
    elif fmt is DiffFormat.markdown:
        out(render.diff_markdown(report).rstrip("\n"))
    elif sys.stdout.isatty():
        rich_out(render.diff_text(report, styled=True).rstrip("\n"))
    else:
        out(render.diff_text(report).rstrip("\n"))
    if exit_code and not report.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


def _diff_root(repo: str | None, a: str | None, b: str | None, model: str | None) -> Path:
    """Between two releases of a remote (`--repo URL NAME@vA NAME@vB`), the cache holding both."""
    from gitmodel.cli.views import read_root
    from gitmodel.infra.errors import InvalidInput
    from gitmodel.repo.remote import is_remote
    from gitmodel.repo.tags import parse_ref

    if repo is None or not is_remote(repo):
        return read_root(repo)
    refs = [r for r in (a, b) if r is not None]
    if len(refs) != 2 or not all("@" in r for r in refs):
        raise InvalidInput("with --repo URL, diff compares two releases", where="A B",
                           hint="gitmodel diff NAME@vX.Y.Z NAME@vX.Y.Z --repo URL")
    names = {parse_ref(r)[0] for r in refs} | ({model} if model else set())
    return read_root(repo, names=names, refs=refs)


class MetricsFormat(StrEnum):
    text = "text"
    markdown = "markdown"


@app.command()
def metrics(
    name: Annotated[str, typer.Argument(help="Model name.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")] = False,
    fmt: Annotated[MetricsFormat, typer.Option("--format", "-f", help="text (table with sparklines) or markdown "
                                               "(table and Mermaid charts).")] = MetricsFormat.text,
) -> None:
    """Each metric across the model's releases, with a trend sparkline (markdown adds Mermaid charts).

    Example: gitmodel metrics sentiment --format markdown
    """
    from gitmodel.review import render
    from gitmodel.review.trends import model_metrics

    report = model_metrics(_root(), name)
    if json_out:
        emit_json(report.to_json())
    elif fmt is MetricsFormat.markdown:
        out(render.metrics_markdown(report).rstrip("\n"))
    else:
        out(render.metrics_text(report).rstrip("\n"))


@app.command()
def card(
    ref: Annotated[str, typer.Argument(help="NAME (working tree) or NAME@vX.Y.Z (a release).")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the card to this file "
                                                "(atomically) instead of stdout.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON (name, version, Hub metadata, card "
                                           "text) on stdout.")] = False,
    repo: RepoOpt = None,
) -> None:
    """Model card (Markdown with a Hugging Face YAML header) from the manifest and the release history.

    The template is templates/model-card.md; a repo overrides it with .gitmodel/model-card.md.

    Example: gitmodel card sentiment@v0.2.0 -o MODEL_CARD.md
    """
    from gitmodel.cli.views import read_root
    from gitmodel.infra.fileio import atomic_write
    from gitmodel.repo.tags import parse_ref
    from gitmodel.review.card import render_card

    result = render_card(read_root(repo, names={parse_ref(ref)[0]}, head="@" not in ref, refs=[ref]), ref)
    if output is not None:
        atomic_write(output, result.text)
    if json_out:
        emit_json({"name": result.name, "version": result.version, "template": result.template,
                   "metadata": result.metadata, "text": result.text,
                   "output": str(output) if output is not None else None})
        return
    if output is None:
        out(result.text.rstrip("\n"))
        return
    out(f"wrote {output} ({result.name} {result.version})")
