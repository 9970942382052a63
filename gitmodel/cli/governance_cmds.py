"""Governance commands: audit (who did what, verified) and bom (a CycloneDX bill of materials)."""

from __future__ import annotations

from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, err, out, table, warn
from gitmodel.repo.git import toplevel as _root


@app.command()
def audit(
    name: Annotated[str | None, typer.Argument(help="Model name (default: every model).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or csv (for compliance tooling).")] = "table",
    verify: Annotated[bool, typer.Option("--verify", help="Exit 1 on any event that is unsigned or does not "
                                                         "verify where signatures are required.")] = False,
) -> None:
    """Every release, approval, stage event, rollback and deregistration in order: who (verified signer or
    "unsigned"), when, what, manifest fingerprint.

    Example: gitmodel audit sentiment --verify
    """
    from gitmodel.infra.errors import ExitCode, InvalidInput
    from gitmodel.review.audit import HEADERS
    from gitmodel.review.audit import audit as build

    if fmt not in ("table", "csv"):
        raise InvalidInput(f"{fmt!r} is not table or csv", where="--format")
    result = build(_root(), name)
    if json_out:
        emit_json(result.to_json())
    elif fmt == "csv":
        from gitmodel.review.tables import csv_table

        out(csv_table(HEADERS, [e.row() for e in result.events]).rstrip("\n"))
    else:
        for w in result.warnings:
            warn(w)
        if not result.events:
            out("no releases, approvals or stage events yet")
        else:
            table(list(HEADERS), [e.row() for e in result.events])
    if verify:
        for problem in result.problems:
            err(f"audit: {problem}")
        if result.problems:
            raise typer.Exit(ExitCode.REFUSED)
