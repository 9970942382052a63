"""`gitmodel bom NAME@vX.Y.Z`: a CycloneDX 1.6 AI bill of materials of one release, built with
cyclonedx-python-lib (imported here only, when the command runs: never on the hook path).

- the model: a `machine-learning-model` component (metadata.component) with its model card;
- every pinned file (weights, data, prompts, the params file, the environment lock) a component with its
  SHA-256 (and DVC's MD5 where it is a file's);
- the environment's packages `library` components (`pkg:pypi/...`) the model depends on;
- the lineage (parent release, base model, datasets) the model's pedigree, with the release commit.

cyclonedx-python-lib 11 has no model-card class (its `Component.model_card` is a stub), so the `modelCard`
object is added to the document the library serialised, then the whole document is validated by the
library's own strict JSON validator against the 1.6 schema before it is returned.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import ExternalFailure, InvalidInput
from gitmodel.model.manifest import Manifest
from gitmodel.repo.tags import parse_ref, read_tags
from gitmodel.storage.export import locate_release

INSTALL = "pip install 'gitmodel[bom]'  (cyclonedx-python-lib)"


@dataclass
class BomResult:
    name: str
    version: str
    tag: str
    document: str          # the CycloneDX JSON
    components: int
    hashes: int


def _lib() -> Any:
    try:
        import cyclonedx  # noqa: F401
    except ImportError:
        raise ExternalFailure("cyclonedx-python-lib is not installed", where="gitmodel bom", hint=INSTALL) from None
    import cyclonedx.model as cdx

    return cdx


def _model_card(manifest: Manifest, data_refs: list[str]) -> dict[str, Any]:
    card = manifest.card or {}
    parameters: dict[str, Any] = {}
    if isinstance(card.get("task"), str):
        parameters["task"] = card["task"]
    if data_refs:
        parameters["datasets"] = [{"ref": ref} for ref in data_refs]
    schema = manifest.schema or {}
    if schema.get("inputs"):
        parameters["inputs"] = [{"format": "json"}]
    if schema.get("outputs"):
        parameters["outputs"] = [{"format": "json"}]
    out: dict[str, Any] = {"bom-ref": f"model-card:{manifest.name}@v{manifest.version}"}
    if parameters:
        out["modelParameters"] = parameters
    metrics = [{"type": str(k), "value": str(v)} for k, v in sorted((manifest.metrics or {}).items())]
    if metrics:
        out["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    considerations: dict[str, Any] = {}
    if isinstance(card.get("intended_use"), str):
        considerations["useCases"] = [card["intended_use"]]
    if isinstance(card.get("limitations"), str):
        considerations["technicalLimitations"] = [card["limitations"]]
    if considerations:
        out["considerations"] = considerations
    rest = {k: v for k, v in card.items() if k not in ("task", "intended_use", "limitations")}
    if rest:
        out["properties"] = [{"name": f"gitmodel:card:{k}", "value": v if isinstance(v, str) else json.dumps(v)}
                             for k, v in sorted(rest.items())]
    return out


def build_bom(root: Path, ref: str) -> BomResult:
    """The CycloneDX 1.6 JSON document of the release `NAME@vX.Y.Z`, validated against the 1.6 schema."""
    name, version, stage = parse_ref(ref)
    if version is None or stage is not None:
        raise InvalidInput(f"{ref!r} does not name a release", where="NAME@vX.Y.Z", hint=f"use {name}@vX.Y.Z")
    _lib()
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Commit, Component, ComponentType, Pedigree
    from cyclonedx.model.license import LicenseExpression
    from cyclonedx.output.json import JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from packageurl import PackageURL

    tags = read_tags(root, {name})
    located = locate_release(root, ref, tags=tags)
    manifest = located.manifest
    release = next(r for r in tags.releases[name] if r.tag == located.tag)
    subject = f"{manifest.name}@v{manifest.version}"
    hashes = 0

    def sha(value: str, md5: str | None = None) -> list[Any]:
        nonlocal hashes
        found = [HashType(alg=HashAlgorithm.SHA_256, content=value)]
        if md5 and not md5.endswith(".dir"):
            found.append(HashType(alg=HashAlgorithm.MD5, content=md5))
        hashes += 1
        return found

    parts: list[Any] = []
    data_refs: list[str] = []
    for kind, entry in manifest.files():
        ref_id = f"{kind}:{entry.path}"
        props = [Property(name="gitmodel:component", value=kind), Property(name="gitmodel:path", value=entry.path),
                 Property(name="gitmodel:storage", value=entry.storage),
                 Property(name="gitmodel:size", value=str(entry.size))]
        if entry.role:
            props.append(Property(name="gitmodel:role", value=entry.role))
        if entry.format:
            props.append(Property(name="gitmodel:format", value=entry.format))
        parts.append(Component(name=entry.path, type=ComponentType.DATA if kind == "data" else ComponentType.FILE,
                               bom_ref=ref_id, hashes=sha(entry.sha256, entry.md5), properties=props))
        if kind == "data":
            data_refs.append(ref_id)
    for kind, path, digest in manifest.pinned_extras():
        parts.append(Component(name=path, type=ComponentType.FILE, bom_ref=f"{kind}:{path}", hashes=sha(digest),
                               properties=[Property(name="gitmodel:component", value=kind),
                                           Property(name="gitmodel:path", value=path)]))
    packages = []
    for pkg, pinned in sorted(((manifest.environment or {}).get("packages") or {}).items()):
        purl = PackageURL(type="pypi", name=str(pkg).lower(), version=str(pinned))
        packages.append(Component(name=str(pkg), version=str(pinned), type=ComponentType.LIBRARY, purl=purl,
                                  bom_ref=f"pkg:{pkg}@{pinned}"))
    lineage = manifest.lineage or {}
    ancestors = []
    if isinstance(lineage.get("parent"), str):
        parent_name, _, parent_version = lineage["parent"].partition("@")
        ancestors.append(Component(name=parent_name, version=parent_version or None,
                                   type=ComponentType.MACHINE_LEARNING_MODEL, bom_ref=f"parent:{lineage['parent']}"))
    if isinstance(lineage.get("base_model"), str):
        ancestors.append(Component(name=lineage["base_model"], type=ComponentType.MACHINE_LEARNING_MODEL,
                                   bom_ref=f"base:{lineage['base_model']}"))
    for dataset in lineage.get("datasets") or []:
        ancestors.append(Component(name=str(dataset), type=ComponentType.DATA, bom_ref=f"dataset:{dataset}"))
    pedigree = Pedigree(ancestors=ancestors, commits=[Commit(uid=located.commit, message=release.subject)],
                        notes=json.dumps(lineage, sort_keys=True) if lineage else None)
    license_text = (manifest.card or {}).get("license")
    model = Component(name=manifest.name, version=manifest.version, type=ComponentType.MACHINE_LEARNING_MODEL,
                      bom_ref=subject, description=manifest.description, pedigree=pedigree,
                      licenses=[LicenseExpression(license_text)] if isinstance(license_text, str) else None,
                      properties=[Property(name="gitmodel:fingerprint", value=f"sha256:{located.fingerprint}"),
                                  Property(name="gitmodel:tag", value=located.tag),
                                  Property(name="gitmodel:manifest", value=located.manifest_path)])
    bom = Bom(serial_number=uuid.uuid5(uuid.NAMESPACE_URL, f"gitmodel:{subject}:{located.fingerprint}"))
    bom.metadata.component = model
    bom.metadata.timestamp = datetime.fromisoformat(release.date) if release.date else bom.metadata.timestamp
    for part in [*parts, *packages]:
        bom.components.add(part)
    bom.register_dependency(model, [*parts, *packages])
    document = json.loads(JsonV1Dot6(bom).output_as_string())
    document["metadata"]["component"]["modelCard"] = _model_card(manifest, data_refs)
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    if error is not None:  # our bug, never the user's input: exit 4 through the funnel
        raise RuntimeError(f"the CycloneDX document of {subject} does not validate: {error}")
    return BomResult(name, manifest.version, located.tag, text, len(parts) + len(packages), hashes)
