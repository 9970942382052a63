"""Container labels: an image records exactly which release it serves, and can be checked against it.

`release_labels` turns a release (`NAME@vX.Y.Z`) into OCI annotations / Docker labels; `check_labels`
reads what `docker inspect` printed and compares it with the release the labels themselves name.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.repo.refs import show_model
from gitmodel.repo.tags import parse_ref

NAME, VERSION, FINGERPRINT, COMMIT, MANIFEST = (
    "dev.gitmodel.name", "dev.gitmodel.version", "dev.gitmodel.fingerprint", "dev.gitmodel.commit",
    "dev.gitmodel.manifest")
OCI_VERSION, OCI_REVISION = "org.opencontainers.image.version", "org.opencontainers.image.revision"
LABEL_KEYS = (OCI_VERSION, OCI_REVISION, NAME, VERSION, FINGERPRINT, COMMIT, MANIFEST)
# Dockerfile build arguments that carry each label (templates/Dockerfile declares them).
BUILD_ARGS = {NAME: "GITMODEL_NAME", VERSION: "GITMODEL_VERSION", FINGERPRINT: "GITMODEL_FINGERPRINT",
              COMMIT: "GITMODEL_COMMIT", MANIFEST: "GITMODEL_MANIFEST"}
FORMATS = ("docker", "oci", "json", "build-args")


@dataclass(frozen=True)
class ReleaseLabels:
    tag: str
    labels: dict[str, str]

    def render(self, fmt: str) -> str:
        """The labels as a Dockerfile LABEL, OCI `key=value` annotations, JSON or `--build-arg` lines."""
        if fmt == "docker":
            return "LABEL " + " \\\n      ".join(f"{k}={json.dumps(v)}" for k, v in self.labels.items())
        if fmt == "oci":
            return "\n".join(f"{k}={v}" for k, v in self.labels.items())
        if fmt == "json":
            return json.dumps(self.labels, indent=2)
        if fmt == "build-args":
            return "\n".join(f"--build-arg {arg}={shlex.quote(self.labels[key])}" for key, arg in BUILD_ARGS.items())
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", where="--format")


def release_labels(root: Path, ref: str) -> ReleaseLabels:
    """The labels of a release (`NAME@vX.Y.Z` or `NAME#STAGE`); refused when its fingerprint does not verify."""
    _name, version, stage = parse_ref(ref)
    if version is None and stage is None:
        raise InvalidInput("labels describe a release: give NAME@vX.Y.Z (or NAME#STAGE)", where=ref,
                           hint=f"see `gitmodel versions {ref}`")
    shown = show_model(root, ref)
    release = shown.release
    assert release is not None  # show_model resolves a version or stage to its release or raises
    if shown.fingerprint_ok is False:
        raise Refused(f"the manifest at {release.tag} does not match the fingerprint in the tag message "
                      f"(tag says {release.fingerprint}, manifest gives {shown.fingerprint})",
                      where=release.tag, hint=f"investigate with `gitmodel show {release.tag}`")
    version_text = str(release.version)
    labels = {
        OCI_VERSION: version_text,
        OCI_REVISION: release.commit,
        NAME: shown.name,
        VERSION: version_text,
        FINGERPRINT: f"sha256:{shown.fingerprint}",
        COMMIT: release.commit,
        MANIFEST: shown.manifest_path,
    }
    return ReleaseLabels(release.tag, labels)


@dataclass(frozen=True)
class LabelMismatch:
    key: str
    expected: str
    found: str | None  # None: the label is missing

    def line(self) -> str:
        found = "no such label" if self.found is None else repr(self.found)
        return f"{self.key}: expected {self.expected!r}, image has {found}"


@dataclass
class LabelCheck:
    """The image's labels against the release they name."""

    tag: str
    expected: dict[str, str]
    found: dict[str, str]
    mismatches: list[LabelMismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "release": self.tag, "expected": self.expected,
                "found": {k: self.found.get(k) for k in self.expected},
                "mismatches": [{"key": m.key, "expected": m.expected, "found": m.found} for m in self.mismatches]}


def extract_labels(data: Any, *, where: str) -> dict[str, str]:
    """The labels in `docker inspect` output (image or container), an OCI config/manifest, or a plain mapping."""
    if isinstance(data, list):
        if not data:
            raise InvalidInput("empty list: `docker inspect` found no such image", where=where)
        data = data[0]
    if not isinstance(data, dict):
        raise InvalidInput(f"expected docker inspect JSON or a mapping of labels, got {type(data).__name__}",
                           where=where)
    for outer, inner in (("Config", "Labels"), ("config", "Labels"), ("ContainerConfig", "Labels")):
        if isinstance(data.get(outer), dict) and inner in data[outer]:
            return _string_map(data[outer][inner], where=f"{where}: {outer}.{inner}")
    for key in ("Labels", "labels", "annotations"):
        if key in data:
            return _string_map(data[key], where=f"{where}: {key}")
    return _string_map(data, where=where)


def _string_map(value: Any, *, where: str) -> dict[str, str]:
    if value is None:  # docker prints null for an image without labels
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InvalidInput("labels must be a mapping of strings", where=where)
    return {str(k): v for k, v in value.items()}


def check_labels(root: Path, labels_json: Any, *, where: str = "labels", ref: str | None = None) -> LabelCheck:
    """Compare an image's labels (parsed `docker inspect` JSON, or its text) with its release.

    The release is the one the labels name (`dev.gitmodel.name` + `dev.gitmodel.version`), or `ref` when
    given, so an image built from another release is reported label by label.
    """
    if isinstance(labels_json, (str, bytes)):
        try:
            labels_json = json.loads(labels_json)
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting past the stack
            raise InvalidInput(f"not JSON: {str(exc) or 'nested too deeply'}", where=where,
                               hint="pass the output of `docker inspect IMAGE`") from None
    found = extract_labels(labels_json, where=where)
    if ref is None:
        name, version = found.get(NAME), found.get(VERSION)
        if not name or not version:
            missing = NAME if not name else VERSION
            raise Refused(f"the image has no {missing} label, so it names no release", where=where,
                          hint="build it with the labels of `gitmodel labels NAME@vX.Y.Z --format docker`")
        ref = f"{name}@v{version}"
    try:
        expected = release_labels(root, ref)
    except InvalidInput as exc:
        raise Refused(f"the image names {ref}, which is not a release here: {exc.message}", where=where,
                      hint="fetch tags (`git fetch --tags`) or rebuild the image from a release") from None
    mismatches = [LabelMismatch(k, v, found.get(k)) for k, v in expected.labels.items() if found.get(k) != v]
    return LabelCheck(expected.tag, expected.labels, found, mismatches)
