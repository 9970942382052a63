"""gitmodel/repo/listing.py: git's index listing searched as text answers exactly what a parsed listing would —
with paths built to fool a text search (a tab or a newline inside a path, a path that is another's prefix, a
path whose text contains another whole record), in a real repository, the index and a commit both."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra.hashing import HashCache
from gitmodel.repo import git as gitcmd
from gitmodel.repo.listing import MANY, Listing
from gitmodel.repo.sources import Commit, Index
from tests.kit.files import write
from tests.kit.git import commit_all, git, head

TRICKY = [
    "prompts/p.txt",
    "prompts/p.txt.bak",            # the path with more after it
    "prompts/p.txtx",
    "prompts/p",                    # a prefix of the path, as a file
    "prompts/pa/x.txt",
    "a\tprompts/p.txt",             # another path, after a tab, inside this one
    "b\tprompts/evil.txt",          # a path only inside another one's text
    "c\nprompts/q.txt",             # a newline: `:path` cannot name it, a blob id can
    "models/m.yaml",
    "models/sub/n.yaml",
    "models/m.yml",
]


@pytest.fixture
def tricky(repo: Path) -> Path:
    for i, path in enumerate(TRICKY):
        write(repo, path, f"content {i}\n")
    git(repo, "add", "--", *TRICKY)
    commit_all(repo, "tricky paths")
    return repo


def parsed(root: Path) -> dict[str, gitcmd.IndexEntry]:
    return gitcmd.ls_files_stage(root)


@pytest.mark.parametrize("asked", [0, MANY + 1], ids=["searched", "parsed after many questions"])
def test_get_and_under_agree_with_the_parsed_listing(tricky: Path, asked: int) -> None:
    listing = Listing(gitcmd.ls_files_text(tricky))
    for _ in range(asked):
        assert listing.get("not/there") is None
    truth = parsed(tricky)
    for path, entry in truth.items():
        assert listing.get(path) == entry
    assert listing.get("prompts/evil.txt") is None           # only ever inside another path's text
    assert listing.get("prompts/q.txt") is None
    assert listing.get("prompts") is None
    assert sorted(listing.under("prompts/")) == sorted(p for p in truth if p.startswith("prompts/"))
    assert sorted(listing.under("prompts/p")) == ["prompts/p", "prompts/p.txt", "prompts/p.txt.bak",
                                                  "prompts/p.txtx", "prompts/pa/x.txt"]
    assert sorted(listing.under("models/")) == ["models/m.yaml", "models/m.yml", "models/sub/n.yaml"]
    assert listing.under("nothing/") == []
    assert sorted(listing.paths()) == sorted(truth)


def test_the_index_and_a_commit_read_paths_git_cannot_name_with_a_colon(tricky: Path) -> None:
    cache = HashCache(gitcmd.git_dir(tricky), tricky)
    for source in (Index(tricky, cache), Commit(tricky, cache, head(tricky))):
        got = source.read_many(["c\nprompts/q.txt", "a\tprompts/p.txt", "prompts/evil.txt"])
        assert got == {"c\nprompts/q.txt": b"content 7\n", "a\tprompts/p.txt": b"content 5\n",
                       "prompts/evil.txt": None}
        assert source.exists("prompts")
        assert not source.exists("prompts/evil.txt")
        assert source.manifests("models") == ["models/m.yaml", "models/sub/n.yaml"]
        assert source.manifests("models", ["models/m.yaml", "models/x.yaml", "models/m.yml"]) == ["models/m.yaml"]
        assert source.tracked_at("prompts/p") == ["prompts/p"]


@pytest.mark.parametrize("extra", [[], ["prompts/Ünïcode.txt"], ["prompts/dot./x.txt"]],
                         ids=["plain listing", "non-ascii listing", "dotted listing"])
def test_lookalikes_are_found_whatever_the_listing_holds(repo: Path, extra: list[str]) -> None:
    """The plain (lowered text) search and the path-by-path fold give the same answers."""
    paths = ["prompts/p.txt", "Prompts/P.TXT", "prompts/P.txt", "x\tprompts/p.txt", "data/d/a.csv",
             "Data/D/b.csv", *extra]
    for i, path in enumerate(paths):
        write(repo, path, f"{i}\n")
    git(repo, "add", "--", *paths)
    listing = Listing(gitcmd.ls_files_text(repo))
    assert listing.lookalikes("prompts/p.txt") == ["Prompts/P.TXT", "prompts/P.txt"]
    assert listing.lookalikes("data/d") == ["Data/D/b.csv"]
    assert listing.lookalikes("data/d/a.csv") == []


def test_a_listing_of_parsed_entries_sorts_as_git_does() -> None:
    entries = {p: gitcmd.IndexEntry("100644", "0" * 40, p) for p in ["b", "a/z", "a-b", "a/b"]}
    listing = Listing.of(entries)
    assert listing.paths() == ["a-b", "a/b", "a/z", "b"]     # byte order: '-' (0x2d) before '/' (0x2f)
    assert listing.under("a/") == ["a/b", "a/z"]
