"""More attacks on where bytes land (items 8-13 of issue 13, cases beyond test_attacks_paths/placement):
a committed `.dvc/config` that moves DVC's cache out of the repository, paths from data that collide or
nest, names too long for the file system, and pinned paths inside DVC's own directory. Real git, real
DVC, a real local DVC remote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from tests.kit.cli import gm
from tests.kit.dvc import drop_local_copies, make_model_repo, put_object
from tests.kit.git import git
from tests.kit.manifests import entry, set_entry


def _commit_dvc_config(root: Path, extra: str) -> None:
    """A hostile commit appends `extra` to the committed `.dvc/config` (DVC reads it on every command)."""
    config = root / ".dvc" / "config"
    config.write_text(config.read_text() + extra)
    git(root, "add", ".dvc/config")
    git(root, "commit", "-q", "--no-verify", "-m", "tune dvc")


def _empty_or_missing(path: Path) -> bool:
    return not path.exists() or not any(path.rglob("*"))


@pytest.mark.parametrize("how", ["absolute", "relative"])
def test_a_committed_cache_dir_outside_the_repo_is_refused(repo: Path, tmp_path: Path, how: str) -> None:
    make_model_repo(repo)
    gm(repo, "push")
    outside = tmp_path / "elsewhere"
    value = str(outside) if how == "absolute" else "../../elsewhere"  # relative to .dvc/
    _commit_dvc_config(repo, f"[cache]\n    dir = {value}\n")
    drop_local_copies(repo)
    for args in (("pull",), ("get", "sentiment@v0.1.0", "--out", str(tmp_path / "out")),
                 ("checkout", "sentiment@v0.1.0", "--force")):
        result = gm(repo, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert "cache" in result.stderr
        assert ".dvc/config" in result.stderr
        assert _empty_or_missing(outside), (args, list(outside.rglob("*")))
    from gitmodel.storage.resolve import resolve

    with pytest.raises(InvalidInput, match="cache"):
        resolve("sentiment@v0.1.0", repo=repo)
    assert _empty_or_missing(outside)
    # the hint, followed, gives a working pull with the cache back inside the repo
    hint = gm(repo, "pull").stderr
    assert "dvc config --unset cache.dir" in hint
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "dvc", "config", "--unset", "cache.dir"], cwd=repo, check=True)
    assert gm(repo, "pull").returncode == 0
    assert gm(repo, "verify", "sentiment").returncode == 0
    assert _empty_or_missing(outside)


def test_the_users_own_cache_dir_outside_the_repo_is_honoured(repo: Path, tmp_path: Path) -> None:
    """A shared cache the user configured locally (`.dvc/config.local`, never committed) is their choice."""
    make_model_repo(repo)
    gm(repo, "push")
    outside = tmp_path / "shared-cache"
    local = repo / ".dvc" / "config.local"
    local.write_text(local.read_text() + f"[cache]\n    dir = {outside}\n")
    drop_local_copies(repo)
    result = gm(repo, "pull")
    assert result.returncode == 0, result.stderr
    assert any(outside.rglob("*"))
    assert gm(repo, "verify", "sentiment").returncode == 0


@pytest.mark.parametrize(("leaf", "config"), [
    # `cache.local = NAME` makes a configured remote's directory the cache: the same escape, other words
    ("elsewhere", "[cache]\n    local = side\n['remote \"side\"']\n    url = {outside}\n"),
    ("site", "[core]\n    site_cache_dir = {outside}\n"),
], ids=["cache-local-remote", "site-cache-dir"])
def test_a_committed_cache_elsewhere_by_other_words_is_refused(repo: Path, tmp_path: Path, leaf: str,
                                                                config: str) -> None:
    make_model_repo(repo)
    gm(repo, "push")
    outside = tmp_path / leaf
    _commit_dvc_config(repo, config.format(outside=outside))
    drop_local_copies(repo)
    result = gm(repo, "pull")
    assert result.returncode == 2, result.stderr
    assert _empty_or_missing(outside)


# ------------------------------------------------------------------ paths from data that collide or nest


def _dir_release(root: Path, listing: list[dict[str, str]]) -> None:
    """Pin `data/train` to a `.dir` listing put in the remote, as 0.2.0, and drop every local copy."""
    import shutil

    from gitmodel.storage.transfer import push

    push(root)
    dir_md5 = put_object(json.dumps(listing, sort_keys=True).encode(), suffix=".dir")
    set_entry(root, "data/train", md5=dir_md5, sha256="0" * 64, nfiles=len(listing))
    text = (root / "models" / "sentiment.yaml").read_text().replace("version: 0.1.0", "version: 0.2.0")
    (root / "models" / "sentiment.yaml").write_text(text)
    git(root, "commit", "-q", "--no-verify", "-am", "sentiment 0.2.0")
    git(root, "tag", "-a", "sentiment@v0.2.0", "-m", "hostile release")
    shutil.rmtree(root / ".dvc" / "cache", ignore_errors=True)


@pytest.mark.parametrize("kind", ["file-and-child", "too-long"])
def test_a_listing_whose_paths_cannot_all_be_files_is_invalid_input(repo: Path, tmp_path: Path, kind: str) -> None:
    make_model_repo(repo)
    a, b = put_object(b"one\n"), put_object(b"two\n")
    if kind == "file-and-child":
        listing = [{"md5": a, "relpath": "x"}, {"md5": b, "relpath": "x/y"}]
    else:
        listing = [{"md5": a, "relpath": "d/" + "n" * 300}]
    _dir_release(repo, listing)
    out = tmp_path / "out"
    result = gm(repo, "get", "sentiment@v0.2.0", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "DVC directory listing" in result.stderr
    assert not out.exists()
    before = sorted(p.name for p in (repo / "data").rglob("*"))
    result = gm(repo, "pull", "--force")
    assert result.returncode == 2, result.stderr
    assert sorted(p.name for p in (repo / "data").rglob("*")) == before


def test_one_path_pinned_twice_with_different_bytes_is_refused(repo: Path) -> None:
    """Two manifests (or two components) pinning one path to different bytes: whichever is placed last,
    the other's sha256 is wrong on disk. Refused before anything is placed."""
    make_model_repo(repo)
    gm(repo, "push")
    import hashlib

    other_bytes = b"the rival's weights\n"
    other_md5 = put_object(other_bytes)
    weights = entry(repo, "artifacts/model.bin")
    other = (repo / "models" / "sentiment.yaml").read_text().replace("name: sentiment", "name: rival")
    other = other.replace(weights.sha256, hashlib.sha256(other_bytes).hexdigest()).replace(str(weights.md5),
                                                                                            other_md5)
    (repo / "models" / "rival.yaml").write_text(other)
    git(repo, "add", "models/rival.yaml")
    git(repo, "commit", "-q", "--no-verify", "-m", "rival")
    before = (repo / "artifacts" / "model.bin").read_bytes()
    for args in (("pull", "--force"), ("pull", "rival", "--force")):
        result = gm(repo, *args)
        assert result.returncode == 2, result.stderr
        assert "pinned to other bytes" in result.stderr
    assert (repo / "artifacts" / "model.bin").read_bytes() == before
    # the same bytes pinned by two manifests (a shared file) is fine
    (repo / "models" / "rival.yaml").write_text(
        (repo / "models" / "sentiment.yaml").read_text().replace("name: sentiment", "name: rival"))
    assert gm(repo, "pull", "--force").returncode == 0


