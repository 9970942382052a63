"""gitmodel.infra.cache: the one loader and saver of the JSON caches under `<git dir>/gitmodel/`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import gitmodel
from gitmodel.infra import cache


def test_a_saved_cache_loads_back_stamped_with_format_and_version(tmp_path: Path) -> None:
    path = Path(cache.cache_file(tmp_path / ".git", "x.json"))  # a str: the hook's fast path has no pathlib
    assert path == tmp_path / ".git" / "gitmodel" / "x.json"
    assert cache.save(path, 3, {"b": 1, "a": [2]}) is True
    assert json.loads(path.read_text()) == {"a": [2], "b": 1, "format": 3, "gitmodel": gitmodel.__version__}
    assert cache.load(path, 3)["a"] == [2]
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.json"]  # no temp file left


@pytest.mark.parametrize("content", [
    None,  # missing
    b"{not json",
    b"\xff\xfe",
    b"[]",
    b'{"format": 4, "gitmodel": "%s", "a": 1}' % gitmodel.__version__.encode(),  # another format
    b'{"format": 3, "gitmodel": "0.0.1", "a": 1}',  # another gitmodel version
    b'{"format": 3, "a": 1}',  # before caches were stamped with the version
])
def test_a_missing_corrupt_or_foreign_cache_loads_empty(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "gitmodel" / "x.json"
    if content is not None:
        path.parent.mkdir()
        path.write_bytes(content)
    assert cache.load(path, 3) == {}


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    git_dir = tmp_path / "not-a-dir"
    git_dir.write_text("a file where the git dir should be")
    assert cache.save(cache.cache_file(git_dir, "x.json"), 1, {"a": 1}) is False
    assert git_dir.read_text() == "a file where the git dir should be"


def test_the_stamped_version_is_the_released_one() -> None:
    """Caches are stamped with gitmodel/infra/version.py's version: it must move with pyproject.toml's, or an
    upgrade would keep serving the old release's caches."""
    import tomllib

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert gitmodel.__version__ == project["version"]
