"""CLI wiring: bad input through the real CLI, the error funnel, help text for everything."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import typer
import typer.main

from gitmodel.cli import app, main
from tests.kit.cli import gm
from tests.kit.files import snapshot, write
from tests.kit.repos import model_repo
from tests.kit.templates import copy_repo, template_repo


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One committed repo with a DVC-tracked model, built once and copied per case (DVC costs ~1 s)."""
    return model_repo(template_repo(tmp_path_factory, "template"))


@pytest.fixture
def work(template: Path, tmp_path: Path) -> Path:
    return copy_repo(template, tmp_path / "work" / "repo")


def _edit_manifest(old: str, new: str) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        path = repo / "models" / "sentiment.yaml"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
    return apply


def _append_manifest(text: str) -> Callable[[Path], None]:
    def apply(repo: Path) -> None:
        path = repo / "models" / "sentiment.yaml"
        path.write_text(path.read_text() + text)
    return apply


def _symlink_out(repo: Path) -> None:
    (repo / "artifacts" / "escape.bin").symlink_to(repo.parent / "secret.bin")


def _broken_config(repo: Path) -> None:
    (repo / ".gitmodel.yaml").write_text("policy: {weights: huge}\n")


def _broken_config_yaml(repo: Path) -> None:
    (repo / ".gitmodel.yaml").write_text("manifests: [models\n")


def _nothing(repo: Path) -> None:
    return None


W = ["--weights", "prompts/system.txt"]
BAD_INPUTS = [
    # (id, setup, argv, text the one error line must contain: the file and the field)
    ("broken-yaml", _edit_manifest("name: sentiment", "name: [sentiment"), ["check"],
     "models/sentiment.yaml: invalid YAML: line"),
    ("bad-sha256", _edit_manifest("sha256: ", "sha256: Z"), ["validate"], "models/sentiment.yaml: weights[0].sha256: "),
    ("unknown-field", _append_manifest("colour: red\n"), ["check"], "models/sentiment.yaml: colour: unknown field"),
    ("wrong-type", _edit_manifest("size: ", "size: big"), ["status"], "models/sentiment.yaml: weights[0].size: "),
    ("schema-version", _edit_manifest("schema_version: 1", "schema_version: 2"), ["ls"],
     "models/sentiment.yaml: schema_version: unsupported schema_version 2"),
    ("unquoted-version", _edit_manifest("version: 0.1.0", "version: 0.1"), ["bump", "sentiment"],
     "models/sentiment.yaml: version: "),
    ("semver-leading-zero", _nothing, ["add", "m2", *W, "--version", "01.0.0"], "--version: not a semantic version"),
    ("semver-v-prefix", _nothing, ["add", "m2", *W, "--version", "v1.0.0"], "--version: not a semantic version"),
    ("name-dotdot", _nothing, ["add", "a..b", *W], "NAME: invalid model name 'a..b'"),
    ("name-space", _nothing, ["add", "a b", *W], "NAME: invalid model name 'a b'"),
    ("name-at", _nothing, ["add", "a@b", *W], "NAME: invalid model name 'a@b'"),
    ("name-hash", _nothing, ["add", "a#b", *W], "NAME: invalid model name 'a#b'"),
    ("name-leading-dash", _nothing, ["add", *W, "--", "-ab"], "NAME: invalid model name '-ab'"),
    ("name-upper", _nothing, ["add", "Sentiment", *W], "NAME: invalid model name 'Sentiment'"),
    ("name-bump", _nothing, ["bump", "../x"], "NAME: invalid model name"),
    ("path-absolute-outside", _nothing, ["add", "m2", "--weights", "/etc/hostname"],
     "--weights: path '/etc/hostname' is outside the repository"),
    ("path-escape", _nothing, ["add", "m2", "--weights", "../escape"], "--weights: path '../escape' leaves"),
    ("path-symlink-out", _symlink_out, ["add", "m2", "--weights", "artifacts/escape.bin"],
     "--weights: path 'artifacts/escape.bin' points outside the repository"),
    ("path-missing", _nothing, ["add", "m2", "--weights", "nope.bin"], "--weights: file nope.bin does not exist"),
    ("path-directory", _nothing, ["add", "m2", "--weights", "prompts"], "--weights: prompts is a directory"),
    ("prompt-missing", _nothing, ["add", "m2", *W, "--prompt", "prompts/gone.txt"], "--prompt: file prompts/gone.txt"),
    ("config-field", _broken_config, ["check"], ".gitmodel.yaml: policy.weights: 'huge'"),
    ("config-yaml", _broken_config_yaml, ["ls"], ".gitmodel.yaml: invalid YAML"),
    ("show-bad-version", _nothing, ["show", "sentiment@v01.0.0"], "sentiment@v01.0.0: not a semantic version"),
    ("show-no-release", _nothing, ["show", "sentiment@v9.9.9"], "sentiment@v9.9.9: no release sentiment@v9.9.9"),
    ("validate-outside", _nothing, ["validate", "../x.yaml"], "../x.yaml: path '../x.yaml' leaves"),
    ("show-empty-stage", _nothing, ["show", "sentiment#"], "sentiment#: no stage after '#'"),
    ("validate-empty", _nothing, ["validate", ""], "PATH: path must be a non-empty string"),
    ("status-unknown", _nothing, ["status", "ghost"], "models/ghost.yaml: no such model"),
    ("check-bad-base", _nothing, ["check", "--base", "no-such-rev"], "--base: unknown revision 'no-such-rev'"),
    ("bump-two-levels", _nothing, ["bump", "sentiment", "--major", "--minor"], "options: give at most one"),
    ("no-weights", _nothing, ["add", "m2"], "--weights: at least one --weights file is required"),
    ("usage-missing-argument", _nothing, ["bump"], "gitmodel bump: Missing argument"),
    ("usage-no-such-option", _nothing, ["check", "--frobnicate"], "gitmodel check: No such option: --frobnicate"),
    ("usage-no-such-command", _nothing, ["frobnicate"], "gitmodel: No such command 'frobnicate'"),
]


