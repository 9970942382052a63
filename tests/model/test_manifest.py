"""Manifest v1: YAML round trip, safe loading, atomic writes, validation errors that name file and field."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitmodel.infra import fileio
from gitmodel.infra.errors import ExternalFailure, InvalidInput
from gitmodel.model import manifest as mf
from gitmodel.model.manifest import FileEntry, Manifest

SHA = "a" * 64
SHA2 = "b" * 64
WHERE = "models/sentiment.yaml"


def sample() -> Manifest:
    return Manifest(
        name="sentiment", version="1.3.0", description="Sentiment classifier",
        weights=(FileEntry("artifacts/model.bin", SHA, 10, "dvc", md5="c" * 32, format="unknown"),),
        data=(FileEntry("data/train.csv", SHA2, 5, "git", role="train"),),
        prompts=(FileEntry("prompts/system.txt", SHA, 3, "git"),),
        params={"lr": 0.001, "epochs": 3},
        schema={"inputs": {"type": "object", "properties": {"text": {"type": "string"}}}},
        metrics={"accuracy": 0.91}, extra={"x-team": "nlp"},
    )


def raw(**changes: Any) -> dict[str, Any]:
    data = sample().to_dict()
    data.update(changes)
    return data


def test_round_trip_keeps_every_field_and_a_stable_key_order(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    mf.save(sample(), path, schema_ref="schema.json")
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=schema.json\n")
    assert mf.load(path) == sample()
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert keys == ["schema_version", "name", "version", "description", "weights", "data", "prompts", "params",
                    "schema", "metrics", "x-team"]
    entry_keys = [line.strip("- ").split(":")[0] for line in text.split("data:")[1].split("prompts:")[0]
                  .splitlines() if line.strip()]
    assert entry_keys == ["path", "role", "sha256", "size", "storage"]
    # saving what was loaded changes nothing: diffs stay minimal in review
    mf.save(mf.load(path), path, schema_ref="schema.json")
    assert path.read_text() == text


def test_fingerprint_ignores_the_version_and_sees_content() -> None:
    m = sample()
    assert m.fingerprint() == m.with_version("9.9.9").fingerprint()
    assert m.fingerprint() != Manifest(**{**m.__dict__, "params": {"lr": 0.01, "epochs": 3}}).fingerprint()
    assert len(m.fingerprint()) == 64


def test_the_c_loader_is_used_when_libyaml_is_present() -> None:
    # gitmodel's YAML 1.2 reader and writer (gitmodel/infra/yaml12.py) sit on the C classes (PyPI's PyYAML wheels
    # carry libyaml), or on the pure-Python safe ones where PyYAML was built without it: never a skip
    assert issubclass(fileio._Loader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert issubclass(fileio._Dumper, getattr(yaml, "CSafeDumper", yaml.SafeDumper))


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"a: b\n" + b"#" * fileio.MAX_YAML_BYTES)
    with pytest.raises(InvalidInput, match="limit") as info:
        mf.load(path, where=WHERE)
    assert info.value.where == WHERE


def test_an_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(InvalidInput, match="alias bomb"):
        mf.parse("\n".join(lines), where=WHERE)


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['echo pwned']",
    "name: !!python/object:collections.OrderedDict {}",
    "x: !!python/name:os.system ''",
])
def test_yaml_never_constructs_python_objects(text: str) -> None:
    with pytest.raises(InvalidInput, match="invalid YAML") as info:
        mf.parse(text, where=WHERE)
    assert info.value.where == WHERE


@pytest.mark.parametrize(("data", "message"), [
    (b"a: \xff\xfe", "not UTF-8"),
    (b"a: b\x00", "binary"),
    ("a: [1, 2", "line"),
    ("- just\n- a list", "mapping"),
])
def test_undecodable_or_malformed_text_names_the_file(data: bytes | str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        mf.parse(data, where=WHERE)
    assert info.value.line().startswith(f"error: {WHERE}")


def test_atomic_write_replaces_and_leaves_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "models" / "m.yaml"
    fileio.atomic_write(path, "one\n")
    fileio.atomic_write(path, "two\n")
    assert path.read_text() == "two\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["m.yaml"]


def test_atomic_write_that_fails_keeps_the_old_content_and_no_temp_file(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("old\n")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(ExternalFailure, match="m.yaml: cannot write: No space left on device") as info:
        mf.save(sample(), path)
    assert info.value.exit_code == 3
    monkeypatch.undo()
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["m.yaml"]


# ------------------------------------------------------------------------------- validation messages

BAD_CASES = [
    (raw(weights=[{**sample().weights[0].to_dict(), "sha256": "XYZ"}]), "weights[0].sha256", "hex"),
    (raw(weights=[{**sample().weights[0].to_dict(), "size": "big"}]), "weights[0].size", "integer"),
    (raw(weights=[{**sample().weights[0].to_dict(), "storage": "ftp"}]), "weights[0].storage", ""),
    (raw(weights=[{**sample().weights[0].to_dict(), "colour": "red"}]), "weights[0].colour", "unknown field"),
    (raw(prompts=[{"path": "p.txt", "size": 1, "storage": "git"}]), "prompts[0].sha256", "required"),
    (raw(data=[{**sample().data[0].to_dict(), "path": "../up.csv"}]), "data[0].path", ""),
    (raw(data=[{**sample().data[0].to_dict(), "path": "/etc/passwd"}]), "data[0].path", ""),
    (raw(bogus=1), "bogus", "unknown field"),
    (raw(name="Sentiment"), "name", ""),
    (raw(version="v1.0.0"), "version", ""),
    (raw(version="01.0.0"), "version", ""),
    (raw(schema_version=2), "schema_version", ""),
    (raw(metrics=[1, 2]), "metrics", ""),
    (raw(description=5), "description", "string"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_CASES)
def test_lean_validation_names_file_and_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message or None) as info:
        mf.from_dict(data, where=WHERE)
    assert info.value.where == f"{WHERE}: {field}"
    assert info.value.line().startswith(f"error: {WHERE}: {field}: ")


@pytest.mark.parametrize(("data", "field", "message"), BAD_CASES)
def test_jsonschema_validation_names_file_and_field(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message or None) as info:
        mf.validate_schema(data, where=WHERE)
    assert info.value.where == f"{WHERE}: {field}"


def test_the_error_line_has_the_documented_shape() -> None:
    text = yaml.safe_dump(raw(weights=[{**sample().weights[0].to_dict(), "sha256": "abc"}]))
    with pytest.raises(InvalidInput) as info:
        mf.parse(text, where=WHERE)
    assert info.value.line() == "error: models/sentiment.yaml: weights[0].sha256: 'abc' is not 64 lower-case hex digits"


def test_unsupported_schema_version_says_which_one_is_read() -> None:
    with pytest.raises(InvalidInput, match="unsupported schema_version 2; this gitmodel reads 1"):
        mf.parse(yaml.safe_dump(raw(schema_version=2)), where=WHERE, full=True)


@pytest.mark.parametrize(("text", "params"), [
    # read as check-jsonschema and editors read them (YAML 1.2, dates as text, keys as strings): JSON data
    ("params: {when: 2024-01-01}", {"when": "2024-01-01"}),
    ("params: {1: a}", {"1": "a"}),
])
def test_values_json_cannot_hold_are_read_as_json(text: str, params: dict[str, str]) -> None:
    base = yaml.safe_dump(raw(params=None)).replace("params: null\n", "")
    assert mf.parse(base + text + "\n", where=WHERE).params == params


def test_the_schema_accepts_what_the_dataclass_writes() -> None:
    mf.validate_schema(sample().to_dict(), where=WHERE)
    assert mf.parse(mf.render(sample()), where=WHERE) == sample()


# ------------------------------------------------------------------------------------ property tests

_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
                     st.sampled_from(["1.0.0", "sentiment", SHA, "git", "dvc", "a/b.txt", "../x", "x-k"]))
_keys = st.one_of(st.sampled_from(["schema_version", "name", "version", "weights", "data", "prompts", "params",
                                   "schema", "metrics", "path", "sha256", "size", "storage", "md5", "role",
                                   "nfiles", "x-extra", "inputs", "outputs", "environment", "lock", "card"]),
                  st.text(max_size=8), st.integers())
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                         st.dictionaries(_keys, inner, max_size=5)), max_leaves=20)


def _manifestish() -> st.SearchStrategy[Any]:
    entry = st.fixed_dictionaries({"path": st.sampled_from(["a.bin", "d/x.csv", "../no", ""]),
                                   "sha256": st.sampled_from([SHA, "abc", 1]),
                                   "size": st.sampled_from([0, 5, -1, "5"]),
                                   "storage": st.sampled_from(["git", "dvc", "nfs"])},
                                  optional={"md5": _scalars, "nfiles": _scalars, "role": _scalars, "zz": _scalars})
    return st.fixed_dictionaries(
        {"schema_version": st.sampled_from([1, 1, 2, "1"]), "name": st.sampled_from(["m", "team/m", "M", "a..b"]),
         "version": st.sampled_from(["0.1.0", "1.0.0-rc.1", "01.0.0", 1.0])},
        optional={"weights": st.lists(entry, max_size=2), "prompts": st.lists(entry, max_size=2),
                  "params": _values, "schema": _values, "metrics": _values, "environment": _values,
                  "x-k": _values, "extra": _values})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_values, _manifestish()))
def test_loader_returns_a_manifest_or_invalid_input_for_any_structure(data: Any) -> None:
    text = yaml.safe_dump(data, allow_unicode=True)
    for full in (False, True):
        try:
            result: Manifest | InvalidInput = mf.parse(text, where=WHERE, full=full)
        except InvalidInput as exc:
            result = exc
        if isinstance(result, InvalidInput):
            assert result.line().startswith(f"error: {WHERE}")
            continue
        assert isinstance(result, Manifest)
        result.fingerprint()  # a loaded manifest can always be fingerprinted (pure JSON data)
        assert mf.parse(mf.render(result), where=WHERE, full=full) == result


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_loader_survives_arbitrary_text(text: str) -> None:
    try:
        result = mf.parse(text, where=WHERE)
    except InvalidInput:
        return
    assert isinstance(result, Manifest)
