"""The release-tag fixture: N annotated release tags over M models, written by one `git fast-import`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generators import OLD, manifest_module, model_name
from benchmarks.harness import BenchError
from benchmarks.workspace import Workspace


@dataclass(frozen=True)
class TagRepo:
    root: Path
    tags: int
    models: int


def tag_repo(ws: Workspace, name: str, *, tags: int, models: int = 100) -> TagRepo:
    """`tags` annotated release tags over `models` models, written by ONE `git fast-import` and packed.

    Release k of every model is on commit k (its manifest at version 1.k.0 there), so no model has two
    versions on one commit (GTO refuses that) and every tag carries gitmodel's message with the
    manifest's real fingerprint.
    """
    from gitmodel.model.config import default_text

    mf = manifest_module()
    per_model = tags // models
    if per_model * models != tags:
        raise BenchError(f"{tags} tags do not divide over {models} models")
    root = ws.fresh_dir(name)
    ws.git(root, "init", "-q")
    chunks: list[bytes] = []

    def data(payload: bytes) -> None:
        chunks.append(b"data %d\n" % len(payload) + payload + b"\n")

    config = default_text().encode()
    start = int(OLD) - per_model * models * 2
    clock = start
    for k in range(per_model):
        clock += 1
        version = f"1.{k}.0"
        fingerprints: dict[str, str] = {}
        chunks.append(b"commit refs/heads/main\nmark :%d\n" % (k + 1))
        chunks.append(b"committer Bench User <bench@example.com> %d +0000\n" % clock)
        data(f"release round {k}".encode())
        if k:
            chunks.append(b"from :%d\n" % k)
        chunks.append(b"M 100644 inline .gitmodel.yaml\n")
        data(config)
        for i in range(models):
            name_i = model_name(i)
            prompt = f"You are {name_i}, revision {k}.\n".encode()
            entry = mf.FileEntry(path=f"prompts/{name_i}/system.txt", sha256=hashlib.sha256(prompt).hexdigest(),
                                 size=len(prompt), storage="git")
            manifest = mf.Manifest(name=name_i, version=version, description=f"benchmark model {name_i}",
                                   prompts=(entry,), metrics={"accuracy": round(0.8 + k / 1000, 4)})
            fingerprints[name_i] = manifest.fingerprint()
            chunks.append(f"M 100644 inline prompts/{name_i}/system.txt\n".encode())
            data(prompt)
            chunks.append(f"M 100644 inline models/{name_i}.yaml\n".encode())
            data(mf.render(manifest).encode())
        for i in range(models):
            name_i = model_name(i)
            clock += 1
            message = (f"gitmodel release {name_i} v{version}\n\nfingerprint: sha256:{fingerprints[name_i]}\n"
                       f"manifest: models/{name_i}.yaml\n")
            chunks.append(f"tag {name_i}@v{version}\nfrom :{k + 1}\n".encode())
            chunks.append(b"tagger Bench User <bench@example.com> %d +0000\n" % clock)
            data(message.encode())
    ws.git(root, "fast-import", "--quiet", input=b"".join(chunks))
    ws.git(root, "pack-refs", "--all")
    ws.git(root, "checkout", "-q", "-f", "main")
    count = len(ws.git(root, "for-each-ref", "--format=%(refname)", "refs/tags").splitlines())
    if count != tags:
        raise BenchError(f"tag generator made {count} tags, wanted {tags}")
    return TagRepo(root, tags, models)
