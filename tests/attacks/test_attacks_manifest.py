"""Hostile manifests and configs: every one ends as exit 2 and one line naming the file, in every reader.

Issue 13 items 15 (non-finite metrics) and 16 (deep nesting, huge integers), issue 14 items 10 (what a
valid manifest is) and 11 (the modeline resolves offline, in the repository).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kit.cli import gm
from tests.kit.git import git
from tests.kit.templates import copy_template, template_repo, template_runner

SHA = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"  # sha256 of "hi\n"
MD5 = "764efa883dda1e11db47671c4a3bbd9e"
MANIFEST = "models/m.yaml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repo after `gitmodel init` and `add m` (one git-stored file), committed, hooks installed."""
    root = template_repo(tmp_path_factory, "attacks")
    run = template_runner(root)
    run(sys.executable, "-m", "gitmodel", "init")
    (root / "artifacts").mkdir()
    (root / "artifacts" / "w.txt").write_text("hi\n")
    run(sys.executable, "-m", "gitmodel", "add", "m", "--weights", "artifacts/w.txt", "--git", "artifacts/w.txt")
    run("git", "commit", "-q", "-m", "m")
    return root


@pytest.fixture
def repo_copy(template: Path, tmp_path: Path) -> Path:
    return copy_template(template, tmp_path)


def one_line_exit_2(result: subprocess.CompletedProcess[str], where: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {where}"), lines[0]
    assert "Traceback" not in result.stderr
    assert "unexpected" not in result.stderr
    return lines[0]


def manifest_with(params: str = "", metrics: str = "") -> str:
    text = (f"schema_version: 1\nname: m\nversion: 0.1.0\nweights:\n- path: artifacts/w.txt\n  sha256: {SHA}\n"
            f"  size: 3\n  storage: git\n")
    if params:
        text += f"params:\n  p: {params}\n"
    if metrics:
        text += f"metrics:\n  acc: {metrics}\n"
    return text


DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_MAP = "{a: " * 1000 + "1" + "}" * 1000
DEEP_SHALLOWER = "{a: " * 150 + "1" + "}" * 150  # under libyaml's own limit: gitmodel's cap answers
HUGE_INT = "9" * 5000
HOSTILE = {"deep list": DEEP_LIST, "deep mapping": DEEP_MAP, "150 levels": DEEP_SHALLOWER,
           "5000-digit integer": HUGE_INT, "5000-digit negative": "-" + HUGE_INT}


@pytest.mark.parametrize("value", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("command", [("validate",), ("check",), ("ls",), ("validate", MANIFEST)])
def test_hostile_manifest_is_one_line_exit_2(repo_copy: Path, value: str, command: tuple[str, ...]) -> None:
    (repo_copy / MANIFEST).write_text(manifest_with(params=value))
    line = one_line_exit_2(gm(repo_copy, *command), MANIFEST)
    assert "nest" in line or "digits" in line


@pytest.mark.parametrize("value", [DEEP_MAP, HUGE_INT], ids=["deep", "huge"])
def test_hostile_manifest_is_refused_by_the_commit_hook(repo_copy: Path, value: str) -> None:
    (repo_copy / MANIFEST).write_text(manifest_with(params=value))
    git(repo_copy, "add", MANIFEST)
    commit = git(repo_copy, "commit", "-q", "-m", "hostile", check=False)
    assert commit.returncode != 0
    errors = [line for line in commit.stderr.splitlines() if line.startswith("error:")]
    assert errors, commit.stderr
    assert errors[0].startswith(f"error: {MANIFEST}"), commit.stderr
    assert "Traceback" not in commit.stderr
    assert "unexpected" not in commit.stderr
    assert git(repo_copy, "status", "--porcelain").stdout.startswith("M  " + MANIFEST)  # nothing committed


@pytest.mark.parametrize("value", [DEEP_MAP, HUGE_INT, DEEP_SHALLOWER], ids=["deep", "huge", "150"])
@pytest.mark.parametrize("command", [("validate",), ("check",), ("ls",)])
def test_hostile_config_is_one_line_exit_2(repo_copy: Path, value: str, command: tuple[str, ...]) -> None:
    config = repo_copy / ".gitmodel.yaml"
    config.write_text(config.read_text().replace("gates: {}", f"gates: {{m: {{x: {value}}}}}"))
    one_line_exit_2(gm(repo_copy, *command), ".gitmodel.yaml")


@pytest.mark.parametrize(("value", "shown"), [(".nan", "nan"), (".inf", "inf"), ("-.Inf", "-inf"), (".NaN", "nan")])
def test_a_non_finite_metric_is_refused_naming_file_and_field(repo_copy: Path, value: str, shown: str) -> None:
    (repo_copy / MANIFEST).write_text(manifest_with(metrics=value))
    line = one_line_exit_2(gm(repo_copy, "validate"), f"{MANIFEST}: metrics.acc: {shown} is not a finite number")
    assert "null" in line  # the hint: what to write instead
    git(repo_copy, "add", MANIFEST)
    commit = git(repo_copy, "commit", "-q", "-m", "nan", check=False)
    assert commit.returncode != 0
    assert f"{MANIFEST}: metrics.acc" in commit.stderr


def test_a_finite_metric_and_null_are_fine(repo_copy: Path) -> None:
    (repo_copy / MANIFEST).write_text(manifest_with(metrics="0.0") + "  loss: -1.5e-3\n  n: null\n")
    assert gm(repo_copy, "validate").returncode == 0


@pytest.mark.parametrize(("edit", "field"), [
    (lambda t: t.replace("  storage: git\n", f'  storage: git\n  md5: "{MD5}\\n"\n'), "weights[0].md5"),
    (lambda t: t.replace("  storage: git\n", f"  storage: git\n  md5: |\n    {MD5}\n"), "weights[0].md5"),
    (lambda t: t.replace(f"  sha256: {SHA}\n", f'  sha256: "{SHA}\\n"\n'), "weights[0].sha256"),
    (lambda t: t.replace("name: m\n", 'name: "m\\n"\n'), "name"),
    (lambda t: t.replace("version: 0.1.0\n", 'version: "0.1.0\\n"\n'), "version"),
    (lambda t: t.replace("version: 0.1.0\n", "version: 0.1.0\nversion: 0.2.0\n"), "invalid YAML: line 4"),
    (lambda t: t.replace("  size: 3\n", "  size: 3\n  size: 4\n"), "invalid YAML: line 8"),
    (lambda t: t.replace("  storage: git\n", "  storage: git\n  format: 0o17\n"), "weights[0].format"),
])
def test_what_check_jsonschema_refuses_validate_refuses(repo_copy: Path, edit: Callable[[str], str],
                                                        field: str) -> None:
    (repo_copy / MANIFEST).write_text(edit(manifest_with()))
    line = one_line_exit_2(gm(repo_copy, "validate"), MANIFEST)
    assert field in line
    schema = repo_copy / ".gitmodel" / "schemas" / "manifest.v1.json"
    cj = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--schemafile", str(schema),
                         str(repo_copy / MANIFEST)], capture_output=True, text=True)
    assert cj.returncode == 1, cj.stdout  # the standard validator agrees: invalid


