"""gitmodel/repo/remote.py: which `repo` is remote, where the cache lives, and that only what is read is
fetched — real git, a real `git daemon` on 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitmodel.infra.errors import ExternalFailure
from gitmodel.repo import git as gitcli
from gitmodel.repo.remote import cache_home, canonical_url, hydrate, is_remote, open_remote, url_key
from gitmodel.repo.tags import read_tags
from tests.kit.files import write
from tests.kit.git import git, release
from tests.kit.gitserver import git_daemon, serve_bare


@pytest.mark.parametrize(("text", "remote"), [
    ("https://example.invalid/models.git", True),
    ("git://127.0.0.1:9418/models.git", True),
    ("file:///srv/models.git", True),
    ("ssh://git@host/models.git", True),
    ("git@host:team/models.git", True),
    ("host:models.git", True),
])
def test_urls_are_remote(text: str, remote: bool) -> None:
    assert is_remote(text) is remote
    assert canonical_url(text) == text


def test_paths_bare_is_remote_work_tree_is_local(repo: Path, tmp_path: Path) -> None:
    bare = serve_bare(repo, tmp_path / "served")
    assert is_remote(bare)
    assert is_remote(str(bare))
    assert not is_remote(repo)
    assert not is_remote(repo / "README.md")
    assert not is_remote(tmp_path / "missing")
    assert canonical_url(os.path.relpath(bare)) == str(bare)


def test_cache_home_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITMODEL_CACHE_DIR", str(tmp_path / "explicit"))
    assert cache_home() == tmp_path / "explicit"
    monkeypatch.delenv("GITMODEL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_home() == tmp_path / "xdg" / "gitmodel"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_home() == Path.home() / ".cache" / "gitmodel"


def _two_models(root: Path) -> None:
    """`a` and `b` released, each with a large git-stored file the other never needs."""
    for name in ("a", "b"):
        write(root, f"models/{name}.yaml", f"schema_version: 1\nname: {name}\nversion: 1.0.0\n")
        write(root, f"blobs/{name}.bin", os.urandom(200_000))
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", name)
        release(root, name, "1.0.0")


def test_tags_listed_and_only_read_blobs_fetched(repo: Path, tmp_path: Path) -> None:
    _two_models(repo)
    serve_bare(repo, tmp_path / "served")
    with git_daemon(tmp_path / "served") as daemon:
        remote = open_remote(daemon.url(), names={"a"})
        tags = read_tags(remote.root)
        assert sorted(tags.releases) == ["a"]  # only the model asked about
        commit = tags.releases["a"][0].commit
        env = {**os.environ, "GIT_NO_LAZY_FETCH": "1"}
        assert gitcli.run(remote.root, "cat-file", "-e", f"{commit}:blobs/a.bin", check=False,
                          env=env).returncode != 0
        hydrate(remote, commit, ["models/a.yaml"])
        assert gitcli.run(remote.root, "cat-file", "-p", f"{commit}:models/a.yaml", env=env).text.startswith(
            "schema_version")
        for big in ("blobs/a.bin", "blobs/b.bin"):  # never read, never fetched
            assert gitcli.run(remote.root, "cat-file", "-e", f"{commit}:{big}", check=False,
                              env=env).returncode != 0
        # nor the tree of a directory not on the way to what was read (a monorepo's other models)
        listing = gitcli.run(remote.root, "cat-file", "-p", f"{commit}^{{tree}}", env=env).text
        blobs_tree = next(line.split()[2] for line in listing.splitlines() if line.endswith("\tblobs"))
        assert gitcli.run(remote.root, "cat-file", "-e", blobs_tree, check=False, env=env).returncode != 0
        assert remote.root.parent.parent == cache_home()
        assert remote.root.name == url_key(daemon.url())
        # a tag deleted on the server disappears from the cache on the next listing
        git(tmp_path / "served" / "models.git", "tag", "-d", "a@v1.0.0")
        assert read_tags(open_remote(daemon.url(), names={"a"}).root).releases == {}


def test_unreachable_remote(tmp_path: Path) -> None:
    with pytest.raises(ExternalFailure, match="cannot reach the git remote") as caught:
        open_remote("git://127.0.0.1:1/none.git")
    assert "offline_ok" in (caught.value.hint or "")
    offline = open_remote("git://127.0.0.1:1/none.git", offline_ok=True)
    assert offline.offline
    assert offline.warnings


def test_a_token_in_the_url_is_never_printed() -> None:
    url = "https://ci-bot:s3cr3t-token@127.0.0.1:1/ml/models.git"
    with pytest.raises(ExternalFailure) as caught:
        open_remote(url)
    assert "s3cr3t-token" not in caught.value.line()
    offline = open_remote(url, offline_ok=True)
    assert all("s3cr3t-token" not in w for w in offline.warnings)
    assert offline.shown == "https://***@127.0.0.1:1/ml/models.git"
