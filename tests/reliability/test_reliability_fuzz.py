"""Fuzzing with hypothesis: whatever bytes or values the parsers get, only gitmodel's own errors escape.

Parsers covered: YAML loading, the manifest loader (fast path and full JSON Schema path), config, semver,
model names, tag names and release references, DVC pointers, and the sample readers behind
`validate-input` (JSON, JSONL, CSV).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gitmodel.context import samples
from gitmodel.infra import fileio
from gitmodel.infra.errors import GitmodelError
from gitmodel.model import config, manifest, names, semver
from gitmodel.repo import tags
from gitmodel.storage import dvc_pointers as pointers
from tests.kit.manifests import paths_in, with_value_at

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)
text_noise = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)

SHA = "a" * 64
VALID = {
    "schema_version": 1, "name": "sentiment", "version": "1.2.0", "description": "d",
    "weights": [{"path": "artifacts/model.bin", "sha256": SHA, "size": 10, "storage": "dvc", "md5": "b" * 32}],
    "prompts": [{"path": "prompts/system.txt", "sha256": SHA, "size": 3, "storage": "git"}],
    "params": {"lr": 0.1}, "metrics": {"accuracy": 0.9},
    "schema": {"inputs": {"type": "object", "properties": {"text": {"type": "string"}}}},
}


def only_ours(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call fn; a GitmodelError is an answer, anything else escapes and fails the test."""
    try:
        return fn(*args, **kwargs)
    except GitmodelError as exc:
        error = exc
    line = error.line()
    assert line.startswith("error: ")
    assert "\n" not in line
    return None


# ------------------------------------------------------------------------------------------- YAML


@FUZZ
@given(st.binary(max_size=300))
def test_parse_yaml_bytes(data: bytes) -> None:
    only_ours(fileio.parse_yaml, data, where="f.yaml")


@FUZZ
@given(text_noise)
def test_parse_yaml_text(text: str) -> None:
    only_ours(fileio.parse_yaml, text, where="f.yaml")


@FUZZ
@given(st.sampled_from(["!!python/object/apply:os.system ['true']", "!!python/name:os.system",
                        "!!binary aGVsbG8=", "!!set {a, b}", "&a [*a]", "!!timestamp 2001-12-14",
                        "? [a, b]\n: c", "!!omap [{a: 1}]"]), st.text(max_size=10))
def test_yaml_never_constructs_python_objects(tagged: str, key: str) -> None:
    value = only_ours(fileio.parse_yaml, f"x: {tagged}\n", where="f.yaml")
    allowed = (dict, list, tuple, str, int, float, bool, type(None), bytes, set)
    stack = [value]
    while stack:
        node = stack.pop()
        if hasattr(node, "isoformat"):  # dates are data, not code
            continue
        assert isinstance(node, allowed), type(node)
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple | set):
            stack.extend(node)


# -------------------------------------------------------------------------------------- manifests


@FUZZ
@given(st.binary(max_size=400), st.booleans())
def test_manifest_parse_bytes(data: bytes, full: bool) -> None:
    only_ours(manifest.parse, data, where="models/x.yaml", full=full)


@FUZZ
@given(json_values, st.booleans())
def test_manifest_from_any_value(value: Any, full: bool) -> None:
    only_ours(manifest.parse, yaml.safe_dump(value), where="models/x.yaml", full=full)


@FUZZ
@given(st.data(), st.booleans())
def test_manifest_one_field_mutated(data: st.DataObject, full: bool) -> None:
    """A valid manifest with one field (anywhere) replaced by any JSON value: parsed or refused, and
    when accepted, it renders back to YAML that parses to the same manifest."""
    path = data.draw(st.sampled_from(paths_in(VALID)))
    doc = with_value_at(VALID, path, data.draw(json_values))
    parsed = only_ours(manifest.parse, yaml.safe_dump(doc), where="models/x.yaml", full=full)
    if parsed is not None:
        again = manifest.parse(manifest.render(parsed), where="models/x.yaml", full=False)
        assert again.fingerprint() == parsed.fingerprint()


def test_valid_manifest_still_parses() -> None:
    # The mutation test is meaningful only if the unmutated document is accepted.
    assert manifest.parse(yaml.safe_dump(VALID), where="models/x.yaml").name == "sentiment"


@FUZZ
@given(json_values)
def test_config_from_any_value(value: Any) -> None:
    only_ours(config.from_dict, value)


@FUZZ
@given(st.dictionaries(st.sampled_from(["manifests", "policy", "gates", "stages", "hooks", "remote", "approvals"]),
                       json_values, max_size=4))
def test_config_known_keys_any_values(value: dict[str, Any]) -> None:
    only_ours(config.from_dict, value)


# ---------------------------------------------------------------------------------------- semver


@FUZZ
@given(text_noise)
def test_semver_parse_any_text(text: str) -> None:
    version = only_ours(semver.parse, text)
    if version is not None:
        assert semver.parse(str(version)) == version
        assert str(semver.parse(str(version))) == str(version)


numeric = st.integers(min_value=0, max_value=10**6)
identifier = st.from_regex(r"\A(0|[1-9][0-9]{0,3}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]{0,6})\Z")
versions = st.builds(
    lambda a, b, c, pre, build: f"{a}.{b}.{c}" + (f"-{'.'.join(pre)}" if pre else "")
    + (f"+{'.'.join(build)}" if build else ""),
    numeric, numeric, numeric, st.lists(identifier, max_size=3),
    st.lists(st.from_regex(r"\A[0-9a-zA-Z-]{1,6}\Z"), max_size=2))


