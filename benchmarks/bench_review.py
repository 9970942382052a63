"""`gitmodel diff` over 100 changed manifests (goal: <= 1 s), against `git diff` of the same files.

Run: PYTHONPATH=. python benchmarks/bench_review.py [N]
Builds a temp repo with N models, each released once (N annotated tags) and then changed in the working
tree (weights hash, a param, two metrics, a schema field), and times:
  - review.diff() in-process (latest releases → working tree) and its markdown/json rendering;
  - the CLI `gitmodel diff --format markdown` end to end (interpreter start included);
  - the peer: `git diff --stat` of the same manifests (what a reviewer gets without gitmodel).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitmodel.model import manifest as mf  # noqa: E402
from gitmodel.model.manifest import FileEntry, Manifest  # noqa: E402
from gitmodel.review import diff as review  # noqa: E402
from gitmodel.review import render  # noqa: E402


def sh(root: Path, *args: str) -> None:
    subprocess.run(args, cwd=root, check=True, capture_output=True)


def model(i: int, version: str, salt: str) -> Manifest:
    digest = hashlib.sha256(f"{i}{salt}".encode()).hexdigest()
    return Manifest(
        name=f"model-{i:03d}", version=version, description=f"model {i}",
        weights=(FileEntry(f"artifacts/m{i}.bin", digest, 1000 + i, "dvc", md5=digest[:32], format="onnx"),),
        params={"lr": 0.001 if salt == "a" else 0.0005, "epochs": 3},
        schema={"inputs": {"type": "object", "properties": {"text": {"type": "string"}} | (
            {"lang": {"type": "string"}} if salt == "b" else {})}},
        metrics={"accuracy": 0.9 + (0.01 if salt == "b" else 0), "loss": 0.3 - (0.02 if salt == "b" else 0)},
    )


def best(fn, runs: int = 5) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(n: int = 100) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sh(root, "git", "init", "-q")
        sh(root, "git", "config", "user.email", "bench@example.com")
        sh(root, "git", "config", "user.name", "bench")
        (root / "models").mkdir()
        for i in range(n):
            mf.save(model(i, "1.0.0", "a"), root / "models" / f"model-{i:03d}.yaml")
        sh(root, "git", "add", "-A")
        sh(root, "git", "commit", "-q", "-m", "v1")
        for i in range(n):
            sh(root, "git", "tag", "-a", f"model-{i:03d}@v1.0.0", "-m", "release")
        for i in range(n):
            mf.save(model(i, "1.1.0", "b"), root / "models" / f"model-{i:03d}.yaml")
        report = review.diff(root)
        assert len(report.models) == n, len(report.models)
        t_diff = best(lambda: review.diff(root))
        t_md = best(lambda: render.diff_markdown(review.diff(root)))
        t_json = best(lambda: json.dumps(review.diff(root).to_json()))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t_cli = best(lambda: subprocess.run([sys.executable, "-m", "gitmodel", "diff", "--format", "markdown"],
                                            cwd=root, env=env, check=True, capture_output=True), runs=3)
        t_peer = best(lambda: sh(root, "git", "diff", "--stat", "HEAD", "--", "models"))
        print(f"models changed: {n}")
        print(f"review.diff (in-process):        {t_diff * 1000:7.1f} ms")
        print(f"diff + markdown render:         {t_md * 1000:7.1f} ms")
        print(f"diff + json render:             {t_json * 1000:7.1f} ms")
        print(f"gitmodel diff --format markdown: {t_cli * 1000:7.1f} ms (CLI, interpreter start included)")
        print(f"peer: git diff --stat:           {t_peer * 1000:7.1f} ms  (ratio CLI/peer {t_cli / t_peer:.1f}x)")
        print(f"goal <= 1000 ms: {'met' if t_cli <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
