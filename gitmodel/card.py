"""Model cards: Markdown with a Hugging Face metadata header, rendered from a manifest and its releases.

The body comes from `templates/model-card.md` (a `string.Template`: `$name`, `${metrics_table}`, ...); a
repository replaces it with `.gitmodel/model-card.md`. The YAML header follows the Hub's model card
metadata: license, base_model, datasets, tags, metrics and model-index (task, dataset, metrics).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from gitmodel import git, semver
from gitmodel import manifest as mf
from gitmodel.check import load_manifests
from gitmodel.config import load_config
from gitmodel.errors import InvalidInput, printable
from gitmodel.fileio import dump_yaml, read_capped
from gitmodel.hashing import HashCache
from gitmodel.manifest import Manifest
from gitmodel.names import validate_name
from gitmodel.resources import templates_dir
from gitmodel.sources import WorkTree
from gitmodel.tags import Release, parse_ref, read_tags
from gitmodel.trends import is_number

OVERRIDE = ".gitmodel/model-card.md"
# Hub metadata keys a manifest's `card:` section may carry straight through to the header.
_PASSTHROUGH = ("language", "library_name", "pipeline_tag", "license_name", "license_link")
_EVAL_ROLES = ("eval", "test", "validation", "val", "dev")


@dataclass
class CardResult:
    name: str
    version: str
    text: str
    template: str
    metadata: dict[str, Any]


def _table(headers: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return ""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(printable(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _size(n: int) -> str:
    from gitmodel.render import human_size

    return human_size(n)


def _eval_dataset(m: Manifest) -> tuple[str, str]:
    """(name, type) of the data the metrics were measured on, for model-index."""
    card = m.card or {}
    if isinstance(card.get("eval_dataset"), str):
        return card["eval_dataset"], card["eval_dataset"]
    evals = [e for e in m.data if (e.role or "") in _EVAL_ROLES]
    if evals:
        return evals[0].path, evals[0].path
    datasets = (m.lineage or {}).get("datasets") or []
    if datasets:
        return str(datasets[0]), str(datasets[0])
    if m.data:
        return m.data[0].path, m.data[0].path
    return "unspecified", "unspecified"


def hf_metadata(m: Manifest) -> dict[str, Any]:
    """The model card YAML header, in the Hub's vocabulary."""
    card = m.card or {}
    lineage = m.lineage or {}
    header: dict[str, Any] = {}
    if card.get("license"):
        header["license"] = card["license"]
    for key in _PASSTHROUGH:
        if card.get(key):
            header[key] = card[key]
    if lineage.get("base_model"):
        header["base_model"] = lineage["base_model"]
    datasets = [str(d) for d in lineage.get("datasets") or []]
    if datasets:
        header["datasets"] = datasets
    header["tags"] = ["gitmodel", *[str(t) for t in card.get("tags") or [] if t != "gitmodel"]]
    numeric = {k: v for k, v in (m.metrics or {}).items() if is_number(v)}
    if numeric:
        header["metrics"] = sorted(numeric)
        dataset_name, dataset_type = _eval_dataset(m)
        task = card.get("task") or card.get("pipeline_tag") or "other"
        header["model-index"] = [{
            "name": m.name,
            "results": [{
                "task": {"type": str(task)},
                "dataset": {"name": dataset_name, "type": dataset_type},
                "metrics": [{"type": k, "value": v, "name": k} for k, v in numeric.items()],
            }],
        }]
    return header


def _files_table(entries: list[tuple[str, Any]]) -> str:
    rows = [[f"`{e.path}`", c if c != "data" else (e.role or "data"), f"`{e.sha256}`", _size(e.size), e.storage]
            for c, e in entries]
    return _table(["path", "role", "sha256", "size", "storage"], rows) or "_none recorded_"


def _environment(m: Manifest) -> str:
    env = m.environment or {}
    if not env:
        return "_not recorded — run `gitmodel env capture " + m.name + "`_"
    lines = []
    for key in ("python", "implementation", "platform"):
        if env.get(key):
            lines.append(f"- {key}: `{env[key]}`")
    packages = env.get("packages") or {}
    if packages:
        lines.append("- packages: " + ", ".join(f"`{k}=={v}`" for k, v in sorted(packages.items())))
    lock = env.get("lock")
    if isinstance(lock, dict) and lock.get("path"):
        lines.append(f"- lock file: `{lock['path']}` (sha256 `{lock.get('sha256', '')}`)")
    for key, v in env.items():
        if key not in ("python", "implementation", "platform", "packages", "lock"):
            lines.append(f"- {key}: `{v}`")
    return "\n".join(lines)


