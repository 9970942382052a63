"""Weights format from magic bytes and extension, never by loading the model."""

from __future__ import annotations

import struct
from pathlib import Path

PICKLE_FORMATS = ("pickle", "joblib", "pt")  # formats whose loading runs arbitrary code
_BY_EXT = {".safetensors": "safetensors", ".onnx": "onnx", ".gguf": "gguf", ".h5": "h5", ".hdf5": "h5",
           ".keras": "keras", ".pkl": "pickle", ".pickle": "pickle", ".joblib": "joblib", ".pt": "pt",
           ".pth": "pt", ".bin": "unknown"}


def detect_format(path: Path) -> str:
    if path.is_dir():
        return "directory"
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return "unknown"
    ext = _BY_EXT.get(path.suffix.lower())
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "keras" if ext == "keras" else "h5"
    if len(head) >= 9 and head[8:9] == b"{":
        (header_len,) = struct.unpack("<Q", head[:8])
        if 0 < header_len < 100 * 1024 * 1024:
            return "safetensors"
    if head.startswith(b"PK\x03\x04"):
        # torch.save writes a zip archive holding a pickle; keras v3 is a zip too
        return ext if ext in ("pt", "keras") else "pt" if ext is None or ext == "unknown" else ext
    if head[:1] == b"\x80" and 2 <= head[1:2][0] <= 5 if len(head) > 1 else False:
        return ext if ext in ("joblib", "pt") else "pickle"
    if ext == "onnx":
        return "onnx"
    return ext if ext and ext != "unknown" else "unknown"
