"""gitmodel/infra/pins.py: the pins of a manifest by blob id, as appended text — paths with a tab, a newline
or a backslash come back whole, the latest record of a blob wins, a record cut short by a killed writer is
never served (even once another record follows it), and the file is compacted past its limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra import cache, pins

A, B, C = "a" * 40, "b" * 40, "c" * 40


@pytest.fixture
def git_dir(tmp_path: Path) -> Path:
    return tmp_path / ".git"


def test_pins_come_back_whole(git_dir: Path) -> None:
    tricky = ["prompts/a\tb.txt", "prompts/new\nline.txt", "back\\slash\\t.txt", "plain.txt"]
    assert pins.remember(git_dir, {A: tricky, B: []})
    assert pins.lookup(git_dir, [A, B, C]) == {A: tricky, B: []}


def test_the_latest_record_of_a_blob_wins(git_dir: Path) -> None:
    pins.remember(git_dir, {A: ["old.txt"]})
    pins.remember(git_dir, {B: ["other.txt"]})
    pins.remember(git_dir, {A: ["new.txt"]})
    assert pins.lookup(git_dir, [A, B]) == {A: ["new.txt"], B: ["other.txt"]}


@pytest.mark.parametrize("cut", [1, 5, 12, 20])
def test_a_record_cut_short_is_never_served(git_dir: Path, cut: int) -> None:
    pins.remember(git_dir, {A: ["kept.txt"]})
    path = Path(cache.cache_file(git_dir, pins.FILE))
    whole = b"\n" + C.encode() + b"\tprompts/one.txt\tprompts/two.txt\0"
    with open(path, "ab") as stream:
        stream.write(whole[: len(whole) - cut])  # a killed writer's partial record
    assert pins.lookup(git_dir, [C]) == {}
    pins.remember(git_dir, {B: ["after.txt"]})  # the next record's newline now follows the partial one
    assert pins.lookup(git_dir, [A, B, C]) == {A: ["kept.txt"], B: ["after.txt"]}


def test_past_its_limit_the_file_keeps_its_latest_records(git_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pins, "LIMIT", 2000)
    monkeypatch.setattr(pins, "KEEP", 5)
    for i in range(60):
        pins.remember(git_dir, {f"{i:040d}": [f"p{i}.txt"]})
    assert Path(cache.cache_file(git_dir, pins.FILE)).stat().st_size < 2000 + 200
    assert pins.lookup(git_dir, [f"{59:040d}", f"{56:040d}"]) == {f"{59:040d}": ["p59.txt"], f"{56:040d}": ["p56.txt"]}
    assert pins.lookup(git_dir, [f"{0:040d}"]) == {}


def test_the_same_pins_again_write_nothing(git_dir: Path) -> None:
    """The hook notes every manifest it lets in, mostly ones `bump` recorded already: no record twice."""
    assert pins.remember(git_dir, {A: ["a.txt"], B: ["b.txt"]})
    size = Path(cache.cache_file(git_dir, pins.FILE)).stat().st_size
    assert not pins.remember(git_dir, {A: ["a.txt"]})
    assert pins.remember(git_dir, {A: ["a.txt"], B: ["moved.txt"]})  # only B's record is new
    grown = Path(cache.cache_file(git_dir, pins.FILE)).stat().st_size
    assert grown == size + len(b"\n" + B.encode() + b"\tmoved.txt\0")
    assert pins.lookup(git_dir, [A, B]) == {A: ["a.txt"], B: ["moved.txt"]}
