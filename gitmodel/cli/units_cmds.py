"""Commands for units linked by reference (issue 19): split-prompt."""

from __future__ import annotations

from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, out
from gitmodel.repo.git import toplevel as _root

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]


@app.command("split-prompt")
def split_prompt_cmd(
    model: Annotated[str, typer.Argument(help="The model whose prompts become a unit of their own.")],
    name: Annotated[str | None, typer.Option("--name", help="The prompt unit's name (default: MODEL-prompt).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Move a model's prompts into a new prompt unit, released at v1.0.0 (committed and tagged), and make the
    model use it (uses.prompt) in one bump, staged for you to commit.

    Example: gitmodel split-prompt sentiment --name sentiment-prompt
    """
    from gitmodel.workspace.split import split_prompt

    result = split_prompt(_root(), model, name=name)
    bump = result.bump
    if json_out:
        emit_json({"model": result.model, "unit": result.unit, "release": result.release, "prompts": result.prompts,
                   "old_version": bump.old_version, "new_version": bump.new_version, "level": str(bump.level),
                   "why": bump.why, "staged": bump.staged})
        return
    out(f"released {result.release}: {', '.join(result.prompts)} (committed on its own)")
    out(f"{result.model}: {bump.old_version} → {bump.new_version} ({bump.level} bump), uses.prompt={result.release}")
    for line in bump.why:
        out(f"  because {line}")
    out(f"next: git commit -m '{result.model} {bump.new_version}: prompts from {result.release}', then "
        f"`gitmodel tag {result.model}`")
