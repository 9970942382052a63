"""gitmodel/repo/sources.py: the work tree, the index and a commit answer the same questions about a path
(exists, bytes, sha256) each from its own state — in a real repo, with files that differ between the three,
CRLF conversion, directories with unicode names, symlinks, LFS pointers and case-folded lookalikes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gitmodel.infra.hashing import HashCache
from gitmodel.repo import git as gitcmd
from gitmodel.repo.sources import Commit, Index, WorkTree, stored_sha256
from gitmodel.storage.backends import backend_named
from gitmodel.storage.lfs_backend import lfs_oid
from tests.kit.files import write
from tests.kit.git import commit_all, git, head

OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
POINTER = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 12345\n".encode()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sources(root: Path) -> tuple[WorkTree, Index, Commit]:
    cache = HashCache(gitcmd.git_dir(root), root)
    return WorkTree(root, cache), Index(root, cache), Commit(root, cache, head(root))


# ------------------------------------------------------------------------------------------- lfs_oid


def test_lfs_oid_reads_a_pointer() -> None:
    assert lfs_oid(POINTER) == (OID, 12345)


@pytest.mark.parametrize("blob", [
    b"", b"weights", POINTER.replace(b"size 12345\n", b""), POINTER.replace(b"size 12345", b"size many"),
    POINTER.replace(f"oid sha256:{OID}\n".encode(), b""), POINTER + b"x" * 1024,   # too long to be a pointer
    b"\n" + POINTER,                                                                # must start the file
])
def test_lfs_oid_refuses_what_is_not_a_pointer(blob: bytes) -> None:
    assert lfs_oid(blob) is None


# --------------------------------------------------------------------------- worktree, index, commit


def test_each_source_answers_from_its_own_state(repo: Path) -> None:
    write(repo, "prompts/p.txt", "committed\n")
    commit_all(repo, "p")
    write(repo, "prompts/p.txt", "staged\n")
    git(repo, "add", "prompts/p.txt")
    write(repo, "prompts/p.txt", "work tree\n")
    write(repo, "prompts/new.txt", "untracked\n")
    work, index, commit = sources(repo)
    assert (work.read("prompts/p.txt"), index.read("prompts/p.txt"), commit.read("prompts/p.txt")) == (
        b"work tree\n", b"staged\n", b"committed\n")
    assert [s.sha256("prompts/p.txt") for s in (work, index, commit)] == [
        sha(b"work tree\n"), sha(b"staged\n"), sha(b"committed\n")]
    assert (work.exists("prompts/new.txt"), index.exists("prompts/new.txt"), commit.exists("prompts/new.txt")) == (
        True, False, False)
    assert index.read("prompts/new.txt") is None
    assert index.sha256("prompts/new.txt") is None
    assert index.blob_id("prompts/p.txt") == git(repo, "rev-parse", ":prompts/p.txt").stdout.strip()
    assert work.blob_id("prompts/p.txt") is None  # a work tree knows no blob without hashing


def test_a_path_deleted_from_the_work_tree_but_still_staged(repo: Path) -> None:
    write(repo, "w.bin", b"\x00\x01")
    commit_all(repo, "w")
    (repo / "w.bin").unlink()
    work, index, commit = sources(repo)
    assert (work.exists("w.bin"), work.read("w.bin"), work.sha256("w.bin")) == (False, None, None)
    assert index.sha256("w.bin") == commit.sha256("w.bin") == sha(b"\x00\x01")


def test_crlf_checkout_of_an_lf_blob_is_the_same_file_in_all_three(repo: Path) -> None:
    git(repo, "config", "core.autocrlf", "true")
    write(repo, "prompts/p.txt", b"line one\r\nline two\r\n")      # what a Windows editor writes
    commit_all(repo, "crlf")
    work, index, commit = sources(repo)
    lf = b"line one\nline two\n"
    assert git(repo, "cat-file", "blob", ":prompts/p.txt").stdout.encode() == lf  # git stores LF
    assert work.read("prompts/p.txt") == b"line one\r\nline two\r\n"
    assert work.sha256("prompts/p.txt") == index.sha256("prompts/p.txt") == commit.sha256("prompts/p.txt") == sha(lf)
    cache = HashCache(gitcmd.git_dir(repo), repo)
    assert stored_sha256(cache, ["prompts/p.txt"], sizes=True) == {"prompts/p.txt": (sha(lf), len(lf))}


def test_eol_attribute_changes_the_worktree_bytes_not_the_sha256(repo: Path) -> None:
    write(repo, ".gitattributes", "*.txt text eol=crlf\n")
    write(repo, "a.txt", b"x\ny\n")
    commit_all(repo, "attrs")
    (repo / "a.txt").unlink()
    git(repo, "checkout", "--", "a.txt")
    work, index, _ = sources(repo)
    assert work.read("a.txt") == b"x\r\ny\r\n"
    assert work.sha256("a.txt") == index.sha256("a.txt") == sha(b"x\ny\n")


def test_binary_bytes_are_never_converted(repo: Path) -> None:
    git(repo, "config", "core.autocrlf", "true")
    write(repo, "w.bin", b"\x00binary\r\n\x01")
    commit_all(repo, "w")
    work, index, _ = sources(repo)
    assert work.sha256("w.bin") == index.sha256("w.bin") == sha(b"\x00binary\r\n\x01")


def test_a_directory_hashes_the_same_from_every_source(repo: Path) -> None:
    git(repo, "config", "core.autocrlf", "true")
    files = {"data/train/a.csv": b"x,y\r\n1,2\r\n", "data/train/ünïcødé/名前.txt": b"hi\n",
             "data/train/with space.bin": b"\x00\xff", "data/train/a.b/c": b"dot sorts before slash"}
    for rel, content in files.items():
        write(repo, rel, content)
    commit_all(repo, "data")
    work, index, commit = sources(repo)
    digests = {s.label: s.sha256("data/train") for s in (work, index, commit)}
    assert None not in digests.values()
    assert len(set(digests.values())) == 1, digests
    write(repo, "data/train/a.csv", b"changed\n")
    assert sources(repo)[0].sha256("data/train") != digests["index"]
    assert commit.exists("data/train")
    assert not commit.exists("data/tra")


def test_a_symlink_is_a_link_in_git_not_content(repo: Path) -> None:
    write(repo, "target.txt", "t\n")
    (repo / "link.txt").symlink_to("target.txt")
    commit_all(repo, "link")
    _, index, commit = sources(repo)
    for source in (index, commit):
        assert source.exists("link.txt")
        assert source.link_kind("link.txt") == "symlink"
        assert source.sha256("link.txt") is None
        assert source.blob_id("link.txt") is None
        assert source.link_kind("target.txt") is None


def test_lfs_storage_is_judged_by_the_pointer_and_git_storage_by_the_bytes(repo: Path) -> None:
    write(repo, "w.bin", POINTER)
    commit_all(repo, "pointer")
    work, index, commit = sources(repo)
    for source in (work, index, commit):
        # storage-specific judgement is the backend's (gitmodel/storage/*_backend.py), over the source's bytes
        assert backend_named("lfs").sha256(source, "w.bin") == OID
        assert backend_named("git").sha256(source, "w.bin") == sha(POINTER)   # looking like a pointer proves nothing
    write(repo, "real.bin", b"real bytes")
    commit_all(repo, "real")
    work, index, _ = sources(repo)
    lfs = backend_named("lfs")
    assert lfs.sha256(work, "real.bin") == lfs.sha256(index, "real.bin") == sha(b"real bytes")


def test_manifests_lists_yaml_under_the_directory_only(repo: Path) -> None:
    for rel in ("models/a.yaml", "models/team/b.yaml", "models/c.yml", "models/notes.txt", "models-old/d.yaml"):
        write(repo, rel, "x: 1\n")
    commit_all(repo, "manifests")
    work, index, commit = sources(repo)
    for source in (work, index, commit):
        assert source.manifests("models") == ["models/a.yaml", "models/team/b.yaml"]
        assert source.manifests("models/") == ["models/a.yaml", "models/team/b.yaml"]
    assert work.manifests("nowhere") == []
    assert index.manifests("nowhere") == []


def test_case_and_unicode_lookalikes_of_a_pinned_path(repo: Path) -> None:
    write(repo, "prompts/x.txt", "lower\n")
    write(repo, "Prompts/x.txt", "upper\n")
    write(repo, "prompts/cafe\u0301.txt", "decomposed\n")
    write(repo, "prompts/caf\u00e9.txt", "composed\n")
    commit_all(repo, "lookalikes")
    work, index, commit = sources(repo)
    assert index.lookalikes("prompts/x.txt") == ["Prompts/x.txt"]
    assert commit.lookalikes("prompts/caf\u00e9.txt") == ["prompts/cafe\u0301.txt"]
    assert index.lookalikes("prompts") == ["Prompts/x.txt"]          # a directory: files under its lookalike
    assert index.lookalikes("README.md") == []
    assert work.lookalikes("prompts/x.txt") == []                    # a work tree has none of its own


def test_lookalikes_in_an_ascii_listing_match_the_path_by_path_fold(repo: Path) -> None:
    """An ASCII listing is searched lowered at once (no fold per path): the same answers, prefixes and
    look-alike directories included; a trailing dot anywhere sends it back to the path-by-path fold."""
    for path in ("prompts/x.txt", "Prompts/x.txt", "prompts/x.txt.bak", "data/dir/a", "DATA/Dir/b",
                 "data/dirt", "PROMPTS/X.TXT"):
        write(repo, path, path + "\n")
    commit_all(repo, "ascii lookalikes")
    _, index, commit = sources(repo)
    for source in (index, commit):
        assert source.lookalikes("prompts/x.txt") == ["PROMPTS/X.TXT", "Prompts/x.txt"]
        assert source.lookalikes("data/dir") == ["DATA/Dir/b"]
        assert source.lookalikes("data/dirt") == []
        assert source.lookalikes("Data/Dir/a") == ["data/dir/a"]
    write(repo, "prompts/x.txt.", "trailing dot\n")
    commit_all(repo, "a trailing dot")
    _, index, _ = sources(repo)
    assert index.lookalikes("prompts/x.txt") == ["PROMPTS/X.TXT", "Prompts/x.txt", "prompts/x.txt."]


def test_tracked_at_is_the_path_or_what_is_under_it(repo: Path) -> None:
    write(repo, "data/a", "1")
    write(repo, "data/b/c", "2")
    write(repo, "database", "3")
    commit_all(repo, "data")
    _, index, commit = sources(repo)
    assert index.tracked_at("data") == commit.tracked_at("data/") == ["data/a", "data/b/c"]
    assert index.tracked_at("database") == ["database"]


def test_a_repo_without_commits_has_an_empty_index(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    index = Index(tmp_path, HashCache(gitcmd.git_dir(tmp_path), tmp_path))
    assert index.entries.paths() == []
    assert (index.exists("x"), index.read("x"), index.sha256("x"), index.manifests("models")) == (
        False, None, None, [])


def test_a_commit_source_reads_that_commit_not_head(repo: Path) -> None:
    write(repo, "p.txt", "one\n")
    first = commit_all(repo, "one")
    write(repo, "p.txt", "two\n")
    commit_all(repo, "two")
    old = Commit(repo, HashCache(gitcmd.git_dir(repo), repo), first)
    assert old.read("p.txt") == b"one\n"
    assert old.label == first[:12]
    assert old.read_many(["p.txt", "missing.txt"]) == {"p.txt": b"one\n", "missing.txt": None}
