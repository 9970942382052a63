"""gitmodel/gate/kept_tree.py: the manifests changed between a kept tree and a new one, found by comparing
their bytes, are exactly what `git diff-tree` says — for edits, additions and deletions at the start, middle and
end, names built to fool a search (a space, a name that ends another name, a name that is another's prefix),
several changes at once, SHA-1 and SHA-256 — and a changed subdirectory is left to git (real git, real trees)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gitmodel.gate import kept_tree
from gitmodel.gate.kept_tree import KeptTree, advance, delta, offsets_of
from tests.kit.files import write
from tests.kit.git import git

NAMES = [f"m{i:03d}.yaml" for i in range(0, 400, 2)] + ["x m010.yaml", "m010.yaml.yaml", "a b.yaml", "m01.yaml"]


def tree_of(root: Path) -> str:
    git(root, "add", "-A")
    return git(root, "write-tree").stdout.strip()


def sub_tree(root: Path, tree: str) -> str:
    return git(root, "rev-parse", f"{tree}:models").stdout.strip()


def kept(root: Path, oid: str) -> KeptTree:
    raw = kept_tree.read_tree(root, oid)
    assert raw is not None
    return KeptTree(oid, raw, offsets_of(raw, len(oid) // 2))


def diff_tree(root: Path, old: str, new: str) -> dict[str, str]:
    out = git(root, "diff-tree", "-z", "--no-renames", old, new).stdout.split("\0")
    changed = {}
    for i in range(0, len(out) - 1, 2):
        meta = out[i].split(" ")
        changed[out[i + 1]] = "" if meta[4] == "D" else meta[3]
    return changed


@pytest.fixture(params=["sha1", "sha256"])
def manifests(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", f"--object-format={request.param}")
    for name in NAMES:
        write(root, f"models/{name}", f"name: {name}\n")
    write(root, "models/sub/nested.yaml", "nested\n")
    return root


def edits(root: Path, seed: int) -> None:
    rng = random.Random(seed)
    names = sorted(NAMES)
    for _ in range(rng.randint(1, 4)):
        what, name = rng.choice(["edit", "add", "delete"]), rng.choice(names)
        path = root / "models" / name
        if what == "edit" and path.exists():
            path.write_text(f"edited {rng.random()}\n")
        elif what == "delete" and path.exists():
            path.unlink()
        else:
            write(root, f"models/{rng.choice(['', 'a', 'm0', 'zz', 'x '])}{name[:-5]}{rng.randint(0, 9)}.yaml",
                  "added\n")


CASES = {"first edited": lambda r: write(r, f"models/{NAMES[0]}", "edited\n"),
         "last edited": lambda r: write(r, "models/x m010.yaml", "edited\n"),
         "added first": lambda r: write(r, "models/0.yaml", "new\n"),
         "added last": lambda r: write(r, "models/zzz.yaml", "new\n"),
         "deleted first": lambda r: (r / "models" / "a b.yaml").unlink(),
         "deleted last": lambda r: (r / "models" / "x m010.yaml").unlink(),
         "a name ending another's": lambda r: write(r, "models/m010.yaml", "edited, beside 'x m010.yaml'\n"),
         "a prefix of another name": lambda r: write(r, "models/m01.yaml", "edited\n"),
         "everything edited": lambda r: [write(r, f"models/{n}", "all\n") for n in NAMES]}


@pytest.mark.parametrize("case", [*CASES, *[f"random {i}" for i in range(12)]])
def test_the_changes_found_are_git_diff_trees(manifests: Path, case: str) -> None:
    before = sub_tree(manifests, tree_of(manifests))
    if case in CASES:
        CASES[case](manifests)
    else:
        edits(manifests, int(case.split()[1]))
    after = sub_tree(manifests, tree_of(manifests))
    old = kept(manifests, before)
    raw = kept_tree.read_tree(manifests, after)
    assert raw is not None
    found = delta(old, after, raw)
    assert found is not None
    changed, moved = found
    assert changed == diff_tree(manifests, before, after)
    assert moved.oid == after
    assert moved.raw == raw
    assert moved.offsets == offsets_of(raw, len(after) // 2)  # kept right for the next move


def test_a_changed_subdirectory_is_left_to_git(manifests: Path) -> None:
    before = sub_tree(manifests, tree_of(manifests))
    write(manifests, "models/sub/nested.yaml", "edited\n")
    after = sub_tree(manifests, tree_of(manifests))
    raw = kept_tree.read_tree(manifests, after)
    assert raw is not None
    assert delta(kept(manifests, before), after, raw) is None


def test_ids_replaced_in_place_give_git_s_tree_id(manifests: Path) -> None:
    before = sub_tree(manifests, tree_of(manifests))
    write(manifests, "models/m010.yaml", "edited\n")
    write(manifests, "models/x m010.yaml", "edited too\n")
    after = sub_tree(manifests, tree_of(manifests))
    blobs = {n: git(manifests, "rev-parse", f"{after}:{n}").stdout.strip() for n in ("m010.yaml", "x m010.yaml")}
    moved = advance(kept(manifests, before), blobs)
    assert moved is not None
    assert moved.oid == after
    assert advance(kept(manifests, before), {"not-there.yaml": blobs["m010.yaml"]}) is None
    assert advance(kept(manifests, before), {"m010.yaml": ""}) is None  # a deletion is not done in place


def test_a_damaged_kept_file_is_not_trusted(manifests: Path) -> None:
    git_dir = manifests / ".git"
    before = sub_tree(manifests, tree_of(manifests))
    assert kept_tree.save(git_dir, kept(manifests, before))
    loaded = kept_tree.load(git_dir)
    assert loaded is not None
    assert loaded.oid == before
    path = git_dir / "gitmodel" / kept_tree.FILE
    whole = path.read_bytes()
    path.write_bytes(whole[:-7])  # cut short
    assert kept_tree.load(git_dir) is None
    flipped = bytearray(whole)
    flipped[-30] ^= 0x01  # one bit of the tree
    path.write_bytes(bytes(flipped))
    assert kept_tree.load(git_dir) is None
    flipped = bytearray(whole)
    offsets_at = whole.index(b"\n", whole.index(b"\n") + 1) + 1  # after the stamp line and the header line
    flipped[offsets_at + 5] ^= 0x01
    path.write_bytes(bytes(flipped))  # one bit of an entry's offset
    assert kept_tree.load(git_dir) is None


def test_a_subdirectory_change_is_asked_of_git_and_the_new_tree_kept(manifests: Path) -> None:
    """The hook's `_changed`: the kept tree cannot say what moved in a subdirectory, so `git diff-tree` does, and
    the new tree is kept from the bytes already read (then compared, the next move needs no diff-tree)."""
    from gitmodel.gate.hook_index import _changed

    git_dir = manifests / ".git"
    before = sub_tree(manifests, tree_of(manifests))
    assert kept_tree.save(git_dir, kept(manifests, before))
    write(manifests, "models/sub/nested.yaml", "edited\n")
    write(manifests, "models/m010.yaml", "edited\n")
    after = sub_tree(manifests, tree_of(manifests))
    changed = _changed(manifests, git_dir, "models/", before, after, None)
    assert changed == {f"models/{p}": git(manifests, "rev-parse", f"{after}:{p}").stdout.strip()
                       for p in ("m010.yaml", "sub/nested.yaml")}
    now = kept_tree.load(git_dir)
    assert now is not None
    assert now.oid == after
    assert now.offsets == kept(manifests, after).offsets