def _versions(releases: list[Release], current: str) -> str:
    rows = []
    for r in releases:
        mark = " (this card)" if str(r.version) == current else ""
        tagger = r.tagger.split(" <")[0]
        rows.append([f"v{r.version}{mark}", r.date[:10], tagger, r.subject])
    return _table(["version", "date", "released by", "message"], rows) or "_not released yet_"


def _template(root: Path) -> tuple[str, str]:
    override = root / OVERRIDE
    if override.is_file():
        return OVERRIDE, read_capped(override, where=OVERRIDE).decode("utf-8", "replace")
    path = templates_dir() / "model-card.md"
    return "templates/model-card.md", path.read_text(encoding="utf-8")


def card_fields(m: Manifest, releases: list[Release], manifest_path: str = "") -> dict[str, str]:
    card = m.card or {}
    lineage = m.lineage or {}
    metrics = [[k, str(v)] for k, v in (m.metrics or {}).items()]
    params = [[f"`{k}`", f"`{v}`"] for k, v in sorted((m.params or {}).items())]
    lineage_lines = [f"- {k}: `{v}`" for k, v in lineage.items() if k != "datasets"]
    lineage_lines += [f"- dataset: `{d}`" for d in lineage.get("datasets") or []]
    owners = ", ".join(str(o) for o in card.get("owners") or []) or "unknown"
    header = dump_yaml(hf_metadata(m)).rstrip("\n")
    return {
        "yaml_header": f"---\n{header}\n---",
        "name": m.name,
        "version": m.version,
        "manifest_path": manifest_path or f"models/{m.name}.yaml",
        "description": m.description or "_No description recorded._",
        "intended_use": str(card.get("intended_use") or "_Not stated: add `card.intended_use` to the manifest._"),
        "limitations": str(card.get("limitations") or "_Not stated: add `card.limitations` to the manifest._"),
        "owners": owners,
        "license": str(card.get("license") or "unspecified"),
        "fingerprint": m.fingerprint(),
        "weights_table": _files_table([("weights", e) for e in m.weights]),
        "training_data": _files_table([("data", e) for e in m.data]),
        "prompts_table": _files_table([("prompts", e) for e in m.prompts]),
        "metrics_table": _table(["metric", "value"], metrics) or "_No metrics recorded._",
        "params_table": _table(["param", "value"], params) or "_No params recorded._",
        "lineage": "\n".join(lineage_lines) or "_No lineage recorded._",
        "environment": _environment(m),
        "versions_table": _versions(releases, m.version),
    }


def render_card(root: Path, ref: str) -> CardResult:
    """The card of `NAME` (working tree) or `NAME@vX.Y.Z` (that release)."""
    name, version, stage = parse_ref(ref)
    if stage is not None:
        raise InvalidInput("a card is made for a model or a release, not a stage", where=ref,
                           hint=f"gitmodel card {name}@vX.Y.Z")
    validate_name(name)
    cfg = load_config(root)
    tags = read_tags(root, {name})
    releases = tags.active_releases(name)
    if version is not None:
        wanted = semver.parse(version, where=ref)
        release = tags.release(name, wanted)
        if release is None:
            raise InvalidInput(f"no release {name}@v{wanted}", where=ref, hint=f"see `gitmodel versions {name}`")
        path = release.meta("manifest") or cfg.manifest_path(name)
        blob = git.show_file(root, release.commit, path)
        if blob is None:
            raise InvalidInput(f"the commit of {release.tag} has no {path}", where=ref)
        manifest = mf.parse(blob, where=f"{release.tag}:{path}", full=False)
        releases = [r for r in releases if r.version <= wanted]
    else:
        loaded = load_manifests(WorkTree(root, HashCache(git.git_dir(root), root)), cfg, full=set(), names={name})
        if name not in loaded:
            raise InvalidInput("no such model", where=cfg.manifest_path(name),
                               hint=f"create it with `gitmodel add {name} ...`")
        manifest = loaded[name][1]
    label, text = _template(root)
    try:
        fields = card_fields(manifest, releases, cfg.manifest_path(name))
        # manifest and tag text is shown, never sent, in the card too (it is read in terminals and files)
        rendered = Template(text).substitute({k: printable(v, newlines=True) for k, v in fields.items()})
    except KeyError as exc:
        raise InvalidInput(f"unknown placeholder ${exc.args[0]}", where=label,
                           hint="see templates/model-card.md for the placeholders") from None
    except ValueError as exc:
        raise InvalidInput(f"bad placeholder: {exc}", where=label, hint="write a literal $ as $$") from None
    return CardResult(name, manifest.version, rendered.rstrip("\n") + "\n", label, hf_metadata(manifest))