@pytest.mark.parametrize("path", [".dvc/config", ".dvc/cache/files/md5/00/x", ".DVC/config"])
def test_a_pinned_path_inside_dvcs_own_directory_is_refused(repo: Path, path: str) -> None:
    make_model_repo(repo)
    gm(repo, "push")
    manifest = repo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text().replace("path: artifacts/model.bin", f"path: {path}"))
    git(repo, "commit", "-q", "--no-verify", "-am", "pin into .dvc")
    config = (repo / ".dvc" / "config").read_bytes()
    result = gm(repo, "pull", "--force")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert (repo / ".dvc" / "config").read_bytes() == config


# ------------------------------------------------------------------ a committed link that leads into .git


@pytest.mark.parametrize("into", [".git/hooks", ".dvc"])
def test_a_committed_link_into_the_tools_own_directories_is_never_written_through(repo: Path, into: str) -> None:
    """`hooks -> .git/hooks` stays inside the work tree, but a DVC-stored `hooks/pre-commit` placed through
    it would be a git hook that runs at the next commit (and `.dvc/...` rewrites DVC's config)."""
    import hashlib
    import os

    make_model_repo(repo)
    gm(repo, "push")
    payload = b"#!/bin/sh\necho pwned > /dev/null\n"
    md5 = put_object(payload)
    (repo / "tools").symlink_to(into)
    manifest = repo / "models" / "sentiment.yaml"
    weights = entry(repo, "artifacts/model.bin")
    text = manifest.read_text().replace("path: artifacts/model.bin", "path: tools/pre-commit")
    text = text.replace(weights.sha256, hashlib.sha256(payload).hexdigest()).replace(str(weights.md5), md5)
    manifest.write_text(text)
    git(repo, "add", "tools", "models/sentiment.yaml")
    git(repo, "commit", "-q", "--no-verify", "-m", "tools")
    result = gm(repo, "pull", "--force")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "tools" in result.stderr
    assert not os.path.lexists(repo / into / "pre-commit")


