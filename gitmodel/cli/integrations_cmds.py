"""Integrations: container labels for a release, and checking an image's labels against it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gitmodel.cli.application import app
from gitmodel.cli.output import emit_json, err, out
from gitmodel.infra.errors import ExitCode, InvalidInput
from gitmodel.repo.git import toplevel as _root


def _read_input(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput("file not found", where=path, hint="save it with `docker inspect IMAGE > FILE`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read: {exc}", where=path) from None


def verify_labels_file(path: str, ref: str | None = None, *, json_out: bool = False) -> None:
    """Check an image's labels (`docker inspect` JSON in PATH, - for stdin) and print the verdict; exit 1 on
    a mismatch. Shared by `labels --verify FILE` and `verify --labels FILE`."""
    from gitmodel.context.labels import check_labels

    report = check_labels(_root(), _read_input(path), where=path if path != "-" else "(stdin)", ref=ref)
    if json_out:
        emit_json(report.to_json())
    elif report.ok:
        out(f"ok: the image's labels match {report.tag} "
            f"(fingerprint {report.expected['dev.gitmodel.fingerprint']})")
    else:
        for mismatch in report.mismatches:
            err(f"{report.tag}: {mismatch.line()}")
        err(f"gitmodel: {len(report.mismatches)} label(s) do not match {report.tag} — rebuild the image "
            f"with `gitmodel labels {report.tag} --format build-args`")
    if not report.ok:
        raise typer.Exit(int(ExitCode.REFUSED))


@app.command()
def labels(
    ref: Annotated[str | None, typer.Argument(metavar="[NAME@vX.Y.Z]", help="A release, NAME@vX.Y.Z (or NAME#STAGE).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f",
                                     help="docker (LABEL lines), oci (key=value annotations), json, "
                                          "or build-args (--build-arg lines for templates/Dockerfile).")] = "docker",
    verify: Annotated[str | None, typer.Option("--verify", metavar="FILE",
                                               help="Check an image's labels (`docker inspect` JSON; - for "
                                                    "stdin) against the release they name, or against REF.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON on stdout (nothing else).")] = False,
) -> None:
    """Container labels recording which release an image serves; --verify checks an image's labels.

    Example: gitmodel labels sentiment@v1.2.0 --format docker >> Dockerfile
    Example: docker inspect sentiment:1.2.0 | gitmodel labels --verify -
    """
    from gitmodel.context.labels import FORMATS, release_labels

    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", where="--format")
    if verify is not None:
        verify_labels_file(verify, ref, json_out=json_out)
        return
    root = _root()
    if ref is None:
        raise InvalidInput("give a release NAME@vX.Y.Z (or --verify FILE)", where="REF")
    result = release_labels(root, ref)
    if json_out:
        emit_json({"release": result.tag, "labels": result.labels})
        return
    out(result.render(fmt))
