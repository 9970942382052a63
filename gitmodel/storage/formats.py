"""Weights format from magic bytes and extension, never by loading the model.

Magic bytes win over the extension. Where a format has no reliable magic (ONNX is a bare protobuf,
protocol 0/1 pickles and compressed joblib files start with ordinary bytes) the extension decides, and
where in doubt the answer leans to the format whose loading runs code, so the warning is not missed.
"""

from __future__ import annotations

import struct
from pathlib import Path, PurePosixPath

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    import zipfile
    from typing import BinaryIO

FORMATS = ("safetensors", "onnx", "pickle", "joblib", "pt", "gguf", "keras", "h5", "skops", "unknown")
PICKLE_FORMATS = ("pickle", "joblib", "pt")  # formats whose loading runs arbitrary code
_BY_EXT = {".safetensors": "safetensors", ".onnx": "onnx", ".gguf": "gguf", ".h5": "h5", ".hdf5": "h5",
           ".keras": "keras", ".pkl": "pickle", ".pickle": "pickle", ".joblib": "joblib", ".pt": "pt",
           ".pth": "pt", ".ckpt": "pt", ".skops": "skops"}
# Formats an extension alone may claim (no reliable magic); the others must show their magic.
_EXT_TRUSTED = ("onnx", "pickle", "joblib", "pt")
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_HDF5_OFFSETS = (0, 512, 1024, 2048)  # HDF5 allows a user block before the superblock
_COMPRESSED = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x04\x22\x4d\x18", b"ZF", b"\x28\xb5\x2f\xfd")
_SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024  # the spec's limit


def format_from_name(path: str) -> str:
    """A guess from the extension alone (for manifests written by hand; reads nothing)."""
    return _BY_EXT.get(PurePosixPath(path).suffix.lower(), "unknown")


def is_code_on_load(fmt: str | None) -> bool:
    """True for formats whose loading can run arbitrary code (pickle and what wraps it)."""
    return fmt in PICKLE_FORMATS


def detect_format(path: Path) -> str:
    """One of FORMATS for a weights file; "unknown" when unreadable or unrecognised."""
    if path.is_dir():
        return "unknown"
    ext = _BY_EXT.get(path.suffix.lower())
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            size = fh.seek(0, 2)
            if head.startswith(b"GGUF"):
                return "gguf"
            if any(_at(fh, offset, len(_HDF5_MAGIC)) == _HDF5_MAGIC for offset in _HDF5_OFFSETS):
                return "h5"  # Keras 2 .h5/.keras files are HDF5 too; Keras 3 .keras is a zip
            if _is_safetensors(fh, head, size):
                return "safetensors"
    except OSError:
        return "unknown"
    if head.startswith(b"PK\x03\x04"):
        return _zip_format(path, ext)
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        # pickle protocol 2-5; joblib and legacy torch.save files are such pickles
        return ext if ext in ("joblib", "pt") else "pickle"
    if ext == "joblib" and head.startswith(_COMPRESSED):
        return "joblib"
    if _looks_like_onnx(head):
        return "onnx"
    return ext if ext in _EXT_TRUSTED else "unknown"


def _at(fh: BinaryIO, offset: int, count: int) -> bytes:
    fh.seek(offset)
    return fh.read(count)


def _is_safetensors(fh: BinaryIO, head: bytes, size: int) -> bool:
    """8-byte little-endian header length, then a JSON object (padded with spaces) that fits the file."""
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (header_len,) = struct.unpack("<Q", head[:8])
    if not 2 <= header_len <= _SAFETENSORS_MAX_HEADER or 8 + header_len > size:
        return False
    tail = _at(fh, 8 + max(0, header_len - 16), min(16, header_len))
    return tail.rstrip(b" ").endswith(b"}")


def _zip_format(path: Path, ext: str | None) -> str:
    """torch.save writes a zip holding `<archive>/data.pkl`; Keras 3 a zip with config.json; skops (what
    MLflow's sklearn flavor writes by default) a zip with a top-level schema.json describing the object tree
    and its arrays as .npy members — no pickle inside, so it is not a code-on-load format."""
    import zipfile  # lazily: check (the hook) imports this module and never sniffs bytes

    try:
        with zipfile.ZipFile(path) as archive:  # reads the central directory only
            names = archive.namelist()
            skops = "schema.json" in names and _is_skops_schema(archive)
    except (zipfile.BadZipFile, OSError, ValueError):
        return ext if ext in _EXT_TRUSTED else "unknown"
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "joblib" if ext == "joblib" else "pt"
    if "config.json" in names and any(n.endswith(".weights.h5") or n == "model.weights.h5" for n in names):
        return "keras"
    if any(n.endswith((".pkl", ".pickle")) for n in names):
        return "pickle"  # before skops: where in doubt, the format whose loading runs code
    if skops:
        return "skops"
    return ext if ext in _EXT_TRUSTED else "unknown"


def _is_skops_schema(archive: zipfile.ZipFile) -> bool:
    """skops' schema.json names a `__loader__` for each node (and its `protocol` at the top)."""
    try:
        with archive.open("schema.json") as fh:
            head = fh.read(4096)
    except Exception:  # encrypted, unknown compression, corrupt stream (zlib.error): sniffing never fails
        return False
    return b'"__loader__"' in head and (b'"__class__"' in head or b'"protocol"' in head)


def _looks_like_onnx(head: bytes) -> bool:
    """ModelProto starts with ir_version (field 1, varint) then producer_name/graph/opset fields."""
    if len(head) < 3 or head[0] != 0x08 or not 1 <= head[1] <= 20:
        return False
    # next field: 2 producer_name, 3 producer_version, 4 domain, 7 graph, 8 opset_import (length-delimited),
    # or 5 model_version (varint)
    return head[2] in (0x12, 0x1A, 0x22, 0x28, 0x3A, 0x42)