# ------------------------------------------------------------------ DVC link types set by a committed config


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_working_files_are_never_links_into_the_cache(repo: Path, kind: str) -> None:
    """With `cache.type = symlink|hardlink` committed, a working file that is a link into the DVC cache
    makes an in-place edit rewrite the cache's only copy. gitmodel's writers copy: pull, checkout and bump
    leave independent files, and the cache object survives an edit of the working file."""
    from tests.kit.dvc import WEIGHTS_V2

    make_model_repo(repo)
    gm(repo, "push")
    _commit_dvc_config(repo, f"[cache]\n    type = {kind}\n")
    weights = repo / "artifacts" / "model.bin"

    def independent() -> None:
        assert not weights.is_symlink()
        assert weights.stat().st_nlink == 1

    drop_local_copies(repo)
    assert gm(repo, "pull").returncode == 0
    independent()
    weights.write_bytes(WEIGHTS_V2)
    bumped = gm(repo, "bump", "sentiment")
    assert bumped.returncode == 0, bumped.stderr
    independent()
    git(repo, "commit", "-q", "-am", "sentiment 0.2.0")
    with open(weights, "r+b") as fh:  # an in-place edit, as training scripts do
        fh.write(b"XX")
    import hashlib

    v2 = hashlib.md5(WEIGHTS_V2).hexdigest()
    assert (repo / ".dvc" / "cache" / "files" / "md5" / v2[:2] / v2[2:]).read_bytes() == WEIGHTS_V2
    assert gm(repo, "checkout", "sentiment@v0.1.0", "--force").returncode == 0
    independent()
    assert gm(repo, "verify", "sentiment").returncode == 0


