"""`--from-mlflow` against models the real mlflow writes, outside the repository, as users save them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from gitmodel.storage.formats import detect_format, is_code_on_load
from tests.kit.cli import gm
from tests.kit.files import tree
from tests.kit.git import git
from tests.kit.manifests import manifest_yaml
from tests.kit.repos import initialized

INSTALL = "pip install -e '.[test]' (mlflow-skinny, scikit-learn, skops, pandas)"

SAVE = textwrap.dedent('''
    import sys
    import numpy as np
    import pandas as pd
    import mlflow.pyfunc
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    out = sys.argv[1]
    pins = ["mlflow-skinny", "scikit-learn"]  # given, so only the first model pays for mlflow inferring them
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1, 0, 1, 0]})
    y = [0, 0, 1, 1]
    mlflow.sklearn.save_model(LogisticRegression().fit(X, y), f"{out}/iris", input_example=X.head(2))
    mlflow.sklearn.save_model(LogisticRegression(C=0.1).fit(X, y), f"{out}/iris-retrained",
                              input_example=X.head(2), pip_requirements=pins)
    mlflow.sklearn.save_model(LogisticRegression().fit(X, y), f"{out}/iris-pickle",
                              serialization_format="cloudpickle", input_example=X.head(2), pip_requirements=pins)

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [1] * len(model_input)

    mlflow.pyfunc.save_model(f"{out}/texts", python_model=Echo(), input_example={"text": ["hello", "world"]},
                             pip_requirements=pins)
    mlflow.pyfunc.save_model(f"{out}/tensor", python_model=Echo(), input_example=np.array([[1.0, 2.0], [3.0, 4.0]]),
                             pip_requirements=pins)
''')


def _versions() -> dict[str, str]:
    try:
        return {"mlflow": version("mlflow-skinny"), "sklearn": version("scikit-learn")}
    except PackageNotFoundError as exc:  # pragma: no cover - the test extra installs them
        pytest.fail(f"{exc.name} is missing: {INSTALL}")


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Models saved by the real mlflow into a directory that no test repository contains."""
    _versions()
    out = tmp_path_factory.mktemp("mlflow-outside")
    env = {**os.environ, "HOME": str(out / "home"), "MLFLOW_TRACKING_URI": f"file://{out}/mlruns"}
    done = subprocess.run([sys.executable, "-c", SAVE, str(out)], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        pytest.fail(f"mlflow could not save the test models ({INSTALL}):\n{done.stderr[-2000:]}")
    return out


def test_add_from_a_directory_outside_the_repo_copies_it_in_and_records_how_it_loads(repo: Path,
                                                                                    saved: Path) -> None:
    initialized(repo)
    source = saved / "iris"
    before = tree(source)
    added = gm(repo, "add", "iris", "--from-mlflow", str(source))
    assert added.returncode == 0, added.stderr
    assert f"note: copied the MLflow model {source} into artifacts/iris/" in added.stderr
    assert tree(repo / "artifacts" / "iris").items() >= before.items()  # every file, byte for byte
    assert tree(source) == before  # the source is only read
    m = manifest_yaml(repo, "iris")
    (weights,) = m["weights"]
    assert (weights["path"], weights["format"], weights["storage"]) == ("artifacts/iris/model.skops", "skops", "dvc")
    assert set(m["schema"]["inputs"]["properties"]) == {"a", "b"}
    assert m["environment"]["lock"]["path"] == "artifacts/iris/requirements.txt"
    assert m["environment"]["mlflow"] == {"flavor": "sklearn", "loader_module": "mlflow.sklearn",
                                          "serialization_format": "skops", "versions": _versions()}
    assert gm(repo, "validate").returncode == 0  # environment.mlflow is in the manifest's JSON Schema
    # the note's `git add` line, followed, gives a commit the hook accepts and a model that verifies
    hint = next(line for line in added.stderr.splitlines() if "git add " in line)
    git(repo, "add", *hint.split("git add ", 1)[1].split())
    commit = git(repo, "commit", "-q", "-m", "iris from mlflow", check=False)
    assert commit.returncode == 0, commit.stderr
    assert gm(repo, "verify", "iris").returncode == 0
    assert git(repo, "status", "--porcelain").stdout == ""
    # the copy is a complete MLflow model: the real mlflow loads it from the repository and predicts
    load = subprocess.run([sys.executable, "-c", textwrap.dedent('''
        import sys, pandas as pd, mlflow.pyfunc
        model = mlflow.pyfunc.load_model(sys.argv[1])
        print([int(v) for v in model.predict(pd.DataFrame({"a": [0.0, 3.0], "b": [1, 0]}))])
    '''), str(repo / "artifacts" / "iris")], capture_output=True, text=True)
    assert load.returncode == 0, load.stderr[-2000:]
    assert load.stdout.strip() == "[0, 1]"
    # a later `env capture` records this machine without forgetting how the model loads
    assert gm(repo, "env", "capture", "iris").returncode == 0
    assert manifest_yaml(repo, "iris")["environment"]["mlflow"]["flavor"] == "sklearn"


def test_skops_is_told_apart_from_pickle_in_real_mlflow_files(saved: Path) -> None:
    assert detect_format(saved / "iris" / "model.skops") == "skops"
    assert not is_code_on_load("skops")
    assert detect_format(saved / "iris-pickle" / "model.pkl") == "pickle"
    assert detect_format(saved / "texts" / "python_model.pkl") == "pickle"


def test_relative_path_out_of_the_repo_and_the_pickle_flavor(repo: Path, saved: Path) -> None:
    initialized(repo)
    rel = os.path.relpath(saved / "iris-pickle", repo)
    assert rel.startswith("..")
    added = gm(repo, "add", "iris", "--from-mlflow", rel)
    assert added.returncode == 0, added.stderr
    m = manifest_yaml(repo, "iris")
    assert (m["weights"][0]["path"], m["weights"][0]["format"]) == ("artifacts/iris/model.pkl", "pickle")
    assert m["environment"]["mlflow"]["serialization_format"] == "cloudpickle"


def test_validate_input_reads_mlflows_own_example_files(repo: Path, saved: Path) -> None:
    initialized(repo)
    assert gm(repo, "add", "iris", "--from-mlflow", str(saved / "iris")).returncode == 0
    examples = repo / "artifacts" / "iris"
    for name in ("input_example.json", "serving_input_example.json"):
        done = gm(repo, "validate-input", "iris", str(examples / name))
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.strip().endswith("2 record(s), 2 valid, 0 invalid — ok")
    split = json.loads((examples / "serving_input_example.json").read_text())["dataframe_split"]
    rows = [dict(zip(split["columns"], row, strict=True)) for row in split["data"]]
    columnar = {c: [r[c] for r in rows] for c in split["columns"]}
    for i, payload in enumerate([{"dataframe_records": rows}, {"instances": rows}, {"inputs": rows},
                                 {"inputs": columnar}, {"dataframe_split": split, "params": {"k": 1}}]):
        (repo / f"req{i}.json").write_text(json.dumps(payload))
        done = gm(repo, "validate-input", "iris", f"req{i}.json")
        assert done.returncode == 0, (payload, done.stdout, done.stderr)
        assert "2 record(s), 2 valid" in done.stdout
    # the adversary: a wrong value inside the envelope is reported at its row and column, not accepted
    bad = {"dataframe_split": {**split, "data": [split["data"][0], ["x", 1]]}}
    (repo / "bad.json").write_text(json.dumps(bad))
    done = gm(repo, "validate-input", "iris", "bad.json")
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith("row 2: a: 'x' is not of type 'number'")
    ragged = {"columns": ["a", "b"], "data": [[1.0, 1], [2.0]]}
    (repo / "ragged.json").write_text(json.dumps(ragged))
    done = gm(repo, "validate-input", "iris", "ragged.json")
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: ragged.json.data: row 2 has 1 values for 2 columns — MLflow writes "
                                   "this file itself: re-save the model, or fix the file")


