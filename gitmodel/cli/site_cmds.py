"""The registry as a static site: `gitmodel site -o DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.core import JsonOpt
from gitmodel.cli.output import emit_json, out, warn
from gitmodel.repo.git import toplevel as _root


@app.command()
def site(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory to write the site into (created; only "
                                         "pages whose content changed are rewritten).")],
    base_url: Annotated[str | None, typer.Option("--base-url", help="Where the site is published, e.g. "
                                                 "https://team.example.org/registry/ (canonical links).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Build a static site of the registry: every model, release, stage, approval, metric chart and diff.

    It needs no server: open DIR/index.html from disk or publish DIR on any static host.

    Example: gitmodel site -o site --base-url https://team.example.org/registry/
    """
    from gitmodel.site.build import build_site

    result = build_site(_root(), output, base_url=base_url)
    if json_out:
        emit_json(result.to_json())
        return
    for warning in result.warnings:
        warn(warning)
    out(f"site: {result.models} model(s), {result.releases} release(s), {result.pages} page(s) "
        f"({result.bytes / 1024:.0f} KiB) in {output}")
    out(f"  {len(result.written)} written, {result.unchanged} unchanged, {len(result.removed)} removed")
    out(f"  open {output / 'index.html'}")
