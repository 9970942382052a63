"""File and directory hashes against hashlib and real sha256sum, and the stat-keyed HashCache."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gitmodel.infra import cache, hashing
from gitmodel.infra.errors import InvalidInput
from gitmodel.infra.hashing import (
    CACHE_FORMAT,
    CHUNK,
    HashCache,
    md5_file,
    sha256_bytes,
    sha256_dir,
    sha256_file,
)

needs_sha256sum = pytest.mark.skipif(shutil.which("sha256sum") is None, reason="needs GNU sha256sum")

SIZES = [0, 1, 4095, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 12345]


def _random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("size", SIZES)
def test_sha256_file_matches_hashlib(tmp_path: Path, size: int) -> None:
    data = _random_file(tmp_path / "blob.bin", size)
    digest = sha256_file(tmp_path / "blob.bin")
    assert digest == hashlib.sha256(data).hexdigest()
    assert digest == sha256_bytes(data)
    assert md5_file(tmp_path / "blob.bin") == hashlib.md5(data).hexdigest()


def test_sha256_file_with_progress_bar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _random_file(tmp_path / "blob.bin", CHUNK + 7)
    monkeypatch.setattr(hashing, "PROGRESS_THRESHOLD", 0)  # report for a file this small too
    reports: list[tuple[str, int, int]] = []
    assert sha256_file(tmp_path / "blob.bin", progress=lambda *r: reports.append(r)) == hashlib.sha256(data).hexdigest()
    assert reports[0] == ("hashing blob.bin", 0, CHUNK + 7)
    assert reports[-1] == ("hashing blob.bin", CHUNK + 7, CHUNK + 7)  # the report ends: the bar goes away
    assert [done for _, done, _ in reports] == sorted(done for _, done, _ in reports)


@needs_sha256sum
@pytest.mark.parametrize("size", [0, 3, CHUNK + 1])
def test_sha256_file_matches_sha256sum(tmp_path: Path, size: int) -> None:
    _random_file(tmp_path / "blob.bin", size)
    out = subprocess.run(["sha256sum", "blob.bin"], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert sha256_file(tmp_path / "blob.bin") == out.stdout.split()[0]


def test_sha256_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="file not found") as caught:
        sha256_file(tmp_path / "missing")
    assert caught.value.where == str(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="directory"):
        sha256_file(tmp_path)


# --- directories ---------------------------------------------------------------------------------------


def _shell_dir_hash(directory: Path) -> str:
    pipeline = (
        "(cd \"$1\" && find -L . -type f | sed 's|^\\./||' | LC_ALL=C sort | xargs -d '\\n' sha256sum)"
        " | sha256sum"
    )
    out = subprocess.run(["bash", "-c", pipeline, "bash", str(directory)], capture_output=True, text=True,
                         check=True)
    return out.stdout.split()[0]


def _tree(root: Path) -> Path:
    files = {
        "top.txt": b"top\n",
        "with space.bin": os.urandom(100),
        "Upper.txt": b"sorted before lower-case in C locale",
        "a-b.txt": b"-",
        "a/b.txt": b"a/b",
        "a.b/c.txt": b"'.' (0x2e) sorts before '/' (0x2f) bytewise",
        "a/deep/er/x": b"",
        "ünïcødé/名前.txt": "héllo".encode(),
        "back\\slash.txt": b"sha256sum escapes this one",
        "big/chunked.bin": os.urandom(CHUNK + 3),
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    (root / "empty-dir").mkdir()
    return root


@needs_sha256sum
def test_sha256_dir_matches_shell_pipeline(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data")
    assert sha256_dir(root) == _shell_dir_hash(root)


@needs_sha256sum
def test_sha256_dir_follows_symlinks_that_stay_inside(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data")
    (root / "link-to-file").symlink_to("a/b.txt")
    (root / "link-to-dir").symlink_to("a")
    assert sha256_dir(root) == _shell_dir_hash(root)


def test_sha256_dir_listing_format(tmp_path: Path) -> None:
    root = tmp_path / "d"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "b").write_bytes(b"B")
    (root / "a").write_bytes(b"A")
    listing = (
        f"{hashlib.sha256(b'A').hexdigest()}  a\n"
        f"{hashlib.sha256(b'B').hexdigest()}  sub/b\n"
    )
    assert sha256_dir(root) == hashlib.sha256(listing.encode()).hexdigest()


def test_sha256_dir_changes_with_content_and_names(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data")
    before = sha256_dir(root)
    (root / "a" / "b.txt").write_bytes(b"changed")
    changed = sha256_dir(root)
    assert changed != before
    (root / "a" / "b.txt").rename(root / "a" / "c.txt")
    assert sha256_dir(root) != changed


def test_sha256_dir_uses_the_given_file_hash(tmp_path: Path) -> None:
    root = _tree(tmp_path / "data")
    seen: list[Path] = []

    def fake(path: Path) -> str:
        seen.append(path)
        return "0" * 64

    sha256_dir(root, file_hash=fake)
    assert len(seen) == 10
    assert root / "a" / "deep" / "er" / "x" in seen


# "data-evil" shares a string prefix with "data": the check must compare path components.
@pytest.mark.parametrize("target", ["../../outside.txt", "ABSOLUTE", "../../data-evil", "../../data-evil/f"])
def test_sha256_dir_refuses_symlink_leaving_the_dir(tmp_path: Path, target: str) -> None:
    root = _tree(tmp_path / "data")
    (tmp_path / "outside.txt").write_text("secret")
    (tmp_path / "data-evil").mkdir()
    (tmp_path / "data-evil" / "f").write_text("secret")
    if target == "ABSOLUTE":
        target = str(tmp_path / "outside.txt")
    (root / "a" / "escape").symlink_to(target)
    with pytest.raises(InvalidInput, match="points outside") as caught:
        sha256_dir(root)
    assert "a/escape" in caught.value.message


def test_sha256_dir_refuses_broken_symlink_and_loops(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "f").write_text("x")
    (root / "dangling").symlink_to("nowhere")
    with pytest.raises(InvalidInput, match="broken symlink dangling"):
        sha256_dir(root)
    (root / "dangling").unlink()
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to("..")
    with pytest.raises(InvalidInput, match="symlink loop at sub/up"):
        sha256_dir(root)
    (root / "sub" / "up").unlink()
    (root / "self").symlink_to("self")
    with pytest.raises(InvalidInput, match="symlink loop at self"):
        sha256_dir(root)


def test_sha256_dir_refuses_fifo_and_line_breaks(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    os.mkfifo(root / "pipe")
    with pytest.raises(InvalidInput, match="not a regular file"):
        sha256_dir(root)
    (root / "pipe").unlink()
    (root / "two\nlines").write_text("x")
    with pytest.raises(InvalidInput, match="line break"):
        sha256_dir(root)


def test_sha256_dir_needs_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInput, match="not a directory"):
        sha256_dir(tmp_path / "file")
    with pytest.raises(InvalidInput, match="directory not found"):
        sha256_dir(tmp_path / "missing")


# --- HashCache -----------------------------------------------------------------------------------------


class CountingHasher:
    """sha256_file that counts how often it actually read a file."""

    def __init__(self) -> None:
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> str:
        self.calls.append(path)
        return sha256_file(path)


def _age(path: Path, seconds: int = 3600) -> None:
    # Out of the racy window, so the cache may keep the entry.
    past = time.time_ns() - seconds * 1_000_000_000
    os.utime(path, ns=(past, past))


@pytest.fixture
def work(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "tree"
    git_dir = root / ".git"
    git_dir.mkdir(parents=True)
    return git_dir, root


def _cache(work: tuple[Path, Path], hasher: Callable[[Path], str] | None = None) -> HashCache:
    git_dir, root = work
    return HashCache(git_dir, root, hasher=hasher)


def test_cache_hit_does_not_reread(work: tuple[Path, Path]) -> None:
    _, root = work
    file = root / "model.bin"
    data = _random_file(file, 1000)
    _age(file)
    counter = CountingHasher()
    cache = _cache(work, counter)
    assert cache.sha256(file) == hashlib.sha256(data).hexdigest()
    assert cache.sha256(file) == hashlib.sha256(data).hexdigest()
    assert counter.calls == [file]


def test_cache_keys_are_relative_posix_paths(work: tuple[Path, Path]) -> None:
    git_dir, root = work
    (root / "sub").mkdir()
    file = root / "sub" / "model.bin"
    _random_file(file, 10)
    _age(file)
    cache = _cache(work)
    cache.sha256(file)
    assert cache.save() is True
    stored = json.loads((git_dir / "gitmodel" / "hashcache.json").read_text())
    assert list(stored["files"]) == ["sub/model.bin"]


def test_cache_relative_and_absolute_paths_share_an_entry(work: tuple[Path, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _, root = work
    file = root / "model.bin"
    _random_file(file, 10)
    _age(file)
    counter = CountingHasher()
    cache = _cache(work, counter)
    cache.sha256(file)
    monkeypatch.chdir(root)
    cache.sha256(Path("model.bin"))
    assert len(counter.calls) == 1


@pytest.mark.parametrize("change", ["size", "mtime", "inode"])
def test_cache_invalidated_by_stat_change(work: tuple[Path, Path], change: str) -> None:
    _, root = work
    file = root / "model.bin"
    file.write_bytes(b"a" * 100)
    _age(file)
    counter = CountingHasher()
    cache = _cache(work, counter)
    first = cache.sha256(file)
    if change == "size":
        stamp = file.stat().st_mtime_ns
        file.write_bytes(b"b" * 101)
        os.utime(file, ns=(stamp, stamp))
        expected = hashlib.sha256(b"b" * 101).hexdigest()
    elif change == "mtime":
        # Same size, same inode, new content: only the mtime tells.
        with open(file, "r+b") as stream:
            stream.write(b"b" * 100)
        _age(file, 1800)
        expected = hashlib.sha256(b"b" * 100).hexdigest()
    else:
        stamp = file.stat().st_mtime_ns
        replacement = root / "replacement"
        replacement.write_bytes(b"c" * 100)
        os.utime(replacement, ns=(stamp, stamp))
        inode_before = file.stat().st_ino
        os.replace(replacement, file)
        assert file.stat().st_ino != inode_before
        assert file.stat().st_mtime_ns == stamp
        expected = hashlib.sha256(b"c" * 100).hexdigest()
    assert cache.sha256(file) == expected != first
    assert len(counter.calls) == 2


def test_cache_racy_entry_not_stored(work: tuple[Path, Path]) -> None:
    git_dir, root = work
    file = root / "fresh.bin"
    file.write_bytes(b"just written")
    counter = CountingHasher()
    cache = _cache(work, counter)
    digest = cache.sha256(file)
    assert digest == hashlib.sha256(b"just written").hexdigest()
    assert cache.sha256(file) == digest
    assert len(counter.calls) == 2  # mtime is now: never trusted
    assert cache.save() is False
    assert not (git_dir / "gitmodel" / "hashcache.json").exists()

    _age(file)
    cache.sha256(file)
    cache.sha256(file)
    assert len(counter.calls) == 3  # old mtime: stored once, then served


def test_cache_future_mtime_is_racy(work: tuple[Path, Path]) -> None:
    _, root = work
    file = root / "future.bin"
    file.write_bytes(b"x")
    _age(file, -3600)
    counter = CountingHasher()
    cache = _cache(work, counter)
    cache.sha256(file)
    cache.sha256(file)
    assert len(counter.calls) == 2


def test_cache_persists_across_instances(work: tuple[Path, Path]) -> None:
    git_dir, root = work
    file = root / "model.bin"
    data = _random_file(file, 5000)
    _age(file)
    first = _cache(work)
    first.sha256(file)
    first.put_blob("a" * 40, "b" * 64)
    assert first.save() is True
    assert first.save() is False  # nothing changed since

    counter = CountingHasher()
    second = _cache(work, counter)
    assert second.sha256(file) == hashlib.sha256(data).hexdigest()
    assert counter.calls == []
    assert second.blob_sha256("a" * 40) == "b" * 64
    assert second.blob_sha256("c" * 40) is None
    assert sorted(p.name for p in (git_dir / "gitmodel").iterdir()) == ["blobcache", "hashcache.json"]


def test_cache_blobs(work: tuple[Path, Path]) -> None:
    cache = _cache(work)
    assert cache.blob_sha256("a" * 64) is None
    cache.put_blob("a" * 64, "1" * 64)
    assert cache.blob_sha256("a" * 64) == "1" * 64
    with pytest.raises(InvalidInput):
        cache.put_blob("not-an-oid", "1" * 64)
    with pytest.raises(InvalidInput):
        cache.put_blob("a" * 40, "ABC")


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b"[]",
        b'{"format": 999, "files": {}}',
        b'{"format": 1, "files": {"model.bin": [1, 2]}, "blobs": {"zz": 3}}',
        b'{"format": 1, "files": {"model.bin": [1, 2, 3, "not-a-digest"]}}',
        b"",
    ],
)
def test_cache_corrupt_file_is_treated_as_empty(work: tuple[Path, Path], content: bytes) -> None:
    git_dir, root = work
    (git_dir / "gitmodel").mkdir()
    (git_dir / "gitmodel" / "hashcache.json").write_bytes(content)
    file = root / "model.bin"
    data = _random_file(file, 100)
    _age(file)
    counter = CountingHasher()
    cache = _cache(work, counter)
    assert cache.sha256(file) == hashlib.sha256(data).hexdigest()
    assert counter.calls == [file]
    assert cache.blob_sha256("zz") is None
    assert cache.save() is True
    assert json.loads((git_dir / "gitmodel" / "hashcache.json").read_text())["files"]["model.bin"][3] == (
        hashlib.sha256(data).hexdigest()
    )


def test_cache_entry_from_other_stat_is_not_trusted(work: tuple[Path, Path]) -> None:
    git_dir, root = work
    file = root / "model.bin"
    file.write_bytes(b"real")
    _age(file)
    info = file.stat()
    # A hand-made entry with a matching stat proves hits come from the file, and a mismatch re-reads.
    target = cache.cache_file(git_dir, "hashcache.json")
    entry = [info.st_size, info.st_mtime_ns, info.st_ino, "f" * 64]
    cache.save(target, CACHE_FORMAT, {"files": {"model.bin": entry}})
    assert _cache(work).sha256(file) == "f" * 64
    entry[2] += 1
    cache.save(target, CACHE_FORMAT, {"files": {"model.bin": entry}})
    assert _cache(work).sha256(file) == hashlib.sha256(b"real").hexdigest()


def test_cache_save_is_atomic(work: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    git_dir, root = work
    first, second = root / "one.bin", root / "two.bin"
    first.write_bytes(b"one")
    second.write_bytes(b"two")
    _age(first)
    _age(second)
    cache = _cache(work)
    cache.sha256(first)
    assert cache.save() is True
    target = git_dir / "gitmodel" / "hashcache.json"
    before = target.read_bytes()

    def fail_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    cache.sha256(second)
    monkeypatch.setattr(hashing.os, "replace", fail_replace)
    assert cache.save() is False
    monkeypatch.undo()
    # The old file is intact and no temp file is left behind.
    assert target.read_bytes() == before
    assert sorted(p.name for p in target.parent.iterdir()) == ["hashcache.json"]
    # Still dirty, so the next save writes the change.
    assert cache.save() is True
    counter = CountingHasher()
    assert _cache(work, counter).sha256(second) == hashlib.sha256(b"two").hexdigest()
    assert counter.calls == []


def _blob_file(git_dir: Path) -> Path:
    return git_dir / "gitmodel" / "blobcache"


def test_blob_records_are_appended_and_the_last_one_of_a_blob_counts(work: tuple[Path, Path]) -> None:
    git_dir, _ = work
    cache = _cache(work)
    cache.put_blob("a" * 40, "1" * 64)
    assert cache.save() is True
    size = _blob_file(git_dir).stat().st_size
    again = _cache(work)
    again.put_blob("b" * 40, "2" * 64)
    again.put_blob("a" * 40, "1" * 64)          # known already: not written twice
    assert again.save() is True
    assert _blob_file(git_dir).stat().st_size == size + 1 + 40 + 1 + 64
    third = _cache(work)
    third.put_blob("a" * 40, "3" * 64)          # a record that contradicts an older one supersedes it
    assert third.save() is True
    assert _cache(work).blob_sha256("a" * 40) == "3" * 64
    assert _cache(work).blob_sha256("b" * 40) == "2" * 64


@pytest.mark.parametrize("tail", [b"\n" + b"c" * 40 + b" " + b"4" * 30, b"\n" + b"c" * 40 + b" " + b"4" * 64 + b"x",
                                  b"\n" + b"c" * 20, b"\n" + b"c" * 40 + b" " + b"G" * 64],
                         ids=["cut in the digest", "run into garbage", "cut in the id", "not hex"])
def test_a_blob_record_cut_short_or_damaged_is_a_miss(work: tuple[Path, Path], tail: bytes) -> None:
    """A writer killed mid-append leaves a partial record: it is never served, and the records after it are."""
    git_dir, _ = work
    cache = _cache(work)
    cache.put_blob("a" * 40, "1" * 64)
    assert cache.save() is True
    with open(_blob_file(git_dir), "ab") as stream:
        stream.write(tail)
    assert _cache(work).blob_sha256("c" * 40) is None
    later = _cache(work)
    later.put_blob("d" * 40, "5" * 64)
    assert later.save() is True
    assert _cache(work).blob_sha256("d" * 40) == "5" * 64
    assert _cache(work).blob_sha256("a" * 40) == "1" * 64


def test_a_foreign_blob_cache_is_replaced_not_appended_to(work: tuple[Path, Path]) -> None:
    git_dir, _ = work
    _blob_file(git_dir).parent.mkdir(parents=True, exist_ok=True)
    _blob_file(git_dir).write_bytes(b"gitmodel-cache 1 0.0.1-other\n" + b"a" * 40 + b" " + b"9" * 64)
    assert _cache(work).blob_sha256("a" * 40) is None
    cache = _cache(work)
    cache.put_blob("b" * 40, "2" * 64)
    assert cache.save() is True
    assert b"0.0.1-other" not in _blob_file(git_dir).read_bytes()
    assert _cache(work).blob_sha256("b" * 40) == "2" * 64


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_the_blob_cache_never_writes_through_what_is_put_in_its_place(work: tuple[Path, Path], tmp_path: Path,
                                                                        kind: str) -> None:
    """A symlink to a file outside the repository, or a FIFO, where the cache should be: replaced, never
    written through (nor waited on)."""
    git_dir, _ = work
    _blob_file(git_dir).parent.mkdir(parents=True, exist_ok=True)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(hashing.cache._text_stamp(hashing.BLOB_FORMAT))
    if kind == "symlink":
        _blob_file(git_dir).symlink_to(outside)
    else:
        os.mkfifo(_blob_file(git_dir))
    cache = _cache(work)
    cache.put_blob("b" * 40, "2" * 64)
    assert cache.save() is True
    assert outside.read_bytes() == hashing.cache._text_stamp(hashing.BLOB_FORMAT)
    assert _blob_file(git_dir).is_file()
    assert not _blob_file(git_dir).is_symlink()
    assert _cache(work).blob_sha256("b" * 40) == "2" * 64


def test_cache_save_tolerates_unwritable_location(tmp_path: Path) -> None:
    git_dir = tmp_path / "not-a-dir"
    git_dir.write_text("a file where the git dir should be")
    cache = HashCache(git_dir, tmp_path)
    cache.put_blob("a" * 40, "1" * 64)
    assert cache.save() is False
    assert git_dir.read_text() == "a file where the git dir should be"


def test_cache_outside_root_hashes_without_caching(work: tuple[Path, Path], tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"out")
    _age(outside)
    counter = CountingHasher()
    cache = _cache(work, counter)
    assert cache.sha256(outside) == hashlib.sha256(b"out").hexdigest()
    cache.sha256(outside)
    assert len(counter.calls) == 2
    assert cache.save() is False


@needs_sha256sum
def test_cache_dir_sha256(work: tuple[Path, Path]) -> None:
    _, root = work
    data = _tree(root / "data")
    for path in data.rglob("*"):
        if path.is_file():
            _age(path)
    counter = CountingHasher()
    cache = _cache(work, counter)
    assert cache.dir_sha256(data) == sha256_dir(data) == _shell_dir_hash(data)
    assert len(counter.calls) == 10
    cache.dir_sha256(data)
    assert len(counter.calls) == 10


def test_cache_missing_file(work: tuple[Path, Path]) -> None:
    _, root = work
    with pytest.raises(InvalidInput, match="file not found"):
        _cache(work).sha256(root / "missing")


def test_sha256_and_md5_in_one_read(tmp_path: Path) -> None:
    file = tmp_path / "w.bin"
    data = _random_file(file, CHUNK + 17)
    assert hashing.sha256_and_md5(file) == (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())


def test_remember_records_a_digest_for_the_file_as_it_is(work: tuple[Path, Path]) -> None:
    _, root = work
    old, fresh = root / "old.bin", root / "fresh.bin"
    _random_file(old, 100)
    _random_file(fresh, 100)
    _age(old)
    counter = CountingHasher()
    cache = _cache(work, counter)
    cache.remember(old, "a" * 64)
    cache.remember(fresh, "b" * 64)  # just written: inside the racy window, so not kept
    assert cache.sha256(old) == "a" * 64
    assert counter.calls == []
    assert cache.sha256(fresh) == sha256_file(fresh)
    assert counter.calls == [fresh]