def test_validate_input_reads_pyfunc_examples_as_mlflow_means_them(repo: Path, saved: Path) -> None:
    initialized(repo)
    assert gm(repo, "add", "texts", "--from-mlflow", str(saved / "texts")).returncode == 0
    assert gm(repo, "add", "tensor", "--from-mlflow", str(saved / "tensor")).returncode == 0
    # `text` is an array column: {"text": [...]} is ONE record, in the example and under `inputs`
    for name in ("input_example.json", "serving_input_example.json"):
        done = gm(repo, "validate-input", "texts", f"artifacts/texts/{name}")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "1 record(s), 1 valid" in done.stdout
    # a float64 tensor of shape (-1, 2): each row is a record
    for name in ("input_example.json", "serving_input_example.json"):
        done = gm(repo, "validate-input", "tensor", f"artifacts/tensor/{name}")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "2 record(s), 2 valid" in done.stdout
    (repo / "wide.json").write_text(json.dumps({"inputs": [[1.0, 2.0, 3.0]]}))
    assert gm(repo, "validate-input", "tensor", "wide.json").returncode == 1


def test_a_failed_import_leaves_nothing_behind(repo: Path, saved: Path) -> None:
    initialized(repo)
    bad_version = gm(repo, "add", "iris", "--from-mlflow", str(saved / "iris"), "--version", "one")
    assert bad_version.returncode == 2
    assert not (repo / "artifacts").exists()
    assert not (repo / "models" / "iris.yaml").exists()
    not_a_model = saved.parent / "not-a-model"
    not_a_model.mkdir(exist_ok=True)
    refused = gm(repo, "add", "iris", "--from-mlflow", str(not_a_model))
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"error: {not_a_model}/MLmodel: not an MLflow model directory")
    assert not (repo / "artifacts").exists()
    (repo / "artifacts" / "iris").mkdir(parents=True)
    (repo / "artifacts" / "iris" / "mine.txt").write_text("keep me\n")
    taken = gm(repo, "add", "iris", "--from-mlflow", str(saved / "iris"))
    assert taken.returncode == 2
    assert taken.stderr.startswith("error: artifacts/iris: already exists")
    assert sorted(p.name for p in (repo / "artifacts" / "iris").iterdir()) == ["mine.txt"]


