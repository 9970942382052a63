"""Model cards: Markdown with a Hugging Face metadata header, rendered from a manifest and its releases.

The body comes from `templates/model-card.md` (a `string.Template`: `$name`, `${metrics_table}`, ...); a
repository replaces it with `.gitmodel/model-card.md`. The YAML header follows the Hub's model card
metadata: license, base_model, datasets, tags, metrics and model-index (task, dataset, metrics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from gitmodel.infra.errors import InvalidInput, printable
from gitmodel.infra.fileio import dump_yaml, read_capped, safe_target
from gitmodel.infra.hashing import HashCache
from gitmodel.infra.resources import templates_dir
from gitmodel.model import manifest as mf
from gitmodel.model import semver
from gitmodel.model.config import load_config
from gitmodel.model.manifest import Manifest
from gitmodel.model.names import validate_name
from gitmodel.repo import git
from gitmodel.repo.history import user_message
from gitmodel.repo.reading import load_manifests
from gitmodel.repo.sources import WorkTree
from gitmodel.repo.tags import Release, parse_ref, read_tags
from gitmodel.review.tables import Cell, Code, markdown_table
from gitmodel.review.trends import is_number

OVERRIDE = ".gitmodel/model-card.md"
# Hub metadata keys a manifest's `card:` section may carry straight through to the header.
_PASSTHROUGH = ("language", "library_name", "pipeline_tag", "license_name", "license_link")
# Data roles whose metrics may be reported in model-index (held-out data; never `train`).
EVAL_ROLES = ("eval", "test", "validation", "val", "dev")
# The license identifiers the Hub accepts in a card's `license:` (its repositories-licenses page).
HUB_LICENSES = (
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0", "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd",
    "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5",
    "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0",
    "cc-by-nd-4.0", "cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0", "cdla-sharing-1.0", "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0",
    "epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1", "eupl-1.2", "agpl-3.0", "gfdl", "gpl", "gpl-2.0",
    "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc", "h-research", "intel-research", "lppl-1.3c", "ms-pl",
    "apple-ascl", "apple-amlr", "mpl-2.0", "odc-by", "odbl", "openmdw-1.0", "openrail++", "osl-3.0",
    "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib", "pddl", "lgpl-lr", "deepfloyd-if-license",
    "fair-noncommercial-research-license", "llama2", "llama3", "llama3.1", "llama3.2", "llama3.3", "llama4",
    "gemma", "unknown", "other",
)
# Spellings people write for a Hub id that the normalisation below does not reach on its own.
_LICENSE_ALIASES = {"apache": "apache-2.0", "apache2": "apache-2.0", "apache-2": "apache-2.0",
                    "cc0": "cc0-1.0", "public-domain": "unlicense", "gplv3": "gpl-3.0", "gplv2": "gpl-2.0",
                    "lgplv3": "lgpl-3.0", "agplv3": "agpl-3.0", "mpl2": "mpl-2.0", "bsd-3": "bsd-3-clause",
                    "bsd-2": "bsd-2-clause"}


@dataclass
class CardResult:
    name: str
    version: str
    text: str
    template: str
    metadata: dict[str, Any]


def _table(headers: list[str], rows: list[list[Cell]]) -> str:
    return "\n".join(markdown_table(headers, rows)) if rows else ""


def _size(n: int) -> str:
    from gitmodel.review.render import human_size

    return human_size(n)


def hub_license(raw: object, *, where: str = "card.license") -> str:
    """The Hub's id for a license as people write it (`Apache 2.0` → `apache-2.0`); refused if it has none."""
    text = str(raw).strip().lower()
    key = re.sub(r"[^a-z0-9.+]+", "-", text).strip("-")
    key = re.sub(r"(^|-)licen[cs]e(-|$)", r"\1", key).strip("-")
    key = re.sub(r"-(only|version)$", "", key.replace("-version-", "-"))
    key = _LICENSE_ALIASES.get(key, key)
    for base in (key, re.sub(r"-v(\d)", r"-\1", key), re.sub(r"([a-z])-(\d)", r"\1\2", key)):
        for candidate in (base, f"{base}.0"):
            if candidate in HUB_LICENSES:
                return candidate
    raise InvalidInput(f"{str(raw)!r} is not a license id the Hugging Face Hub accepts", where=where,
                       hint="use one of " + ", ".join(HUB_LICENSES)
                            + " (for any other license: `other` with card.license_name and card.license_link)")


def _eval_dataset(m: Manifest) -> str | None:
    """The held-out data the metrics were measured on (data with an eval role, or card.eval_dataset)."""
    card = m.card or {}
    if isinstance(card.get("eval_dataset"), str) and card["eval_dataset"].strip():
        return str(card["eval_dataset"])
    evals = [e for e in m.data if (e.role or "") in EVAL_ROLES]
    return evals[0].path if evals else None