def test_an_integral_float_size_is_an_integer_to_both(repo_copy: Path) -> None:
    (repo_copy / MANIFEST).write_text(manifest_with().replace("  size: 3\n", "  size: 3.0\n"))
    assert gm(repo_copy, "validate").returncode == 0
    assert gm(repo_copy, "check").returncode == 0  # and it means 3 bytes: the file is fresh


def test_yaml_11_booleans_are_text_as_editors_read_them(repo_copy: Path) -> None:
    (repo_copy / MANIFEST).write_text(manifest_with() + "description: yes\ncard:\n  license: no\n")
    assert gm(repo_copy, "validate").returncode == 0
    commit = git(repo_copy, "commit", "-q", "-am", "yes and no", check=False)  # the hook reads it the same
    assert commit.returncode == 0, commit.stderr
    shown = json.loads(gm(repo_copy, "show", "m", "--json").stdout)
    text = json.dumps(shown)
    assert '"yes"' in text
    assert '"no"' in text


# --------------------------------------------------------------------------------- the modeline (item 11)


def modeline_target(manifest: Path) -> Path:
    first = manifest.read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix), first
    ref = first[len(prefix):]
    assert "://" not in ref  # a path in the repository, not a URL
    return (manifest.parent / ref).resolve()


def test_the_modeline_resolves_from_the_manifest_to_the_schema_in_the_repo(template: Path) -> None:
    target = modeline_target(template / MANIFEST)
    assert target == (template / ".gitmodel" / "schemas" / "manifest.v1.json").resolve()
    tracked = git(template, "ls-files", ".gitmodel/schemas").stdout.split()
    assert tracked == [".gitmodel/schemas/config.v1.json", ".gitmodel/schemas/manifest.v1.json"]  # in every clone
    cj = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--schemafile", str(target),
                         str(template / MANIFEST)], capture_output=True, text=True)
    assert cj.returncode == 0, cj.stdout