def test_pull_never_places_dvc_bytes_over_a_file_git_tracks(repo: Path) -> None:
    """A manifest that calls `serve.py` (a git-tracked file) DVC-stored, with md5 and sha256 of hostile
    bytes put in the remote: `pull --force` (the hint for "changes no commit pins") would replace the
    code with bytes no reviewer saw in a diff of serve.py."""
    import hashlib

    make_model_repo(repo)
    gm(repo, "push")
    (repo / "serve.py").write_text("print('serving')\n")
    payload = b"print('hostile')\n"
    md5 = put_object(payload)
    manifest = repo / "models" / "sentiment.yaml"
    weights = entry(repo, "artifacts/model.bin")
    text = manifest.read_text().replace("path: artifacts/model.bin", "path: serve.py")
    manifest.write_text(text.replace(weights.sha256, hashlib.sha256(payload).hexdigest())
                        .replace(str(weights.md5), md5))
    git(repo, "add", "serve.py", "models/sentiment.yaml")
    git(repo, "commit", "-q", "--no-verify", "-m", "serve")
    for args in (("pull",), ("pull", "--force")):
        result = gm(repo, *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1
        assert "serve.py is tracked by git" in result.stderr
        assert (repo / "serve.py").read_text() == "print('serving')\n"


def test_checkout_restores_only_the_pinned_files_whatever_their_names(repo: Path) -> None:
    """A git-stored prompt named `*` (a valid file name) must not become a pathspec that matches the whole
    tree: `checkout --force` would throw away uncommitted work in files the release does not pin."""
    from gitmodel.workspace.edit import add_model

    make_model_repo(repo)
    (repo / "*").write_text("a prompt with an odd name\n")
    (repo / "serve.py").write_text("print('serving')\n")
    manifest = repo / "models" / "sentiment.yaml"
    manifest.unlink()
    git(repo, "rm", "-q", "--cached", "models/sentiment.yaml")
    add_model(repo, "starry", weights=["artifacts/model.bin"], prompts=["*"])
    git(repo, "add", "serve.py")
    git(repo, "commit", "-q", "--no-verify", "-m", "starry 0.1.0")
    git(repo, "tag", "-a", "starry@v0.1.0", "-m", "release")
    (repo / "serve.py").write_text("print('serving')\n# my uncommitted work\n")
    for args in (("checkout", "starry@v0.1.0"), ("checkout", "starry@v0.1.0", "--force")):
        result = gm(repo, *args)
        assert result.returncode == 0, (args, result.stderr)
        assert (repo / "serve.py").read_text().endswith("# my uncommitted work\n")


@pytest.mark.parametrize("link", [".dvc/cache", ".dvc/tmp"])
def test_a_committed_symlink_for_dvcs_own_directories_is_refused(repo: Path, tmp_path: Path, link: str) -> None:
    """`.dvc/cache` (or `.dvc/tmp`, where DVC writes its lock) committed as a symlink out of the repo: the
    config is untouched, but DVC would write every fetched object (or its lock) through the link."""
    import shutil

    make_model_repo(repo)
    gm(repo, "push")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    drop_local_copies(repo)
    shutil.rmtree(repo / link, ignore_errors=True)
    (repo / link).symlink_to(outside)
    git(repo, "add", "-f", link)
    git(repo, "commit", "-q", "--no-verify", "-m", "link")
    result = gm(repo, "pull")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert link in result.stderr
    assert not any(outside.iterdir())
    # the hint, followed, gives a working pull
    (repo / link).unlink()
    assert gm(repo, "pull").returncode == 0
    assert gm(repo, "verify", "sentiment").returncode == 0
    assert not any(outside.iterdir())


def test_the_users_own_cache_symlink_is_honoured(repo: Path, tmp_path: Path) -> None:
    """A `.dvc/cache` the user linked to a bigger disk (not in git) is their choice, as DVC allows."""
    import shutil

    make_model_repo(repo)
    gm(repo, "push")
    bigger = tmp_path / "bigger-disk"
    bigger.mkdir()
    drop_local_copies(repo)
    shutil.rmtree(repo / ".dvc" / "cache", ignore_errors=True)
    (repo / ".dvc" / "cache").symlink_to(bigger)
    result = gm(repo, "pull")
    assert result.returncode == 0, result.stderr
    assert any(bigger.iterdir())


def test_pinned_paths_that_differ_only_by_case_are_refused(repo: Path, tmp_path: Path) -> None:
    """`Model.bin` and `model.bin`: on macOS and Windows one file, so the last placed wins there."""
    import hashlib

    make_model_repo(repo)
    gm(repo, "push")
    payload = b"other weights\n"
    md5 = put_object(payload)
    manifest = repo / "models" / "sentiment.yaml"
    text = manifest.read_text()
    weights = entry(repo, "artifacts/model.bin")
    twin = (f"- path: artifacts/Model.bin\n  sha256: {hashlib.sha256(payload).hexdigest()}\n  md5: {md5}\n"
            f"  size: {len(payload)}\n  storage: dvc\n")
    head, rest = text.split("weights:\n", 1)
    manifest.write_text((head + "weights:\n" + twin + rest).replace("version: 0.1.0", "version: 0.2.0"))
    assert entry(repo, "artifacts/model.bin").sha256 == weights.sha256
    git(repo, "commit", "-q", "--no-verify", "-am", "twin")
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "twin")
    for args in (("pull", "--force"), ("get", "sentiment@v0.2.0", "--out", str(tmp_path / "out"))):
        result = gm(repo, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "differ only by case" in result.stderr
    assert not (repo / "artifacts" / "Model.bin").exists()
    assert not (tmp_path / "out").exists()


def test_concurrent_gets_into_one_out_leave_one_complete_export(repo: Path, tmp_path: Path) -> None:
    """Two `get`s into the same new --out: the one that loses must neither overwrite nor, on its way
    out, delete the files the winner placed (it removed them while the winner reported success)."""
    import os
    import subprocess
    import sys

    from tests.kit.dvc import drop_local_copies

    make_model_repo(repo)
    gm(repo, "push")
    drop_local_copies(repo)
    assert gm(repo, "pull").returncode == 0
    for round_ in range(4):
        out = tmp_path / f"out{round_}"
        procs = [subprocess.Popen([sys.executable, "-m", "gitmodel", "get", "sentiment@v0.1.0", "--out", str(out)],
                                  cwd=repo, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dict(os.environ)) for _ in range(2)]
        results = [(*p.communicate(timeout=120), p.returncode) for p in procs]
        results = [(code, out_, err) for out_, err, code in results]
        codes = sorted(code for code, _, _ in results)
        assert codes in ([0, 0], [0, 1]), results
        for code, _, err in results:
            if code:
                assert err.count("\n") == 1
                assert "already exists" in err
        exported = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
        assert exported == ["artifacts/model.bin", "data/train/a.csv", "data/train/b.csv", "models/sentiment.yaml",
                            "params.yaml", "prompts/system.txt"], results


def test_a_committed_config_local_is_not_the_users_own(repo: Path, tmp_path: Path) -> None:
    """`.dvc/config.local` is honoured as the user's own setting only while git does not carry it: one
    force-added to a commit is data from whoever pushed it."""
    make_model_repo(repo)
    gm(repo, "push")
    outside = tmp_path / "elsewhere"
    local = repo / ".dvc" / "config.local"
    local.write_text(local.read_text() + f"[cache]\n    dir = {outside}\n")
    git(repo, "add", "-f", ".dvc/config.local")
    git(repo, "commit", "-q", "--no-verify", "-m", "share my config")
    drop_local_copies(repo)
    result = gm(repo, "pull")
    assert result.returncode == 2, result.stderr
    assert "cache.dir" in result.stderr
    assert _empty_or_missing(outside)
    # the hint, followed: untracked, it is this user's own config again (their choice, honoured)
    assert "git rm --cached .dvc/config.local" in result.stderr
    git(repo, "rm", "-q", "--cached", ".dvc/config.local")
    assert gm(repo, "pull").returncode == 0
    assert gm(repo, "verify", "sentiment").returncode == 0


def test_checkout_never_places_a_dvc_directory_over_files_the_release_keeps_in_git(repo: Path, tmp_path: Path
                                                                                  ) -> None:
    """A release whose manifest calls `models` (the manifests directory) a DVC-stored directory: placing
    it would swap out every model's manifest in the work tree."""
    from gitmodel.infra.hashing import sha256_dir

    make_model_repo(repo)
    gm(repo, "push")
    built = tmp_path / "built"
    built.mkdir()
    (built / "sentiment.yaml").write_bytes(b"x\n")
    (repo / "models" / "other.yaml").write_text("# another team's model\n")
    git(repo, "add", "models/other.yaml")
    child = put_object(b"x\n")
    listing = put_object(json.dumps([{"md5": child, "relpath": "sentiment.yaml"}]).encode(), suffix=".dir")
    manifest = repo / "models" / "sentiment.yaml"
    data = entry(repo, "data/train")
    text = manifest.read_text().replace("path: data/train", "path: models").replace(str(data.md5), listing)
    manifest.write_text(text.replace(data.sha256, sha256_dir(built)).replace("nfiles: 2", "nfiles: 1")
                        .replace("version: 0.1.0", "version: 0.2.0"))
    git(repo, "commit", "-q", "--no-verify", "-am", "0.2.0")
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "hostile")
    result = gm(repo, "checkout", "sentiment@v0.2.0", "--force")
    assert result.returncode == 2, result.stderr
    assert "is in git at sentiment@v0.2.0" in result.stderr
    assert (repo / "models" / "other.yaml").read_text() == "# another team's model\n"


def test_get_refuses_a_file_pinned_at_the_manifests_own_path(repo: Path, tmp_path: Path) -> None:
    make_model_repo(repo)
    gm(repo, "push")
    manifest = repo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text().replace("path: prompts/system.txt", "path: models/sentiment.yaml")
                        .replace("version: 0.1.0", "version: 0.2.0"))
    git(repo, "commit", "-q", "--no-verify", "-am", "0.2.0")
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "self")
    out = tmp_path / "out"
    result = gm(repo, "get", "sentiment@v0.2.0", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "given twice" in result.stderr
    assert not out.exists()
