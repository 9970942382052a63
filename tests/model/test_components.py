"""The component registry (gitmodel/model/components.py) is the one description of a manifest's shape: the
hook's pins and the Manifest's files come from one walk, the JSON Schemas, the policy template and the CLI
agree with it, and a kind added to it at run time is pinned by the hook, judged by the policy and shown by
the diff with no other change."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gitmodel.cli.application import app
from gitmodel.gate import hook
from gitmodel.infra.resources import templates_dir
from gitmodel.model import components
from gitmodel.model import manifest as mf
from gitmodel.model.components import FILES, MAPPING, PINNED, SIGNATURE, TEXT, pinned_paths
from gitmodel.model.config import Config, default_policy
from gitmodel.model.policy import diff_manifests, required_level, version_verdict
from gitmodel.model.schemas import load_schema
from gitmodel.model.semver import Level
from gitmodel.repo.git import start
from gitmodel.review.diff import compare_models
from gitmodel.storage.dvc_pointers import pointer_path
from tests.kit.git import git

SHA = "a" * 64

# ------------------------------------------------------------------------------ the one walk (hook = Manifest)

path_names = st.sampled_from(["a.bin", "w/model.bin", "data/dir", "data/train.csv", "p.txt", "params.yaml",
                              "req.lock", "x/y/z.onnx", "é.txt"])
file_entries = st.fixed_dictionaries(
    {"path": path_names, "sha256": st.just(SHA), "size": st.integers(0, 9),
     "storage": st.sampled_from(components.STORAGES)},
    optional={"md5": st.just("b" * 32), "role": st.just("train")})


def _unique(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({e["path"]: e for e in entries}.values())


manifests = st.builds(
    lambda files, params_file, lock: {
        "schema_version": 1, "name": "m", "version": "1.0.0",
        **{kind: entries for kind, entries in files.items() if entries},
        **({"params_file": {"path": params_file, "sha256": SHA}} if params_file else {}),
        **({"environment": {"python": "3.11", "lock": {"path": lock, "sha256": SHA}}} if lock else {}),
    },
    st.fixed_dictionaries({kind: st.lists(file_entries, max_size=3).map(_unique)
                           for kind in components.REGISTRY.file_kinds}),
    st.one_of(st.none(), path_names), st.one_of(st.none(), path_names))


@settings(max_examples=200, deadline=None)
@given(manifests)
def test_hook_pins_are_the_paths_the_manifest_names(doc: dict[str, Any]) -> None:
    m = mf.from_dict(doc, where="m.yaml")
    named = ({e.path for _, e in m.files()}
             | {pointer_path(e.path) for _, e in m.files() if e.storage == "dvc"}  # the DVC backend's own naming
             | {path for _, path, _ in m.pinned_extras()})
    assert pinned_paths(doc) == sorted(named)
    assert pinned_paths(m) == sorted(named)  # the record reads as the parsed YAML does
    assert {path for _, path in components.pinned_by_kind(m)} == named


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
        st.sampled_from(["weights", "data", "prompts", "path", "storage", "params_file", "environment", "lock"]),
        inner, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_hook_pins_of_any_yaml_document_never_raise(doc: Any) -> None:
    pins = pinned_paths(doc)
    assert all(isinstance(p, str) for p in pins)
    assert pins == sorted(set(pins))


def test_pointer_suffixes_are_the_backends() -> None:
    assert pointer_path("w/model.bin") == "w/model.bin" + components.POINTERS["dvc"]
    assert set(components.POINTERS) <= set(components.STORAGES)


# ---------------------------------------------------------------------------------- the registry's views


def test_manifest_record_has_a_field_per_registry_key() -> None:
    keys = set(components.REGISTRY.keys) | set(components.HEADER)
    assert set(mf.Manifest._fields) - {"extra", "more"} == keys
    assert set(mf.FileEntry._fields) == set(components.FILE_FIELDS)
    for kind in components.KINDS:
        assert kind.level in (*components.LEVELS, components.DERIVED)
        if kind.files:
            assert [k.name for k in kind.keys if k.shape == FILES] == [kind.name]


def test_default_policy_is_the_templates() -> None:
    template = yaml.safe_load((templates_dir() / "gitmodel.yaml").read_text(encoding="utf-8"))
    assert list(template["policy"]) == list(default_policy()) == list(components.REGISTRY.policy_keys)
    assert {k: Level.parse(v) for k, v in template["policy"].items()} == default_policy()


def test_every_component_flag_is_on_its_command() -> None:
    click_app = typer.main.get_command(app)
    for command in ("add", "bump"):
        options = {opt: param for param in click_app.commands[command].params  # type: ignore[attr-defined]
                   for opt in param.opts}
        for flag in components.flags(command):
            param = options[flag.decls[0]]
            assert tuple(param.opts) == flag.decls
            assert param.help == flag.help
    for kind in components.REGISTRY.file_kinds:
        assert components.flags("add", kind), f"file kind {kind} has no option on `gitmodel add`"


# ------------------------------------------------------------------------------------- the JSON Schemas


def _shape_schema(shape: str) -> dict[str, Any]:
    return {FILES: {"type": "array", "items": {"$ref": "#/$defs/file"}}, PINNED: {"$ref": "#/$defs/pinned"},
            TEXT: {"type": "string"}}.get(shape, {"type": "object"})


def test_manifest_schema_agrees_with_the_registry() -> None:
    schema = load_schema("manifest.v1.json")
    props = schema["properties"]
    assert list(props) == list(components.REGISTRY.manifest_keys)  # the YAML order, too
    for name, (_, key) in components.REGISTRY.keys.items():
        for field, expected in _shape_schema(key.shape).items():
            assert props[name][field] == expected, (name, field)
        if key.shape == SIGNATURE:
            assert set(props[name]["properties"]) == {"inputs", "outputs"}
        for dotted in key.pinned:
            head, *rest = dotted.split(".")
            node = props[head]
            for part in rest:
                node = node["properties"][part]
            assert node == {"$ref": "#/$defs/pinned"}, dotted
        if key.shape == MAPPING and not key.pinned:
            assert "$defs/pinned" not in str(props[name])
    # units: the kind enum and what each kind must and may pin (UNIT_KINDS), the reference roles and values
    assert props["kind"]["enum"] == list(components.UNIT_KINDS)
    # "if kind is K then ..." as anyOf [not K, then] (the keywords the hook's lean validator knows)
    rules = {rule["anyOf"][0]["not"]["properties"]["kind"]["const"]: rule["anyOf"][1] for rule in schema["allOf"]}
    for unit, (allowed, required) in components.UNIT_KINDS.items():
        if allowed is None:
            assert unit not in rules
            continue
        then = rules[unit]
        assert then["required"] == [required]
        assert then["properties"][required] == {"not": {"const": []}}
        assert [r["required"][0] for r in then["not"]["anyOf"]] == \
            [k for k in components.REGISTRY.file_kinds if k not in allowed]
    for name, (_, key) in components.REGISTRY.keys.items():
        if key.shape == components.REFS:
            assert props[name]["patternProperties"] == {components.ROLE_PATTERN: {"$ref": "#/$defs/release_ref"}}
            assert props[name]["additionalProperties"] is False
    entry = schema["$defs"]["file"]
    assert set(entry["properties"]) == set(components.FILE_FIELDS)
    assert set(entry["required"]) == set(components.FILE_REQUIRED)
    assert entry["properties"]["storage"] == {"enum": list(components.STORAGES)}


def test_config_and_diff_schemas_agree_with_the_registry() -> None:
    policy = load_schema("config.v1.json")["properties"]["policy"]
    assert list(policy["properties"]) == list(components.REGISTRY.policy_keys)
    assert policy["additionalProperties"] is False
    derived = [kind.name for kind in components.KINDS if kind.level == components.DERIVED]
    end = "$(?!\\n)"
    role = components.ROLE_PATTERN.removeprefix("^").removesuffix(end)
    assert list(policy["patternProperties"]) == [f"^{name}(\\.{role})?{end}" for name in derived]
    rows = load_schema("diff.v1.json")["$defs"]
    file_row_kinds = [*components.REGISTRY.file_kinds, *dict.fromkeys(k for k, _ in components.REGISTRY.pinned)]
    assert rows["file_change"]["properties"]["component"] == {"enum": file_row_kinds}
    sections = {key.row for kind in components.KINDS for key in kind.keys}
    assert sections <= set(rows["model"]["properties"])


# ------------------------------------------------------------------------- a new kind: the registry only

ADAPTERS = components.Kind("adapters", "minor", (components.Key("adapters", FILES, at=45, row="files"),),
                           (components.Flag(("add",), ("--adapter",), "Adapter file (repeatable)."),))


@pytest.fixture
def with_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(components, "REGISTRY", components.Registry((*components.KINDS, ADAPTERS)))


def _manifest_text(version: str, files: dict[str, bytes]) -> str:
    def entry(path: str) -> dict[str, Any]:
        return {"path": path, "sha256": hashlib.sha256(files[path]).hexdigest(), "size": len(files[path]),
                "storage": "git"}

    return yaml.safe_dump({"schema_version": 1, "name": "m", "version": version, "weights": [entry("w.bin")],
                           "adapters": [entry("adapters/lora.bin")]}, sort_keys=False)


@pytest.mark.usefixtures("with_adapters")
def test_a_new_kind_is_parsed_pinned_judged_and_shown(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {"w.bin": b"weights", "adapters/lora.bin": b"lora v1"}
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    (repo / "models").mkdir()
    (repo / "models" / "m.yaml").write_text(_manifest_text("1.0.0", files))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "m 1.0.0")
    old = mf.load(repo / "models" / "m.yaml", full=False)
    assert [c for c, _ in old.files()] == ["weights", "adapters"]
    assert list(old.to_dict()) == ["schema_version", "name", "version", "weights", "adapters"]  # at=45
    assert "adapters/lora.bin" in pinned_paths(old.to_dict())

    # the commit hook pins it: a changed adapter file alone is refused
    (repo / "adapters" / "lora.bin").write_bytes(b"lora v2")
    git(repo, "add", "adapters/lora.bin")
    code = hook.pre_commit(str(repo), str(repo / ".git"), start(repo, *hook.STAGED_DIFF))
    refused = capsys.readouterr().err
    assert code == 1, refused
    assert "m: adapters/lora.bin: adapters changed" in refused

    # the policy demands its bump, at its default level
    files["adapters/lora.bin"] = b"lora v2"
    new = mf.from_dict(yaml.safe_load(_manifest_text("1.0.0", files)), where="m.yaml")
    changes = diff_manifests(old, new)
    assert [(c.component, c.key, c.kind) for c in changes] == [("adapters", "adapters/lora.bin", "changed")]
    assert required_level(changes) == Level.MINOR
    assert version_verdict(new.semver, old.semver, changes)[1] == \
        "version 1.0.0 is already released and its components changed"

    # the diff shows it as a file row and judges the version step
    diff = compare_models("m", old, new.with_version("1.0.1"), Config())
    assert diff is not None
    assert [(f.component, f.path, f.kind) for f in diff.files] == [("adapters", "adapters/lora.bin", "changed")]
    assert diff.ok is False
    assert "minor required by adapters/lora.bin changed" in diff.reason
    assert components.flags("add", "adapters")[0].decls == ("--adapter",)