def hf_metadata(m: Manifest, where: str = "") -> dict[str, Any]:
    """The model card YAML header, in the Hub's vocabulary."""
    card = m.card or {}
    lineage = m.lineage or {}
    header: dict[str, Any] = {}
    if card.get("license"):
        header["license"] = hub_license(card["license"], where=f"{where or f'models/{m.name}.yaml'}: card.license")
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
    dataset = _eval_dataset(m)
    if numeric and dataset is not None:
        # Metrics measured on training data are not evaluation results: no model-index without held-out data.
        task = card.get("task") or card.get("pipeline_tag") or "other"
        header["model-index"] = [{
            "name": m.name,
            "results": [{
                "task": {"type": str(task)},
                "dataset": {"name": dataset, "type": dataset},
                "metrics": [{"type": k, "value": v, "name": k} for k, v in numeric.items()],
            }],
        }]
    return header


def _files_table(entries: list[tuple[str, Any]]) -> str:
    rows: list[list[Cell]] = [[Code(e.path), c if c != "data" else (e.role or "data"), Code(e.sha256), _size(e.size),
                               e.storage] for c, e in entries]
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
    rows: list[list[Cell]] = []
    for r in releases:
        mark = " (this card)" if str(r.version) == current else ""
        tagger = r.tagger.split(" <")[0]
        # what the releaser wrote (-m), on one row, without control characters (no escape codes in a card)
        message = " ".join("".join(c if c.isprintable() else " " for c in user_message(r.message)).split())
        rows.append([f"v{r.version}{mark}", r.date[:10], tagger, message or "—"])
    return _table(["version", "date", "released by", "message"], rows) or "_not released yet_"


def _template(root: Path) -> tuple[str, str]:
    override = safe_target(root, OVERRIDE, where=OVERRIDE)  # a template linked out of the repo: exit 2
    if override.is_file():
        return OVERRIDE, read_capped(override, where=OVERRIDE).decode("utf-8", "replace")
    path = templates_dir() / "model-card.md"
    return "templates/model-card.md", path.read_text(encoding="utf-8")


def card_fields(m: Manifest, releases: list[Release], manifest_path: str = "") -> dict[str, str]:
    card = m.card or {}
    lineage = m.lineage or {}
    metrics: list[list[Cell]] = [[k, str(v)] for k, v in (m.metrics or {}).items()]
    params: list[list[Cell]] = [[Code(k), Code(str(v))] for k, v in sorted((m.params or {}).items())]
    lineage_lines = [f"- {k}: `{v}`" for k, v in lineage.items() if k != "datasets"]
    lineage_lines += [f"- dataset: `{d}`" for d in lineage.get("datasets") or []]
    owners = ", ".join(str(o) for o in card.get("owners") or []) or "unknown"
    header = dump_yaml(hf_metadata(m, manifest_path)).rstrip("\n")
    return {
        "yaml_header": f"---\n{header}\n---",
        "name": m.name,
        "version": m.version,
        "manifest_path": manifest_path or f"models/{m.name}.yaml",
        "description": m.description or "_No description recorded._",
        "intended_use": str(card.get("intended_use") or "_Not stated: add `card.intended_use` to the manifest._"),
        "limitations": str(card.get("limitations") or "_Not stated: add `card.limitations` to the manifest._"),
        "owners": owners,
        "license": hub_license(card["license"], where=f"{manifest_path}: card.license") if card.get("license")
                   else "unspecified",
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
    label, rendered = card_text(root, manifest, releases, cfg.manifest_path(name))
    return CardResult(name, manifest.version, rendered, label, hf_metadata(manifest, cfg.manifest_path(name)))


def card_text(root: Path, manifest: Manifest, releases: list[Release], manifest_path: str) -> tuple[str, str]:
    """(template used, the card's Markdown) for a manifest already read; `releases` up to its version."""
    label, text = _template(root)
    try:
        fields = card_fields(manifest, releases, manifest_path)
        # manifest and tag text is shown, never sent, in the card too (it is read in terminals and files)
        rendered = Template(text).substitute({k: printable(v, newlines=True) for k, v in fields.items()})
    except KeyError as exc:
        raise InvalidInput(f"unknown placeholder ${exc.args[0]}", where=label,
                           hint="see templates/model-card.md for the placeholders") from None
    except ValueError as exc:
        raise InvalidInput(f"bad placeholder: {exc}", where=label, hint="write a literal $ as $$") from None
    return label, rendered.rstrip("\n") + "\n"
