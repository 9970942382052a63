"""`gitmodel site -o DIR`: render every page, then write only the ones whose bytes changed, inside DIR alone.

DIR's own record (`.gitmodel-site.json`, the pages this command wrote) lets a rebuild remove the pages of a
model or release that is gone without ever touching a file it did not write.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import atomic_write, safe_target
from gitmodel.repo import git
from gitmodel.site.data import SiteData, collect
from gitmodel.site.diff_page import diff_page
from gitmodel.site.html import STYLE, diff_href, model_href, release_href
from gitmodel.site.index_page import index_page
from gitmodel.site.model_page import model_page
from gitmodel.site.release_page import release_page

RECORD = ".gitmodel-site.json"
RECORD_FORMAT = 1


@dataclass
class SiteResult:
    out: Path
    pages: int
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    bytes: int = 0
    models: int = 0
    releases: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"out": str(self.out), "pages": self.pages, "written": self.written, "unchanged": self.unchanged,
                "removed": self.removed, "bytes": self.bytes, "models": self.models, "releases": self.releases,
                "warnings": self.warnings}


def check_base_url(base_url: str | None) -> str | None:
    """An absolute http(s) URL for canonical links, or None; anything else is refused (exit 2)."""
    if base_url is None or base_url == "":
        return None
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in base_url for c in "\"'<> \t\n"):
        raise InvalidInput(f"{base_url!r} is not an absolute http(s) URL", where="--base-url",
                           hint="e.g. --base-url https://team.example.org/registry/")
    return base_url.rstrip("/") + "/"


def check_out_dir(root: Path, out: Path) -> Path:
    """The output directory, refused when it is a file, inside a `.git` directory or the work tree's root."""
    target = Path(os.path.abspath(out))
    if target.exists() and not target.is_dir():
        raise InvalidInput("is a file, not a directory", where=str(out), hint="give a directory: -o site")
    real = Path(os.path.realpath(target))
    gitdir = Path(os.path.realpath(git.git_dir(root)))
    if any(p.lower() == ".git" for p in real.parts) or real == gitdir or gitdir in real.parents:
        raise InvalidInput("is inside a .git directory", where=str(out), hint="give a directory outside .git: -o site")
    if real == Path(os.path.realpath(root)):
        raise InvalidInput("is the work tree's root: the site would be written over the repository's files",
                           where=str(out), hint="give a directory of its own: -o site")
    return target


def render(data: SiteData, base_url: str | None) -> dict[str, str]:
    """Path below DIR → the page's text, for every page of the site."""
    pages = {"style.css": STYLE, "index.html": index_page(data, base_url)}
    known = {(m.name, r.version) for m in data.models for r in m.releases}
    for model in data.models:
        pages[model_href(model.name)] = model_page(model, base_url)
        for rel in model.releases:
            pages[release_href(model.name, rel.version)] = release_page(model, rel, known, base_url)
        for d in model.diffs:
            pages[diff_href(model.name, d.old.version, d.new.version)] = diff_page(model, d, base_url)
    return pages


def _previous(out: Path) -> list[str]:
    """The pages the last build wrote (its record); a missing or foreign record means none."""
    try:
        record = json.loads((out / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        return []
    pages = record.get("pages")
    return [p for p in pages if isinstance(p, str)] if isinstance(pages, list) else []


def build_site(root: Path, out: Path, *, base_url: str | None = None) -> SiteResult:
    """Build the static site of the registry into `out`, rewriting only the pages whose content changed."""
    base = check_base_url(base_url)
    out = check_out_dir(root, out)
    data = collect(root)
    pages = render(data, base)
    result = SiteResult(out, len(pages), models=len(data.models),
                        releases=sum(len(m.active) for m in data.models), warnings=data.warnings)
    out.mkdir(parents=True, exist_ok=True)
    # no symlink on the way to any page, checked once a folder and before anything is written
    for folder in sorted({rel.rpartition("/")[0] for rel in pages} - {""}):
        safe_target(out, folder, where=f"{out}/{folder}", links="none")
    for rel in pages:
        if (out / rel).is_symlink():
            raise InvalidInput(f"{out / rel} is a symlink; nothing is written through one", where=str(out / rel),
                               hint="remove it, or build into a new directory")
    previous = _previous(out)
    _refuse_foreign(out, pages, set(previous))
    # the record names every page before any is written: a build cut short leaves only pages it owns
    _write_record(out, sorted(set(previous) | set(pages)))
    for rel, text in pages.items():
        payload = text.encode("utf-8")
        result.bytes += len(payload)
        target = out / rel
        try:
            if target.stat().st_size == len(payload) and target.read_bytes() == payload:
                result.unchanged += 1
                continue
        except OSError:
            pass  # not there yet (or unreadable): written below
        # a page is rebuilt from the repository at will: no fsync per page (2,000 of them would cost seconds)
        atomic_write(target, payload, durable=False)
        result.written.append(rel)
    for rel in previous:
        if rel in pages or rel == RECORD:
            continue
        try:
            target = safe_target(out, rel, where=f"{out}/{RECORD}", links="none")
        except InvalidInput:
            continue  # a record edited by hand names a path outside DIR: never followed
        if target.is_file():
            target.unlink()
            result.removed.append(rel)
            if target.parent != out and not any(target.parent.iterdir()):
                target.parent.rmdir()  # the folder of a model that is gone
    _write_record(out, sorted(pages))
    return result


def _refuse_foreign(out: Path, pages: dict[str, str], owned: set[str]) -> None:
    """Refuse to replace a file this command did not write (a hand-made index.html in -o docs, say)."""
    foreign = []
    for rel, text in pages.items():
        if rel in owned or not (out / rel).exists():
            continue
        try:
            same = (out / rel).read_bytes() == text.encode("utf-8")
        except OSError:
            same = False
        if not same:
            foreign.append(rel)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise InvalidInput(f"would replace {shown}, which gitmodel site did not write", where=str(out),
                           hint="build into a new or empty directory, or one an earlier `gitmodel site` wrote")


def _write_record(out: Path, pages: list[str]) -> None:
    record = json.dumps({"format": RECORD_FORMAT, "generator": "gitmodel site", "pages": pages}, indent=1) + "\n"
    if _read(out / RECORD) != record:
        atomic_write(out / RECORD, record, durable=False)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
