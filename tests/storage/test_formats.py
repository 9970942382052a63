"""Weights formats from magic bytes (files made here, byte by byte; no ML library is imported)."""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from pathlib import Path

import pytest

from gitmodel.storage.formats import FORMATS, detect_format, format_from_name, is_code_on_load


def _safetensors(path: Path) -> Path:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    header += b" " * (-len(header) % 8)  # the writer pads to 8 bytes with spaces
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 8)
    return path


def _torch_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/data/0", b"\x00" * 16)
    return path


def _keras3(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", "{}")
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n")
    return path


def _onnx(path: Path) -> Path:
    # ModelProto: ir_version=8 (field 1 varint), producer_name="pytorch" (field 2, length-delimited)
    path.write_bytes(b"\x08\x08\x12\x07pytorch\x1a\x052.1.0")
    return path


@pytest.mark.parametrize(("name", "make", "expected"), [
    ("model.safetensors", _safetensors, "safetensors"),
    ("weights.bin", _safetensors, "safetensors"),               # magic wins over a vague extension
    ("model.onnx", _onnx, "onnx"),
    ("exported.bin", _onnx, "onnx"),
    ("model.pkl", lambda p: p.write_bytes(pickle.dumps({"a": 1}, protocol=4)) and p, "pickle"),
    ("model.joblib", lambda p: p.write_bytes(pickle.dumps([1], protocol=5)) and p, "joblib"),
    ("model.joblib", lambda p: p.write_bytes(b"\x1f\x8b\x08\x00zlibbed") and p, "joblib"),
    ("model.pt", _torch_zip, "pt"),
    ("checkpoint.bin", _torch_zip, "pt"),                      # torch.save zip under any name
    ("legacy.pth", lambda p: p.write_bytes(pickle.dumps({}, protocol=2)) and p, "pt"),
    ("llama.gguf", lambda p: p.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 16) and p, "gguf"),
    ("model.h5", lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 32) and p, "h5"),
    ("userblock.h5", lambda p: p.write_bytes(b"\x00" * 512 + b"\x89HDF\r\n\x1a\n" + b"\x00" * 8) and p, "h5"),
    ("model.keras", _keras3, "keras"),
    ("random.bin", lambda p: p.write_bytes(bytes(range(64))) and p, "unknown"),
    ("fake.safetensors", lambda p: p.write_bytes(b"not a tensor file at all") and p, "unknown"),
    ("empty.bin", lambda p: p.write_bytes(b"") and p, "unknown"),
])
def test_detects_each_format_from_its_bytes(tmp_path: Path, name: str, make: object, expected: str) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    assert detect_format(path) == expected
    assert expected in FORMATS


def test_a_brace_at_byte_eight_is_not_enough_for_safetensors(tmp_path: Path) -> None:
    path = tmp_path / "w.bin"
    path.write_bytes(struct.pack("<Q", 10**6) + b"{" + b"x" * 40)  # header longer than the file
    assert detect_format(path) == "unknown"


def test_a_zip_that_is_neither_torch_nor_keras_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "bundle.bin"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hi")
    assert detect_format(path) == "unknown"


def test_unreadable_and_missing_files_are_unknown(tmp_path: Path) -> None:
    assert detect_format(tmp_path / "missing.pt") == "unknown"
    assert detect_format(tmp_path) == "unknown"


def test_detection_never_unpickles(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"

    class Boom:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (Path.touch, (str(marker),))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Boom(), protocol=4))
    assert detect_format(path) == "pickle"
    assert not marker.exists()


def test_names_and_code_on_load() -> None:
    assert format_from_name("a/b/model.SAFETENSORS") == "safetensors"
    assert format_from_name("model.ckpt") == "pt"
    assert format_from_name("model.bin") == "unknown"
    assert [f for f in FORMATS if is_code_on_load(f)] == ["pickle", "joblib", "pt"]
    assert not is_code_on_load(None)


def test_check_warns_about_pickled_weights_without_failing(repo: Path) -> None:
    from gitmodel.gate.check import run_check
    from gitmodel.workspace.edit import add_model
    from gitmodel.workspace.init_repo import init_repo
    from tests.kit.cli import gm
    from tests.kit.git import git, release

    init_repo(repo, hooks=False, dvc=False)
    (repo / "model.pkl").write_bytes(pickle.dumps({"coef": [1.0]}, protocol=4))
    (repo / "model.safetensors").write_bytes(_safetensors(repo / "st.tmp").read_bytes())
    add_model(repo, "churn", weights=["model.pkl"], force_git=["model.pkl"])
    add_model(repo, "safe", weights=["model.safetensors"], force_git=["model.safetensors"])
    git(repo, "commit", "-q", "-m", "two models")
    result = run_check(repo)
    assert result.ok
    assert [w for w in result.warnings if "arbitrary code" in w] == [
        "churn: model.pkl is pickle (not released yet): loading it runs arbitrary code — load it only from "
        "a trusted source, or ship safetensors/ONNX instead"]
    release(repo, "churn")
    proc = gm(repo, "check")
    assert proc.returncode == 0
    assert "warning: churn: model.pkl is pickle (released as churn@v0.1.0): loading it runs arbitrary code" \
        in proc.stderr
    assert "safe:" not in proc.stderr
    assert json.loads(gm(repo, "check", "--json").stdout)["warnings"][0].startswith("churn: model.pkl is pickle")