@pytest.mark.parametrize(("setup", "argv", "expected"), [case[1:] for case in BAD_INPUTS],
                         ids=[case[0] for case in BAD_INPUTS])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(work: Path, setup: Callable[[Path], None],
                                                          argv: list[str], expected: str) -> None:
    (work.parent / "secret.bin").write_bytes(b"outside")
    setup(work)
    before = snapshot(work)
    proc = gm(work, *argv)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: "), lines
    assert expected in lines[0]
    assert "Traceback" not in proc.stderr
    assert snapshot(work) == before


def test_not_a_git_repo(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    write(plain, "w.bin", b"\x00")
    before = snapshot(plain)
    for argv in (["check"], ["init"], ["add", "m", "--weights", "w.bin"], ["ls", "--json"]):
        proc = gm(plain, *argv)
        assert proc.returncode == 2
        assert proc.stderr.splitlines() == [
            f"error: {plain}: not inside a git work tree — run `git init` first, or cd into your repository"]
        assert proc.stdout == ""
    assert snapshot(plain) == before


def test_refused_is_exit_1_and_json_stays_pure(work: Path) -> None:
    write(work, "prompts/system.txt", "changed\n")
    proc = gm(work, "check", "--json")
    assert proc.returncode == 1
    import json

    assert json.loads(proc.stdout)["violations"][0]["path"] == "prompts/system.txt"


def test_traceback_env_reraises(tmp_path: Path) -> None:
    proc = gm(tmp_path, "check", env={"GITMODEL_TRACEBACK": "1"})
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr
    assert "InvalidInput" in proc.stderr


def _run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    code = info.value.code
    return (code if isinstance(code, int) else 0), capsys.readouterr().err


def test_an_unexpected_error_is_exit_4(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import gitmodel.review.status

    def boom(root: Path) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.chdir(repo)
    monkeypatch.setattr(gitmodel.review.status, "list_models", boom)
    code, err = _run_main(["ls"], capsys)
    assert code == 4
    assert err.splitlines() == ["error: unexpected error: RuntimeError: disk on fire — rerun with "
                                "GITMODEL_TRACEBACK=1 and report it"]
    monkeypatch.setenv("GITMODEL_TRACEBACK", "1")
    with pytest.raises(RuntimeError, match="disk on fire"):
        main(["ls"])


def test_keyboard_interrupt_is_130(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    import gitmodel.review.status

    def interrupted(root: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.chdir(repo)
    monkeypatch.setattr(gitmodel.review.status, "list_models", interrupted)
    code, err = _run_main(["ls"], capsys)
    assert code == 130
    assert err == "error: interrupted\n"


def test_a_clean_command_exits_0_in_process(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(repo)
    code, err = _run_main(["ls"], capsys)
    assert (code, err) == (0, "")


# ------------------------------------------------------------------------------------------- help text


def _all_commands() -> list[tuple[str, typer.main.TyperCommand]]:
    """Every command, nested groups included, as (path, command): new commands are covered automatically."""
    root = typer.main.get_command(app)
    found = []

    def walk(group: object, prefix: str) -> None:
        ctx = typer.Context(group)  # type: ignore[arg-type]
        for name in group.list_commands(ctx):  # type: ignore[attr-defined]
            command = group.get_command(ctx, name)  # type: ignore[attr-defined]
            path = f"{prefix} {name}".strip()
            if hasattr(command, "list_commands"):
                found.append((path, command))
                walk(command, path)
            else:
                found.append((path, command))

    walk(root, "")
    return found


COMMANDS = _all_commands()


def test_the_core_commands_are_registered() -> None:
    names = {path for path, _ in COMMANDS}
    assert {"init", "add", "ls", "status", "bump", "check", "validate", "show"} <= names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_and_option_has_help(path: str, command: typer.main.TyperCommand) -> None:
    assert (command.help or "").strip(), f"`gitmodel {path}` has no help text (its docstring is the help)"
    if not hasattr(command, "list_commands"):
        assert "Example:" in (command.help or ""), f"`gitmodel {path}`: add an `Example:` line to the docstring"
    for param in command.params:
        assert (getattr(param, "help", None) or "").strip(), f"`gitmodel {path}`: {param.name} has no help text"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS])
def test_help_renders(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = _run_main([*path.split(), "--help"], capsys)
    assert code == 0


def test_paths_on_the_command_line_are_relative_to_the_current_directory(work: Path) -> None:
    write(work, "artifacts/v2.bin", b"\x00v2")
    proc = gm(work / "artifacts", "add", "v2", "--weights", "v2.bin", "--prompt", "../prompts/system.txt")
    assert proc.returncode == 0, proc.stderr
    import yaml

    manifest = yaml.safe_load((work / "models" / "v2.yaml").read_text())
    assert [w["path"] for w in manifest["weights"]] == ["artifacts/v2.bin"]
    assert [p["path"] for p in manifest["prompts"]] == ["prompts/system.txt"]
    valid = gm(work / "models", "validate", "v2.yaml")
    assert valid.returncode == 0, valid.stderr
    assert "models/v2.yaml" in valid.stdout
    escape = gm(work / "artifacts", "add", "v3", "--weights", "../../outside.bin")
    assert escape.returncode == 2
    assert "outside the repository" in escape.stderr


def test_bare_gitmodel_prints_help_and_exits_0(tmp_path: Path) -> None:
    proc = gm(tmp_path)
    assert proc.returncode == 0
    assert "Usage" in proc.stdout
    assert proc.stderr == ""


def test_add_and_bump_json_stay_pure_while_dvc_works(work: Path) -> None:
    import json

    write(work, "artifacts/m2.bin", b"\x00m2 weights")
    add = gm(work, "add", "m2", "--weights", "artifacts/m2.bin", "--json")
    assert add.returncode == 0, add.stderr
    data = json.loads(add.stdout)
    assert data["files"][0]["storage"] == "dvc"
    assert "artifacts/m2.bin.dvc" in data["staged"]
    write(work, "artifacts/m2.bin", b"\x00m2 retrained")
    bump = gm(work, "bump", "m2", "--json")
    assert bump.returncode == 0, bump.stderr
    assert json.loads(bump.stdout)["retracked"] == ["artifacts/m2.bin"]
