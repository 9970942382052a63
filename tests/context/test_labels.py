"""Container labels from a release, and an image's labels (docker inspect JSON) checked against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmodel.context.labels import LABEL_KEYS, check_labels, extract_labels, release_labels
from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model.manifest import load
from tests.kit.cli import gm
from tests.kit.git import git, release
from tests.kit.repos import released_in_git


@pytest.fixture
def released(repo: Path) -> Path:
    """sentiment@v0.1.0 released (weights in git: no DVC needed for labels)."""
    return released_in_git(repo)


def _expected(root: Path) -> tuple[str, str]:
    fingerprint = load(root / "models/sentiment.yaml").fingerprint()
    commit = git(root, "rev-parse", "sentiment@v0.1.0^{commit}").stdout.strip()
    return fingerprint, commit


def test_labels_of_a_release(released: Path) -> None:
    fingerprint, commit = _expected(released)
    result = release_labels(released, "sentiment@v0.1.0")
    assert result.tag == "sentiment@v0.1.0"
    assert tuple(result.labels) == LABEL_KEYS
    assert result.labels == {
        "org.opencontainers.image.version": "0.1.0", "org.opencontainers.image.revision": commit,
        "dev.gitmodel.name": "sentiment", "dev.gitmodel.version": "0.1.0",
        "dev.gitmodel.fingerprint": f"sha256:{fingerprint}", "dev.gitmodel.commit": commit,
        "dev.gitmodel.manifest": "models/sentiment.yaml",
    }


def test_judged_scenario_docker_format_prints_version_and_fingerprint(released: Path) -> None:
    fingerprint, commit = _expected(released)
    proc = gm(released, "labels", "sentiment@v0.1.0", "--format", "docker")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == 'LABEL org.opencontainers.image.version="0.1.0" \\'
    assert '      dev.gitmodel.version="0.1.0" \\' in lines
    assert f'      dev.gitmodel.fingerprint="sha256:{fingerprint}" \\' in lines
    assert lines[-1] == '      dev.gitmodel.manifest="models/sentiment.yaml"'


def test_oci_json_and_build_args_formats(released: Path) -> None:
    fingerprint, commit = _expected(released)
    oci = gm(released, "labels", "sentiment@v0.1.0", "--format", "oci").stdout.splitlines()
    assert oci[0] == "org.opencontainers.image.version=0.1.0"
    assert f"dev.gitmodel.commit={commit}" in oci
    wrapped = json.loads(gm(released, "labels", "sentiment@v0.1.0", "--json").stdout)
    assert wrapped["release"] == "sentiment@v0.1.0"
    assert wrapped["labels"]["dev.gitmodel.commit"] == commit
    as_json = json.loads(gm(released, "labels", "sentiment@v0.1.0", "--format", "json").stdout)
    assert as_json["dev.gitmodel.fingerprint"] == f"sha256:{fingerprint}"
    args = gm(released, "labels", "sentiment@v0.1.0", "--format", "build-args").stdout.splitlines()
    assert "--build-arg GITMODEL_VERSION=0.1.0" in args
    assert f"--build-arg GITMODEL_FINGERPRINT=sha256:{fingerprint}" in args
    dockerfile = (Path(__file__).resolve().parents[2] / "templates/Dockerfile").read_text()
    for arg in ("GITMODEL_NAME", "GITMODEL_VERSION", "GITMODEL_FINGERPRINT", "GITMODEL_COMMIT", "GITMODEL_MANIFEST"):
        assert f"ARG {arg}" in dockerfile
        assert f"${{{arg}}}" in dockerfile


def test_labels_refuse_what_is_not_a_release(released: Path) -> None:
    with pytest.raises(InvalidInput, match="give NAME@vX.Y.Z"):
        release_labels(released, "sentiment")
    with pytest.raises(InvalidInput, match="no release sentiment@v9.9.9"):
        release_labels(released, "sentiment@v9.9.9")
    proc = gm(released, "labels", "sentiment@v0.1.0", "--format", "yaml")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: --format: unknown format 'yaml'")


def test_a_tampered_release_gets_no_labels(released: Path) -> None:
    git(released, "tag", "-f", "-a", "sentiment@v0.1.0", "-m", "Release\n\nfingerprint: sha256:" + "0" * 64)
    with pytest.raises(Refused, match="does not match the fingerprint"):
        release_labels(released, "sentiment@v0.1.0")


def _inspect(labels: dict[str, str] | None) -> str:
    """What `docker image inspect` prints (trimmed): a list of one image."""
    return json.dumps([{"Id": "sha256:" + "ab" * 32, "RepoTags": ["sentiment:0.1.0"],
                        "Config": {"Env": ["PATH=/usr/bin"], "Labels": labels}}])


def test_verify_accepts_an_image_built_from_the_release(released: Path, tmp_path: Path) -> None:
    labels = release_labels(released, "sentiment@v0.1.0").labels
    report = check_labels(released, _inspect({**labels, "maintainer": "ml-team"}))
    assert report.ok
    assert report.tag == "sentiment@v0.1.0"
    path = tmp_path / "inspect.json"
    path.write_text(_inspect(labels))
    proc = gm(released, "labels", "--verify", str(path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ok: the image's labels match sentiment@v0.1.0")
    piped = gm(released, "labels", "--verify", "-", "--json", input=_inspect(labels))
    assert json.loads(piped.stdout)["ok"] is True


def test_verify_reports_each_label_that_differs(released: Path, tmp_path: Path) -> None:
    labels = release_labels(released, "sentiment@v0.1.0").labels
    forged = {**labels, "dev.gitmodel.fingerprint": "sha256:" + "1" * 64}
    del forged["dev.gitmodel.commit"]
    report = check_labels(released, _inspect(forged))
    assert not report.ok
    assert {(m.key, m.found) for m in report.mismatches} == {
        ("dev.gitmodel.fingerprint", "sha256:" + "1" * 64), ("dev.gitmodel.commit", None)}
    path = tmp_path / "inspect.json"
    path.write_text(_inspect(forged))
    proc = gm(released, "labels", "--verify", str(path))
    assert proc.returncode == 1
    assert "sentiment@v0.1.0: dev.gitmodel.commit: expected" in proc.stderr
    assert "dev.gitmodel.commit: expected" in proc.stderr
    assert "image has no such label" in proc.stderr
    assert "2 label(s) do not match sentiment@v0.1.0" in proc.stderr


def test_verify_against_an_explicit_release(released: Path) -> None:
    (released / "model.txt").write_text("weights v2\n")
    from gitmodel.workspace.edit import bump_model

    bump_model(released, "sentiment")
    git(released, "commit", "-q", "-m", "sentiment 0.2.0")
    release(released, "sentiment")
    old = release_labels(released, "sentiment@v0.1.0").labels
    report = check_labels(released, {"Labels": old}, ref="sentiment@v0.2.0")
    assert report.tag == "sentiment@v0.2.0"
    assert {m.key for m in report.mismatches} >= {"dev.gitmodel.version", "dev.gitmodel.fingerprint"}


def test_verify_refuses_images_that_name_no_release(released: Path) -> None:
    with pytest.raises(Refused, match="no dev.gitmodel.name label"):
        check_labels(released, _inspect(None))
    with pytest.raises(Refused, match="names sentiment@v3.0.0, which is not a release"):
        check_labels(released, {"dev.gitmodel.name": "sentiment", "dev.gitmodel.version": "3.0.0"})
    with pytest.raises(InvalidInput, match="not JSON"):
        check_labels(released, "{nope", where="x.json")
    proc = gm(released, "labels", "--verify", "missing.json")
    assert (proc.returncode, proc.stderr.splitlines()[0][:33]) == (2, "error: missing.json: file not fou")


@pytest.mark.parametrize("doc", [
    [{"Config": {"Labels": {"a": "1"}}}],                  # docker image/container inspect
    {"config": {"Labels": {"a": "1"}}},                    # OCI image config
    {"Labels": {"a": "1"}},                                # skopeo inspect
    {"annotations": {"a": "1"}},                           # OCI manifest
    {"a": "1"},                                            # a plain mapping
])
def test_extract_labels_from_each_shape(doc: object) -> None:
    assert extract_labels(doc, where="f") == {"a": "1"}


def test_verify_labels_is_the_same_check_through_verify(released: Path, tmp_path: Path) -> None:
    labels = release_labels(released, "sentiment@v0.1.0").labels
    good = gm(released, "verify", "--labels", "-", input=_inspect(labels))
    assert good.returncode == 0, good.stderr
    assert "sentiment@v0.1.0" in good.stdout
    forged = {**labels, "dev.gitmodel.fingerprint": "sha256:" + "2" * 64}
    bad = gm(released, "verify", "--labels", "-", input=_inspect(forged))
    assert bad.returncode == 1
    assert "dev.gitmodel.fingerprint" in bad.stderr
