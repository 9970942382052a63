"""The context fixtures: a repo whose model has an input schema and a JSONL file of valid rows, and enough
installed distributions for `env capture`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from benchmarks.generators import age, file_entry, init_repo, write_manifest
from benchmarks.workspace import Workspace

INPUT_SCHEMA = {
    "inputs": {
        "type": "object",
        "required": ["text", "user_age"],
        "properties": {
            "text": {"type": "string", "maxLength": 2000},
            "user_age": {"type": "integer", "minimum": 0},
            "country": {"type": "string"},
            "score": {"type": "number"},
        },
    },
    "outputs": {"type": "object", "properties": {"label": {"enum": ["neg", "neu", "pos"]}}},
}


def samples_repo(ws: Workspace, rows: int = 1_000_000) -> tuple[Path, str]:
    """A repo with model `scorer` (schema.inputs above) and a JSONL file of `rows` valid records."""
    root = init_repo(ws, "repo-samples", dvc=False)
    weights = root / "artifacts" / "scorer.bin"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(os.urandom(4096))
    prompt = root / "prompts" / "scorer.txt"
    prompt.parent.mkdir(parents=True)
    prompt.write_text("Score the ticket.\n")
    age([weights, prompt])
    write_manifest(root, "scorer", "1.0.0",
                   weights=(file_entry(root, "artifacts/scorer.bin", "git", format="unknown"),),
                   prompts=(file_entry(root, "prompts/scorer.txt", "git"),), schema=INPUT_SCHEMA)
    ws.git(root, "add", "-A")
    ws.git(root, "commit", "-q", "-m", "scorer")
    countries = ["de", "fr", "us", "jp", "br"]
    with open(root / "rows.jsonl", "w", encoding="utf-8") as stream:
        for i in range(rows):
            stream.write(json.dumps({"text": f"ticket {i}: the app crashes when I upload a photo",
                                     "user_age": 18 + i % 60, "country": countries[i % 5],
                                     "score": (i % 100) / 100}) + "\n")
    (root / ".git" / "info" / "exclude").write_text("rows.jsonl\n")
    return root, "rows.jsonl"


# ------------------------------------------------------------------------------ distributions


def fake_distributions(ws: Workspace, total: int = 300) -> tuple[Path, int]:
    """A site directory of minimal `.dist-info` distributions so the interpreter sees `total` in all."""
    from importlib import metadata

    have = len({(d.metadata["Name"] or "").lower() for d in metadata.distributions()})
    site = ws.fresh_dir("fake-site")
    extra = max(0, total - have)
    for i in range(extra):
        info = site / f"benchfake_pkg{i:03d}-1.{i}.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: benchfake-pkg{i:03d}\nVersion: 1.{i}.0\n")
        (info / "RECORD").write_text("")
    return site, have + extra
