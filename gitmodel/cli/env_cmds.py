"""Reproducibility commands: env capture/check, validate-input, lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, err, out, table
from gitmodel.infra.errors import ExitCode
from gitmodel.repo.git import toplevel as _root

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")]

env_app = typer.Typer(name="env", help="Record a model's Python environment and report drift from it.",
                      no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(env_app, name="env")


@env_app.command("capture")
def env_capture_cmd(
    name: Annotated[str, typer.Argument(help="Model name.")],
    lock: Annotated[str | None, typer.Option("--lock", help="Lock file to pin by sha256 (requirements.txt, "
                                             "uv.lock, poetry.lock, conda env export).")] = None,
    package: Annotated[list[str] | None, typer.Option("--package", help="Also record this distribution's "
                                                      "version (repeatable).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Record Python, platform, ML package versions, CUDA/cuDNN/driver and a lock file in the manifest.

    Packages are read with importlib.metadata, never imported. The manifest and lock file are staged.

    Example: gitmodel env capture sentiment --lock requirements.txt --package sentencepiece
    """
    from gitmodel.context.reproduce import env_capture

    result = env_capture(_root(), name, lock=lock, packages=package or [])
    if json_out:
        emit_json(result.to_json())
        return
    env = result.environment
    out(f"{result.manifest_path}: environment {'updated' if result.changed else 'unchanged'} "
        f"({env['implementation']} {env['python']}, {env['platform']}, {len(env['packages'])} package(s))")
    if result.changed and result.previous is None:
        out("  first record of this model's environment")
    else:
        for c in result.changes:
            out(f"  {c.describe()}")
    for n in result.dropped:
        out(f"  dropped {n}: no longer installed")
    if result.staged:
        out(f"staged: {' '.join(result.staged)}")
    if result.problem:
        out(f"next: `gitmodel bump {result.name}` — {result.problem} (requires {result.required})")


@env_app.command("check")
def env_check_cmd(
    ref: Annotated[str, typer.Argument(help="NAME (working tree), NAME@vX.Y.Z or NAME#STAGE.")],
    python: Annotated[str | None, typer.Option("--python", help="Check this interpreter instead of the "
                                               "current one (path or name on PATH).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Compare the recorded environment with this interpreter (or --python). Exit 1 on a package mismatch.

    Example: gitmodel env check sentiment@v1.2.0 --python .venv/bin/python
    """
    from gitmodel.context.reproduce import env_check

    report = env_check(_root(), ref, python=python)
    if json_out:
        emit_json(report.to_json())
    else:
        found = report.found
        who = python or "this interpreter"
        if report.mismatches:
            table(["kind", "name", "recorded", "found", "severity"],
                  [[m.kind, m.name, m.recorded, m.found if m.found is not None else "missing", m.severity]
                   for m in report.mismatches])
        checked = len(report.recorded.get("packages") or {})
        if report.ok:
            extra = f", {len(report.warnings)} warning(s)" if report.warnings else ""
            out(f"{ref}: environment matches {who} ({found['implementation']} {found['python']}, "
                f"{found['platform']}, {checked} package(s){extra})")
        else:
            err(f"{ref}: {len(report.errors)} mismatch(es) with {who} "
                f"({len(report.warnings)} warning(s)) — install the recorded versions, or re-record with "
                f"`gitmodel env capture {ref.split('@')[0].split('#')[0]}`")
    if not report.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


@app.command("validate-input")
def validate_input_cmd(
    ref: Annotated[str, typer.Argument(help="NAME (working tree), NAME@vX.Y.Z or NAME#STAGE.")],
    file: Annotated[Path, typer.Argument(help="Samples: .json (object or array), .jsonl/.ndjson or .csv "
                                         "with a header.")],
    max_errors: Annotated[int, typer.Option("--max-errors", min=1, help="Report at most this many "
                                            "failing records (all are counted).")] = 100,
    json_out: JsonOpt = False,
) -> None:
    """Validate each record of a sample file against the model's schema.inputs. Exit 1 if any record fails.

    Streams the file; an unparseable file exits 2 with its line number.

    Example: gitmodel validate-input sentiment@v1.2.0 requests.jsonl
    """
    from gitmodel.context.reproduce import validate_input

    summary = validate_input(_root(), ref, file, max_errors=max_errors)
    if json_out:
        emit_json({"ok": summary.ok, "file": str(file), "total": summary.total, "failed": summary.failed,
                   "valid": summary.total - summary.failed, "unreported": summary.unreported,
                   "errors": [{"row": e.row, "line": e.line, "field": e.field, "message": e.message}
                              for e in summary.errors]})
    else:
        for e in summary.errors:
            out(str(e))
        reported = len({e.row for e in summary.errors})
        if summary.failed > reported:
            out(f"... {summary.failed - reported} more failing record(s) not shown (--max-errors)")
        word = "ok" if summary.ok else "FAILED"
        out(f"{file}: {summary.total} record(s), {summary.total - summary.failed} valid, "
            f"{summary.failed} invalid — {word}")
    if not summary.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


@app.command("lineage")
def lineage_cmd(
    ref: Annotated[str, typer.Argument(help="NAME (working tree) or NAME@vX.Y.Z.")],
    json_out: JsonOpt = False,
) -> None:
    """Walk lineage.parent through releases: each version's base model, datasets with hashes, release date.

    Example: gitmodel lineage sentiment@v1.2.0
    """
    from gitmodel.repo.lineage import lineage_chain

    chain = lineage_chain(_root(), ref)
    if json_out:
        emit_json(chain.to_json())
        return
    for i, step in enumerate(chain.steps):
        when = f"released {step.date}" if step.date else "not released"
        out(f"{step.label}  ({when})")
        out(f"    base model: {step.base_model or '-'}")
        for d in step.datasets:
            role = f" ({d['role']})" if d.get("role") else ""
            out(f"    data: {d['path']}{role}  sha256:{d['sha256'][:12]}")
        for uri in step.external_datasets:
            out(f"    dataset: {uri}")
        if not step.datasets and not step.external_datasets:
            out("    data: -")
        if i + 1 < len(chain.steps):
            out(f"  ↓ parent {step.parent}")