def test_bump_from_a_retrained_model_outside_the_repo(repo: Path, saved: Path) -> None:
    initialized(repo)
    added = gm(repo, "add", "iris", "--from-mlflow", str(saved / "iris"))
    assert added.returncode == 0, added.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "iris")
    assert gm(repo, "tag", "iris").returncode == 0
    old = manifest_yaml(repo, "iris")["weights"][0]["sha256"]
    bumped = gm(repo, "bump", "iris", "--from-mlflow", str(saved / "iris-retrained"))
    assert bumped.returncode == 0, bumped.stderr
    assert "iris: 0.1.0 → 0.2.0 (minor bump" in bumped.stdout
    assert "re-tracked artifacts/iris/model.skops through DVC" in bumped.stdout
    assert f"note: copied the MLflow model {saved / 'iris-retrained'} into artifacts/iris/" in bumped.stderr
    m = manifest_yaml(repo, "iris")
    assert m["weights"][0]["sha256"] != old
    assert (repo / "artifacts" / "iris" / "model.skops").read_bytes() == \
        (saved / "iris-retrained" / "model.skops").read_bytes()
    assert m["environment"]["mlflow"]["serialization_format"] == "skops"
    git(repo, "add", "-A")
    assert git(repo, "commit", "-q", "-m", "retrained", check=False).returncode == 0
    assert gm(repo, "verify", "iris").returncode == 0
