"""Model names and repository paths: what we accept is valid in a git ref, paths stay inside the repo."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.fileio import stored_path_problem
from gitmodel.model.names import (
    MAX_NAME,
    name_problem,
    normalize_repo_path,
    validate_name,
)


@pytest.mark.parametrize("name", ["sentiment", "team/ranker", "a", "a-b_c.d", "v2", "x" * MAX_NAME, "a/b/c"])
def test_good_names(name: str) -> None:
    assert name_problem(name) is None
    assert validate_name(name) == name


@pytest.mark.parametrize("name", ["", "Sentiment", "a..b", "a//b", "a b", "a@b", "a#b", "-a", "a-", ".a", "a/.b",
                                  "a.lock", "a.lock/b", "/a", "a/", "x" * (MAX_NAME + 1), "é", "a\nb", "a:b",
                                  "a~1", "a^", "a?", "a*", "a[b", 5, None])
def test_bad_names(name: object) -> None:
    assert name_problem(name) is not None
    with pytest.raises(InvalidInput) as info:
        validate_name(name, where="NAME")
    assert info.value.where == "NAME"
    assert info.value.hint


_name_chars = st.sampled_from(list("abcz09._/-"))


@settings(max_examples=60, deadline=None)
@given(st.text(_name_chars, min_size=1, max_size=30))
def test_every_accepted_name_is_a_valid_git_tag(name: str) -> None:
    if name_problem(name) is not None:
        return
    for ref in (f"refs/tags/{name}@v1.0.0", f"refs/tags/{name}#prod#1"):
        result = subprocess.run(["git", "check-ref-format", ref], capture_output=True)
        assert result.returncode == 0, ref


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_name_problem_never_raises(text: str) -> None:
    problem = name_problem(text)
    assert problem is None or isinstance(problem, str)


# ------------------------------------------------------------------------------------------------ paths


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "artifacts").mkdir(parents=True)
    (root / "artifacts" / "model.bin").write_bytes(b"w")
    (tmp_path / "outside.bin").write_bytes(b"o")
    return root


def test_relative_and_absolute_paths_inside_the_repo(tree: Path) -> None:
    assert normalize_repo_path("artifacts/model.bin", tree, where="--weights") == "artifacts/model.bin"
    assert normalize_repo_path("./artifacts//model.bin", tree, where="--weights") == "artifacts/model.bin"
    absolute = str(tree / "artifacts" / "model.bin")
    assert normalize_repo_path(absolute, tree, where="--weights", must_exist=True) == "artifacts/model.bin"


def test_an_absolute_path_through_a_symlinked_repo_root(tmp_path: Path, tree: Path) -> None:
    link = tmp_path / "link-to-repo"
    link.symlink_to(tree)
    path = str(link / "artifacts" / "model.bin")
    assert normalize_repo_path(path, link, where="--weights") == "artifacts/model.bin"
    assert normalize_repo_path(str(tree / "artifacts" / "model.bin"), link, where="-w") == "artifacts/model.bin"


def test_an_absolute_symlink_inside_the_repo_keeps_its_own_name(tree: Path) -> None:
    (tree / "artifacts" / "current.bin").symlink_to("model.bin")
    path = str(tree / "artifacts" / "current.bin")
    assert normalize_repo_path(path, tree, where="-w") == "artifacts/current.bin"


@pytest.mark.parametrize(("raw", "message"), [
    ("../outside.bin", "leaves the repository"),
    ("artifacts/../../outside.bin", "leaves the repository"),
    ("OUTSIDE", "outside the repository"),
    ("", "non-empty"),
    ("a\\b", "backslash"),
    ("a\nb", "control"),
    (".git/config", "not a file in the repository"),
    (".", "not a file in the repository"),
    ("artifacts/missing.bin", "does not exist"),
    ("artifacts/escape.bin", "points outside"),
])
def test_bad_paths_name_the_option(tree: Path, raw: str, message: str) -> None:
    (tree / "artifacts" / "escape.bin").symlink_to(tree.parent / "outside.bin")
    if raw == "OUTSIDE":
        raw = str(tree.parent / "outside.bin")
    with pytest.raises(InvalidInput, match=message) as info:
        normalize_repo_path(raw, tree, where="--weights", must_exist=True)
    assert info.value.where == "--weights"


def test_a_symlink_loop_is_refused(tree: Path) -> None:
    os.symlink("loop2", tree / "loop1")
    os.symlink("loop1", tree / "loop2")
    with pytest.raises(InvalidInput):
        normalize_repo_path("loop1", tree, where="-w")


@pytest.mark.parametrize(("raw", "ok"), [("a/b.txt", True), ("/a", False), ("a/../b", False), ("a//b", False),
                                         ("./a", False), ("a\\b", False), ("", False), (3, False)])
def test_stored_path_problem(raw: object, ok: bool) -> None:
    assert (stored_path_problem(raw) is None) is ok
