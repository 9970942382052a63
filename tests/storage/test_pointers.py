"""DVC pointers: the fast path and the YAML path agree."""

from __future__ import annotations

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.storage.dvc_pointers import Pointer, parse_pointer

FILE = b"outs:\n- md5: 073347ba2aa0a00d8a266021f1fb3bb4\n  size: 4096\n  hash: md5\n  path: m1.bin\n"
DIRECTORY = b"outs:\n- md5: bd5f7a491966b5a813ccca4122146872.dir\n  size: 4\n  nfiles: 2\n  hash: md5\n  path: d\n"


@pytest.mark.parametrize(("data", "expected"), [
    (FILE, Pointer("073347ba2aa0a00d8a266021f1fb3bb4", 4096, None, "m1.bin")),
    (DIRECTORY, Pointer("bd5f7a491966b5a813ccca4122146872.dir", 4, 2, "d")),
    # not the exact shape `dvc add` writes: parsed as YAML, same answer
    (b"# a comment\n" + FILE, Pointer("073347ba2aa0a00d8a266021f1fb3bb4", 4096, None, "m1.bin")),
    (FILE.replace(b"path: m1.bin", b"path: 'a b.bin'"),
     Pointer("073347ba2aa0a00d8a266021f1fb3bb4", 4096, None, "a b.bin")),
    (FILE + b"meta:\n  owner: me\n", Pointer("073347ba2aa0a00d8a266021f1fb3bb4", 4096, None, "m1.bin")),
])
def test_pointers(data: bytes, expected: Pointer) -> None:
    assert parse_pointer(data, where="p.dvc") == expected


@pytest.mark.parametrize(("data", "field"), [
    (b"outs: []\n", "p.dvc: outs"),
    (b"outs:\n- size: 3\n  path: x\n", "p.dvc: outs[0].md5"),
    (b"outs: [\n", "p.dvc"),
])
def test_bad_pointers_name_the_field(data: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_pointer(data, where="p.dvc")
    assert info.value.where == field