@FUZZ
@given(versions, versions)
def test_semver_valid_versions_roundtrip_and_order(a: str, b: str) -> None:
    va, vb = semver.parse(a), semver.parse(b)
    assert str(va) == a
    assert (va < vb) + (va > vb) + (va == vb) >= 1
    assert not (va < vb and vb < va)
    if va < vb:
        assert vb > va


# ------------------------------------------------------------------------------------------ names


@FUZZ
@given(text_noise)
def test_name_problem_never_raises(text: str) -> None:
    problem = names.name_problem(text)
    if problem is None:
        assert not text.startswith("-")
        for bad in ("..", "//", "@{", "^", "~", ":", "?", "*", "[", "\\", " ", "#", "@"):
            assert bad not in text
        assert text == text.lower()


@SLOW
@given(st.from_regex(r"\A[a-z0-9][a-z0-9._/-]{0,30}\Z") | text_noise)
def test_accepted_names_are_valid_git_tag_names(text: str) -> None:
    """Every name gitmodel accepts makes a ref git accepts (so no name is read as an option or ref syntax)."""
    assume(names.name_problem(text) is None)
    for ref in (f"refs/tags/{text}@v1.0.0", f"refs/tags/{text}#prod#1"):
        proc = subprocess.run(["git", "check-ref-format", ref], capture_output=True)
        assert proc.returncode == 0, ref


@FUZZ
@given(st.one_of(json_values, text_noise))
def test_validate_name_only_raises_invalid_input(value: Any) -> None:
    only_ours(names.validate_name, value)


@FUZZ
@given(json_values)
def test_stored_path_problem_never_raises(value: Any) -> None:
    problem = fileio.stored_path_problem(value)
    if problem is None:
        assert isinstance(value, str)
        assert not value.startswith("/")
        assert ".." not in value.split("/")


# ------------------------------------------------------------------------------------------- tags


@FUZZ
@given(text_noise)
def test_parse_tag_name_never_raises(text: str) -> None:
    parsed = tags.parse_tag_name(text)
    if parsed is not None:
        kind, parts = parsed
        assert kind in ("release", "stage", "deprecate")
        assert isinstance(parts.get("name"), str)


@FUZZ
@given(st.from_regex(r"\A[a-z0-9]([a-z0-9_-]{0,20}[a-z0-9])?\Z"), versions)
def test_release_tag_names_roundtrip(name: str, version: str) -> None:
    assume(names.name_problem(name) is None)
    kind, parts = tags.parse_tag_name(tags.release_tag(name, version)) or ("none", {})
    assert kind == "release"
    assert parts["name"] == name
    assert semver.parse(parts["version"]) == semver.parse(version)


@FUZZ
@given(st.from_regex(r"\A[a-z0-9]([a-z0-9_-]{0,20}[a-z0-9])?\Z"), st.from_regex(r"\A[a-z][a-z0-9-]{0,10}\Z"),
       st.integers(min_value=1, max_value=10**6), st.booleans())
def test_stage_tag_names_roundtrip(name: str, stage: str, n: int, unassign: bool) -> None:
    tag = f"{name}#{stage}{'!' if unassign else ''}#{n}"
    kind, parts = tags.parse_tag_name(tag) or ("none", {})
    assert kind == "stage"
    assert (parts["name"], parts["stage"], int(parts["n"]), "unassign" in parts) == (name, stage, n, unassign)


@FUZZ
@given(text_noise)
def test_parse_ref_only_raises_invalid_input(text: str) -> None:
    only_ours(tags.parse_ref, text)


# ------------------------------------------------------------------------------------ DVC pointers


@FUZZ
@given(st.binary(max_size=300) | json_values.map(lambda v: yaml.safe_dump(v).encode()))
def test_parse_pointer(data: bytes) -> None:
    pointer = only_ours(pointers.parse_pointer, data, where="a.dvc")
    if pointer is not None:
        assert isinstance(pointer.md5, str)


# ----------------------------------------------------------------------------------- sample readers

SCHEMA = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"},
                                                                  "age": {"type": "integer", "minimum": 0}}}


def _sample_bodies() -> st.SearchStrategy[bytes]:
    rows = st.lists(st.dictionaries(st.sampled_from(["text", "age", "x"]), json_values, max_size=3), max_size=5)
    return st.one_of(
        st.binary(max_size=300),
        rows.map(lambda rs: "".join(json.dumps(r) + "\n" for r in rs).encode()),
        rows.map(lambda rs: json.dumps(rs).encode()),
        st.lists(st.lists(st.text(max_size=8), min_size=2, max_size=2), max_size=5).map(
            lambda cells: ("text,age\n" + "".join(",".join(c) + "\n" for c in cells)).encode()),
        text_noise.map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


@FUZZ
@given(_sample_bodies(), st.sampled_from([".jsonl", ".json", ".csv", ".ndjson", ".txt"]))
def test_sample_readers(body: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"rows{suffix}"
        path.write_bytes(body)
        only_ours(lambda: list(samples.iter_records(path)))
        summary = only_ours(samples.validate_file, path, SCHEMA)
        if summary is not None:
            assert summary.ok == (summary.failed == 0)
            assert summary.failed <= summary.total
