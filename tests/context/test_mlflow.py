"""MLflow model directories: signature → schema, flavors → weights and format, requirements → lock.

The fixture tests/fixtures/mlflow_model is what `mlflow.sklearn.save_model` writes (MLmodel, model.pkl,
requirements.txt, python_env.yaml, conda.yaml), written by hand: mlflow is never imported.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from gitmodel.context.mlflow_import import read_mlflow_model, signature_to_schema
from gitmodel.infra.errors import InvalidInput
from gitmodel.model.manifest import load
from gitmodel.workspace.edit import add_model, bump_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.git import git, release

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mlflow_model"
IRIS_INPUTS = {
    "type": "object",
    "properties": {"sepal length (cm)": {"type": "number"}, "sepal width (cm)": {"type": "number"},
                   "petal length (cm)": {"type": "number"}, "petal width (cm)": {"type": "number"}},
    "required": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"],
}


@pytest.fixture
def mlflow_repo(repo: Path) -> Path:
    init_repo(repo, hooks=False, dvc=False)
    shutil.copytree(FIXTURE, repo / "mlruns/iris")
    return repo


def test_reads_the_fixture(mlflow_repo: Path) -> None:
    imported = read_mlflow_model(mlflow_repo, "mlruns/iris")
    assert imported.flavors == ["python_function", "sklearn"]
    assert imported.weights == ["mlruns/iris/model.pkl"]
    assert imported.formats == {"mlruns/iris/model.pkl": "pickle"}
    assert imported.schema == {"inputs": IRIS_INPUTS, "outputs": {"type": "integer"}}
    env = imported.environment
    assert env is not None
    assert env["python"] == "3.11.7"
    assert env["packages"]["scikit-learn"] == "1.4.0"
    lock_sha = hashlib.sha256((FIXTURE / "requirements.txt").read_bytes()).hexdigest()
    assert env["lock"] == {"path": "mlruns/iris/requirements.txt", "sha256": lock_sha, "kind": "pip"}
    for part in imported.schema.values():
        Draft202012Validator.check_schema(part)
    validator = Draft202012Validator(imported.schema["inputs"])
    assert validator.is_valid({"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4,
                               "petal width (cm)": 0.2})
    assert not validator.is_valid({"sepal length (cm)": "wide"})


def test_judged_scenario_add_from_mlflow_puts_the_signature_in_schema(mlflow_repo: Path) -> None:
    proc = gm(mlflow_repo, "add", "iris", "--from-mlflow", "mlruns/iris", "--git", "mlruns/iris/model.pkl",
              "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["files"][0]["format"] == "pickle"
    m = load(mlflow_repo / "models/iris.yaml")
    assert m.schema == {"inputs": IRIS_INPUTS, "outputs": {"type": "integer"}}
    assert m.weights[0].path == "mlruns/iris/model.pkl"
    assert m.weights[0].format == "pickle"
    assert m.environment is not None
    assert m.environment["lock"]["path"] == "mlruns/iris/requirements.txt"
    staged = git(mlflow_repo, "diff", "--cached", "--name-only").stdout.split()
    assert {"models/iris.yaml", "mlruns/iris/model.pkl", "mlruns/iris/requirements.txt"} <= set(staged)
    git(mlflow_repo, "commit", "-q", "-m", "iris")
    assert gm(mlflow_repo, "check").returncode == 0


def test_bump_from_mlflow_takes_the_new_signature(mlflow_repo: Path) -> None:
    add_model(mlflow_repo, "iris", weights=["mlruns/iris/model.pkl"], force_git=["mlruns/iris/model.pkl"],
              **_imported(mlflow_repo))
    git(mlflow_repo, "commit", "-q", "-m", "iris")
    release(mlflow_repo, "iris")
    mlmodel = mlflow_repo / "mlruns/iris/MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace(
        """outputs: '[{"type": "long", "required": true}]'""",
        """outputs: '[{"type": "long", "name": "class", "required": true}, {"type": "double", "name": "score"}]'"""))
    (mlflow_repo / "mlruns/iris/requirements.txt").write_text("scikit-learn==1.5.0\n")
    imported = _imported(mlflow_repo)
    result = bump_model(mlflow_repo, "iris", **imported)
    assert result.new_version == "1.0.0"  # an output changed shape: the policy makes schema major
    m = load(mlflow_repo / "models/iris.yaml")
    assert m.schema is not None
    assert m.schema["outputs"]["properties"]["score"] == {"type": "number"}
    assert m.schema["outputs"]["required"] == ["class", "score"]
    assert m.environment is not None
    assert m.environment["packages"] == {"scikit-learn": "1.5.0"}
    assert "mlruns/iris/requirements.txt" in result.staged


def _imported(root: Path) -> dict[str, object]:
    imported = read_mlflow_model(root, "mlruns/iris")
    return {"schema": imported.schema, "environment": imported.environment, "formats": imported.formats}


def test_tensor_signatures_become_nested_arrays() -> None:
    schema = signature_to_schema({
        "inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 3]}}]',
        "outputs": '[{"type": "tensor", "name": "probs", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}},'
                   ' {"type": "tensor", "name": "ids", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]',
    }, where="MLmodel: signature")
    assert schema is not None
    inputs = schema["inputs"]
    assert inputs["x-mlflow-tensor"] == {"dtype": "uint8", "shape": [-1, 2, 3]}
    validator = Draft202012Validator(inputs)
    assert validator.is_valid([[1, 2, 3], [4, 5, 6]])
    assert not validator.is_valid([[1, 2, 3]])
    assert not validator.is_valid([[1.5, 2, 3], [4, 5, 6]])
    outputs = schema["outputs"]
    assert outputs["required"] == ["probs", "ids"]
    assert Draft202012Validator(outputs).is_valid({"probs": [0.1, 0.9], "ids": 7})


def test_column_types_arrays_objects_maps_and_optional_columns() -> None:
    schema = signature_to_schema({"inputs": json.dumps([
        {"type": "string", "name": "text", "required": True},
        {"type": "array", "items": {"type": "long"}, "name": "ids", "required": False},
        {"type": "object", "name": "meta", "properties": {"lang": {"type": "string", "required": True},
                                                          "ts": {"type": "datetime", "required": False}}},
        {"type": "map", "values": {"type": "double"}, "name": "weights"},
        {"type": "binary", "name": "blob", "required": False},
    ])}, where="s")
    assert schema is not None
    inputs = schema["inputs"]
    assert inputs["required"] == ["text", "meta", "weights"]
    assert inputs["properties"]["ids"] == {"type": "array", "items": {"type": "integer"}}
    assert inputs["properties"]["meta"]["required"] == ["lang"]
    assert inputs["properties"]["weights"] == {"type": "object", "additionalProperties": {"type": "number"}}
    assert "outputs" not in schema
    unnamed = signature_to_schema({"outputs": '[{"type": "double"}, {"type": "string"}]'}, where="s")
    assert unnamed == {"outputs": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "string"}],
                                   "minItems": 2}}


def test_bad_signatures_name_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"signature\.inputs\[1\]\.type: unknown MLflow type 'decimal'"):
        signature_to_schema({"inputs": '[{"type": "long"}, {"type": "decimal"}]'}, where="MLmodel: signature")
    with pytest.raises(InvalidInput, match=r"signature\.outputs: not JSON"):
        signature_to_schema({"outputs": "[{"}, where="MLmodel: signature")


def test_a_model_without_signature_is_imported_with_a_note(mlflow_repo: Path) -> None:
    mlmodel = mlflow_repo / "mlruns/iris/MLmodel"
    text = mlmodel.read_text()
    mlmodel.write_text(text[: text.index("signature:")] + "utc_time_created: '2024-02-14'\n")
    (mlflow_repo / "mlruns/iris/requirements.txt").unlink()
    imported = read_mlflow_model(mlflow_repo, "mlruns/iris")
    assert imported.schema is None
    assert any("has no signature" in n for n in imported.warnings)
    assert imported.environment is not None
    assert imported.environment["lock"]["kind"] == "python_env"


def test_not_an_mlflow_directory_is_one_line_exit_2(mlflow_repo: Path) -> None:
    (mlflow_repo / "empty").mkdir()
    proc = gm(mlflow_repo, "add", "iris", "--from-mlflow", "empty")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: empty/MLmodel: not an MLflow model directory")
    assert len(proc.stderr.splitlines()) == 1
    assert not (mlflow_repo / "models/iris.yaml").exists()


def test_transformers_and_pytorch_flavors_take_their_format_from_the_files(mlflow_repo: Path) -> None:
    hf = mlflow_repo / "mlruns/hf"
    (hf / "model").mkdir(parents=True)
    header = b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    header += b" " * (-len(header) % 8)
    (hf / "model/model.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 4)
    (hf / "model/config.json").write_text("{}")
    (hf / "MLmodel").write_text("flavors:\n  transformers:\n    model_binary: model\n    task: text-classification\n"
                                "  python_function:\n    loader_module: mlflow.transformers\n")
    imported = read_mlflow_model(mlflow_repo, "mlruns/hf")
    assert imported.formats == {"mlruns/hf/model/config.json": "unknown",
                                "mlruns/hf/model/model.safetensors": "safetensors"}
    pt = mlflow_repo / "mlruns/pt"
    (pt / "data").mkdir(parents=True)
    with zipfile.ZipFile(pt / "data/model.pth", "w") as archive:
        archive.writestr("model/data.pkl", b"\x80\x02}q\x00.")
    (pt / "data/pickle_module_info.txt").write_text("mlflow.pytorch.pickle_module")
    (pt / "MLmodel").write_text("flavors:\n  pytorch:\n    model_data: data\n    pytorch_version: 2.2.0\n")
    formats = read_mlflow_model(mlflow_repo, "mlruns/pt").formats
    assert formats["mlruns/pt/data/model.pth"] == "pt"
