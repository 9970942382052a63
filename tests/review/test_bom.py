"""`gitmodel bom`: a CycloneDX 1.6 document validated by cyclonedx-python-lib's own strict validator, carrying
every hash the release pins (real DVC for the weights and data, git for the prompt and params file)."""

from __future__ import annotations

import json
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from gitmodel.model.manifest import load
from gitmodel.workspace.edit import add_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.files import write
from tests.kit.git import commit_all, git, release
from tests.kit.manifests import edit


def released(repo: Path) -> Path:
    init_repo(repo, hooks=False, dvc=True)  # weights and data in DVC, the prompt and params file in git
    write(repo, "artifacts/model.bin", b"\x00weights\x01" * 10)
    write(repo, "data/train.csv", "text,label\ngood,pos\n")
    write(repo, "prompts/system.txt", "You are a sentiment classifier.\n")
    write(repo, "params.yaml", "lr: 0.001\n")
    add_model(repo, "sentiment", weights=["artifacts/model.bin"], data=["data/train.csv"],
              prompts=["prompts/system.txt"], params_file="params.yaml")
    edit(repo, "sentiment", description="Sentiment classifier", metrics={"accuracy": 0.91, "f1": 0.88},
         environment={"python": "3.11.7", "packages": {"torch": "2.3.0", "numpy": "1.26.4"}},
         lineage={"parent": "sentiment@v0.0.9", "base_model": "distilbert-base-uncased", "datasets": ["imdb"]},
         card={"license": "apache-2.0", "intended_use": "Routing support tickets.", "limitations": "English only.",
               "task": "text-classification", "owners": ["ml-team"]},
         schema={"inputs": {"type": "object"}, "outputs": {"type": "object"}})
    commit_all(repo, "sentiment")
    release(repo, "sentiment")
    return repo


def test_the_bom_validates_against_cyclonedx_1_6_and_carries_every_pinned_hash(repo: Path) -> None:
    released(repo)
    manifest = load(repo / "models/sentiment.yaml")
    done = gm(repo, "bom", f"sentiment@v{manifest.version}", "-o", "bom.json")
    assert done.returncode == 0, done.stderr
    text = (repo / "bom.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    assert doc["bomFormat"] == "CycloneDX"
    assert doc["specVersion"] == "1.6"
    model = doc["metadata"]["component"]
    assert (model["type"], model["name"], model["version"]) == ("machine-learning-model", "sentiment",
                                                                manifest.version)
    card = model["modelCard"]
    assert card["modelParameters"]["task"] == "text-classification"
    assert {m["type"]: m["value"] for m in card["quantitativeAnalysis"]["performanceMetrics"]} == \
        {"accuracy": "0.91", "f1": "0.88"}
    assert card["considerations"]["technicalLimitations"] == ["English only."]
    hashes = {h["content"] for c in doc["components"] for h in c.get("hashes", []) if h["alg"] == "SHA-256"}
    pinned = {e.sha256 for _, e in manifest.files()} | {sha for _, _, sha in manifest.pinned_extras()}
    assert len(pinned) >= 4  # weights, data, prompt, params file
    assert pinned <= hashes
    weights = next(c for c in doc["components"] if c["name"] == manifest.weights[0].path)
    assert {"alg": "MD5", "content": manifest.weights[0].md5} in weights["hashes"]  # DVC's content address
    libs = {c["purl"] for c in doc["components"] if c["type"] == "library"}
    assert libs == {"pkg:pypi/torch@2.3.0", "pkg:pypi/numpy@1.26.4"}
    (dependency,) = [d for d in doc["dependencies"] if d["ref"] == model["bom-ref"]]
    assert {"pkg:torch@2.3.0", "pkg:numpy@1.26.4"} <= set(dependency["dependsOn"])
    ancestors = {(a["type"], a["name"]) for a in model["pedigree"]["ancestors"]}
    assert ancestors == {("machine-learning-model", "sentiment"), ("machine-learning-model", "distilbert-base-uncased"),
                         ("data", "imdb")}
    assert model["pedigree"]["commits"][0]["uid"] == git(repo, "rev-parse", "HEAD").stdout.strip()


def test_bom_to_stdout_is_the_json_alone_and_a_stage_is_refused(repo: Path) -> None:
    released(repo)
    version = load(repo / "models/sentiment.yaml").version
    done = gm(repo, "bom", f"sentiment@v{version}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["metadata"]["component"]["name"] == "sentiment"
    wrong = gm(repo, "bom", "sentiment#prod")
    assert wrong.returncode == 2
    assert "does not name a release" in wrong.stderr
