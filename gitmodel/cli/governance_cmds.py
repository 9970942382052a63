"""Governance commands: audit (who did what, verified) and bom (a CycloneDX bill of materials)."""

from __future__ import annotations

import sys
from pathlib import Path
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


@app.command()
def bom(
    ref: Annotated[str, typer.Argument(help="The release, NAME@vX.Y.Z.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON to FILE.")] = None,
) -> None:
    """A CycloneDX 1.6 AI bill of materials of a release: the model and its card, every pinned file with its
    SHA-256, the environment's packages, the lineage as pedigree.

    Example: gitmodel bom sentiment@v1.2.0 -o sentiment.cdx.json
    """
    from gitmodel.infra.fileio import atomic_write
    from gitmodel.review.bom import build_bom

    result = build_bom(_root(), ref)
    if output is None:
        sys.stdout.write(result.document)
        return
    atomic_write(output, result.document)  # a failure is one line naming the file (exit 2, or 3 for a full disk)
    out(f"wrote {output}: {result.tag}, {result.components} component(s), {result.hashes} SHA-256 hash(es)")
