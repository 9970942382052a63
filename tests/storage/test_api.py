"""gitmodel.resolve: the serving API. Real git, real DVC, a local remote."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import gitmodel
from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.storage.transfer import push
from tests.kit.dvc import WEIGHTS_V1, WEIGHTS_V2, drop_local_copies, make_model_repo, second_version
from tests.kit.git import git


def commit_of(root: Path, tag: str) -> str:
    return git(root, "rev-parse", f"{tag}^{{commit}}").stdout.strip()


@pytest.fixture
def released(repo: Path) -> Path:
    """sentiment v0.1.0 and v0.2.0, both pushed; v0.1.0 in prod, v0.2.0 in staging."""
    root = make_model_repo(repo)
    second_version(root)
    push(root, all_releases=True)
    git(root, "tag", "-a", "sentiment#prod#1", "-m", "to prod", commit_of(root, "sentiment@v0.1.0"))
    git(root, "tag", "-a", "sentiment#staging#2", "-m", "to staging", commit_of(root, "sentiment@v0.2.0"))
    return root


def test_resolve_by_stage_version_and_latest(released: Path) -> None:
    prod = gitmodel.resolve("sentiment#prod", repo=released)
    assert prod.version == "0.1.0"
    assert prod.tag == "sentiment@v0.1.0"
    assert prod.weights[0].read_bytes() == WEIGHTS_V1
    assert prod.prompts[0].read_text() == "You are a sentiment classifier. v1\n"
    assert prod.fingerprint == prod.manifest.fingerprint()
    for _, entry in prod.manifest.files():
        path = prod.paths[entry.path]
        if path.is_file():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
    assert sorted(p.name for p in prod.data[0].iterdir()) == ["a.csv", "b.csv"]
    assert prod.paths["params.yaml"].read_text() == "lr: 0.001\n"

    latest = gitmodel.resolve("sentiment", repo=released)
    assert latest.version == "0.2.0"
    assert latest.weights[0].read_bytes() == WEIGHTS_V2
    assert gitmodel.resolve("sentiment#staging", repo=released).fingerprint == latest.fingerprint
    assert gitmodel.resolve("sentiment@v0.1.0", repo=released).root == prod.root
    assert str(prod) == f"sentiment@v0.1.0 (fingerprint {prod.fingerprint[:12]})"
    assert prod.root.parent == released / ".git" / "gitmodel" / "resolved"

    with pytest.raises(Refused, match="stage 'canary'"):
        gitmodel.resolve("sentiment#canary", repo=released)
    with pytest.raises(InvalidInput, match="no release sentiment@v9.9.9"):
        gitmodel.resolve("sentiment@v9.9.9", repo=released)
    with pytest.raises(InvalidInput, match="has no release"):
        gitmodel.resolve("ranker", repo=released)


def test_resolve_fetches_from_the_remote_then_reuses_without_dvc(released: Path) -> None:
    drop_local_copies(released)
    prod = gitmodel.resolve("sentiment#prod", repo=released)
    assert prod.weights[0].read_bytes() == WEIGHTS_V1
    # a serving process that finds the export in place never imports DVC
    script = textwrap.dedent("""
        import sys, gitmodel
        model = gitmodel.resolve("sentiment#prod")
        print(model.version, model.weights[0].stat().st_size)
        print("dvc" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=released, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0.1.0", str(len(WEIGHTS_V1)), "False"]


def test_a_tampered_export_is_rebuilt(released: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "resolved"
    first = gitmodel.resolve("sentiment@v0.1.0", repo=released, cache_dir=cache_dir)
    assert first.root.parent == cache_dir
    first.weights[0].write_bytes(b"edited in place by a careless process")
    again = gitmodel.resolve("sentiment@v0.1.0", repo=released, cache_dir=cache_dir)
    assert again.weights[0].read_bytes() == WEIGHTS_V1
    assert [p.name for p in cache_dir.iterdir()] == [first.fingerprint]  # no temp or stale dirs left


def test_a_release_whose_manifest_disagrees_with_its_tag_is_refused(released: Path) -> None:
    commit = commit_of(released, "sentiment@v0.2.0")
    git(released, "tag", "-a", "sentiment@v0.3.0", "-m", "on the wrong commit", commit)
    with pytest.raises(Refused, match="the manifest at the tag says sentiment 0.2.0"):
        gitmodel.resolve("sentiment@v0.3.0", repo=released)
    git(released, "tag", "-d", "sentiment@v0.2.0")
    git(released, "tag", "-a", "sentiment@v0.2.0", "-m", "release\n\nfingerprint: sha256:" + "0" * 64, commit)
    with pytest.raises(Refused, match="fingerprint mismatch"):
        gitmodel.resolve("sentiment@v0.2.0", repo=released)


def test_import_gitmodel_stays_cheap() -> None:
    result = subprocess.run([sys.executable, "-c", "import sys, gitmodel; print(sorted(m for m in sys.modules "
                             "if m.startswith(('dvc', 'gitmodel.'))))"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