def test_a_nested_model_name_gets_a_modeline_relative_to_its_own_directory(repo_copy: Path) -> None:
    (repo_copy / "artifacts" / "r.txt").write_text("hi\n")
    assert gm(repo_copy, "add", "team/ranker", "--weights", "artifacts/r.txt", "--git", "artifacts/r.txt",
              "--version", "0.1.0").returncode == 0
    manifest = repo_copy / "models" / "team" / "ranker.yaml"
    assert manifest.read_text().startswith("# yaml-language-server: $schema=../../.gitmodel/schemas/manifest.v1.json\n")
    assert modeline_target(manifest).exists()


def test_the_config_modeline_resolves_too(template: Path) -> None:
    config = template / ".gitmodel.yaml"
    target = modeline_target(config)
    assert target == (template / ".gitmodel" / "schemas" / "config.v1.json").resolve()
    cj = subprocess.run([str(Path(sys.executable).parent / "check-jsonschema"), "--schemafile", str(target),
                         str(config)], capture_output=True, text=True)
    assert cj.returncode == 0, cj.stdout


def test_an_old_url_modeline_keeps_working_and_bump_rewrites_it(repo_copy: Path) -> None:
    manifest = repo_copy / MANIFEST
    old = "# yaml-language-server: $schema=https://gitmodel.dev/schemas/manifest.v1.json\n"
    manifest.write_text(old + manifest.read_text().split("\n", 1)[1])
    shutil.rmtree(repo_copy / ".gitmodel" / "schemas")  # a repo set up before the schemas lived in it
    git(repo_copy, "commit", "-q", "-am", "old modeline")
    assert gm(repo_copy, "validate").returncode == 0
    assert gm(repo_copy, "check").returncode == 0
    (repo_copy / "artifacts" / "w.txt").write_text("hi again\n")
    bump = gm(repo_copy, "bump", "m")
    assert bump.returncode == 0, bump.stderr
    assert modeline_target(manifest).exists()
    staged = git(repo_copy, "diff", "--cached", "--name-only").stdout.split()
    assert ".gitmodel/schemas/manifest.v1.json" in staged
    commit = git(repo_copy, "commit", "-q", "-m", "bumped", check=False)
    assert commit.returncode == 0, commit.stderr


def test_a_parse_cache_of_the_yaml_11_reader_is_not_served(repo_copy: Path) -> None:
    # .git/gitmodel/parsed.json of an older gitmodel holds `description: yes` as true; read as YAML 1.2 it is text
    from gitmodel.infra.fileio import blob_id

    text = manifest_with() + "description: yes\n"
    (repo_copy / MANIFEST).write_text(text)
    old = {blob_id(text.encode()): {**json.loads(json.dumps({"schema_version": 1, "name": "m"})), "description": True}}
    (repo_copy / ".git" / "gitmodel").mkdir(exist_ok=True)
    (repo_copy / ".git" / "gitmodel" / "parsed.json").write_text(json.dumps(old))
    git(repo_copy, "add", MANIFEST)
    commit = git(repo_copy, "commit", "-q", "-m", "yes", check=False)
    assert commit.returncode == 0, commit.stderr


def test_a_gitmodel_dir_symlinked_out_of_the_repo_is_never_written_through(repo_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(repo_copy / ".gitmodel")
    (repo_copy / ".gitmodel").symlink_to(outside)
    (repo_copy / "artifacts" / "w.txt").write_text("changed\n")
    before = {p.name for p in outside.rglob("*")}
    line = one_line_exit_2(gm(repo_copy, "bump", "m"), ".gitmodel/schemas")
    assert "symlink" in line
    assert {p.name for p in outside.rglob("*")} == before  # nothing written outside
    assert "0.1.0" in (repo_copy / MANIFEST).read_text()  # and the manifest is untouched
