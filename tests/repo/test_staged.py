"""gitmodel/repo/staged.py: the index the commit hook judges, told by HEAD and `git diff --cached`, answers
every question exactly as the whole index (`git ls-files`) does — in a real repository with paths built to
fool it (a file turned into a symlink or a directory, an executable bit, a submodule, glob characters, a
newline, a tab, non-ASCII, directories pinned whole), with SHA-1 and SHA-256 object ids, with no commit
yet, and through its slow paths (a large directory searched by git, too many paths to look up one by one)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitmodel.infra.hashing import HashCache
from gitmodel.repo import git as gitcmd
from gitmodel.repo import staged as staged_mod
from gitmodel.repo.sources import Index, StagedIndex
from gitmodel.repo.staged import parse_raw_diff
from tests.kit.files import write
from tests.kit.git import git

HEAD_FILES = {
    "README.md": "readme\n",
    "prompts/p.txt": "prompt\n",
    "prompts/p.txt.dvc": "outs: []\n",
    "prompts/keep.txt": "keep\n",
    "prompts/gone.txt": "gone\n",
    "prompts/star*.txt": "a glob character\n",
    "prompts/starry.txt": "what the glob would match\n",
    "prompts/tab\there.txt": "tab\n",
    "prompts/new\nline.txt": "newline\n",
    "prompts/Ünïcode.txt": "unicode\n",
    "data/set/a.csv": "a\n",
    "data/set/deep/b.csv": "b\n",
    "data/set-other/c.csv": "c\n",
    "run.sh": "echo hi\n",
    "becomes/dir": "a file, then a directory\n",
    "models/m.yaml": "name: m\n",
}


def build(root: Path) -> None:
    """HEAD: the files above, a symlink and a submodule entry; then a staged change of every kind."""
    for path, text in HEAD_FILES.items():
        write(root, path, text)
    os.symlink("p.txt", root / "prompts/link.txt")
    git(root, "add", "-A")
    git(root, "update-index", "--add", "--cacheinfo", f"160000,{_oid(root)},vendor/sub")
    git(root, "commit", "-q", "-m", "head")
    write(root, "prompts/p.txt", "prompt, changed\n")                     # modified
    git(root, "rm", "-q", "--", "prompts/gone.txt")                          # deleted
    write(root, "prompts/added.txt", "added\n")                              # added beside HEAD's files
    write(root, "fresh/dir/x.txt", "a new directory\n")                      # added in a new directory
    write(root, "data/set/deep/c.csv", "c\n")                                 # added inside a pinned directory
    os.chmod(root / "run.sh", 0o755)                                          # mode changed only
    (root / "prompts/keep.txt").unlink()
    os.symlink("/etc/passwd", root / "prompts/keep.txt")                      # file → symlink
    (root / "becomes/dir").unlink()
    write(root, "becomes/dir/inside.txt", "now a directory\n")                # file → directory
    write(root, "Prompts/P.TXT", "a look-alike\n")                            # a look-alike, staged
    git(root, "add", "-A")


def _oid(root: Path) -> str:
    """An object id of the repository's format (a submodule's commit need not exist)."""
    return "1" * (64 if git(root, "rev-parse", "--show-object-format").stdout.strip() == "sha256" else 40)


QUESTIONS = [*HEAD_FILES, "prompts/link.txt", "vendor/sub", "prompts/added.txt", "fresh/dir/x.txt",
             "data/set/deep/c.csv", "becomes/dir/inside.txt", "Prompts/P.TXT", "prompts/starry", "nothing/here",
             "prompts", "data/set", "data/set/deep", "fresh", "becomes", "vendor", "prompts/p", "data/se"]


def sources(root: Path, known: bool = True) -> tuple[Index, StagedIndex]:
    cache = HashCache(gitcmd.git_dir(root), root)
    raw = gitcmd.run(root, "diff", "--cached", "--raw", "--no-abbrev", "-z", "--no-renames").stdout
    return Index(root, cache), StagedIndex(root, cache, parse_raw_diff(raw), lambda key: known)


def assert_same_answers(full: Index, told: StagedIndex, expect: bool) -> None:
    if expect:
        told.expect(QUESTIONS)
    for path in QUESTIONS:
        assert told.entries.get(path) == full.entries.get(path), path
        assert told.link_kind(path) == full.link_kind(path), path
        assert told.exists(path) == full.exists(path), path
        assert told.tracked_at(path) == full.tracked_at(path), path
        assert told.blob_id(path) == full.blob_id(path), path
        assert told.sha256(path) == full.sha256(path), path
        assert told.entries.under(path + "/") == sorted(full.entries.under(path + "/"), key=str.encode), path
    assert told.manifests("models", ["models/m.yaml", "models/x.yaml"]) == ["models/m.yaml"]
    assert told.read_many(["prompts/new\nline.txt", "prompts/p.txt", "prompts/gone.txt"]) == \
        {"prompts/new\nline.txt": b"newline\n", "prompts/p.txt": b"prompt, changed\n", "prompts/gone.txt": None}


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
@pytest.mark.parametrize("expect", [True, False], ids=["named ahead", "asked one by one"])
def test_the_told_index_answers_as_the_listed_one(tmp_path: Path, object_format: str, expect: bool) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", f"--object-format={object_format}")
    build(root)
    full, told = sources(root)
    assert_same_answers(full, told, expect)
    assert told.entries._full is None  # nothing above needed the whole index


@pytest.mark.parametrize("slow", ["big tree", "many paths"])
def test_the_slow_paths_answer_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    build(root)
    monkeypatch.setattr(staged_mod, "BIG_TREE" if slow == "big tree" else "MANY", 0)
    full, told = sources(root)
    assert_same_answers(full, told, True)


def test_with_no_commit_yet_every_path_is_staged(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    for path, text in HEAD_FILES.items():
        write(root, path, text)
    git(root, "add", "-A")
    full, told = sources(root)
    for path in QUESTIONS:
        assert told.entries.get(path) == full.entries.get(path), path
        assert told.tracked_at(path) == full.tracked_at(path), path


def test_lookalikes_of_a_pin_head_holds_are_looked_for_among_the_staged_paths(repo: Path) -> None:
    """A look-alike HEAD already holds was judged when committed; the one this commit adds is found. A path
    HEAD pins for no model (`known` False) is judged against the whole index."""
    write(repo, "prompts/p.txt", "p\n")
    write(repo, "PROMPTS/p.txt", "committed look-alike\n")
    write(repo, "data/d/a.csv", "a\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    write(repo, "Prompts/P.TXT", "staged look-alike\n")
    write(repo, "Data/D/b.csv", "inside a look-alike of a pinned directory\n")
    git(repo, "add", "-A")
    full, told = sources(repo, known=True)
    assert told.lookalikes("prompts/p.txt") == ["Prompts/P.TXT"]
    assert full.lookalikes("prompts/p.txt") == ["PROMPTS/p.txt", "Prompts/P.TXT"]
    assert told.lookalikes("data/d") == ["Data/D/b.csv"] == full.lookalikes("data/d")
    assert told.entries._full is None
    _, unknown = sources(repo, known=False)
    assert unknown.lookalikes("prompts/p.txt") == ["PROMPTS/p.txt", "Prompts/P.TXT"]
