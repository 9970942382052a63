"""Output that could hurt the reader (issue 13 item 15): escape sequences from tags, tagger names, manifests
and metric keys never reach a terminal; `--json` is strict JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.kit.cli import gm
from tests.kit.git import git
from tests.kit.repos import make_model
from tests.kit.templates import copy_template, template_runner

ESC_TITLE = "\x1b]0;pwned\x07"             # sets the terminal title
ESC_CLEAR = "\x1b[2J\x1b[H"                # clears the screen
OSC_LINK = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\u009b31m"                        # the 8-bit CSI
BIDI = "\u202eexe.txt"                      # right-to-left override
HOSTILE = [ESC_TITLE, ESC_CLEAR, OSC_LINK, C1_CSI, BIDI, "\r"]


def assert_clean(result: Any) -> None:
    """Nothing a terminal would act on: no C0 control but newline/tab, no C1, no bidi/format character."""
    for stream in (result.stdout, result.stderr):
        bad = [ch for ch in stream if not (ch.isprintable() or ch in "\n\t")]
        assert bad == [], f"raw control characters {bad!r} in {stream!r}"


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def hostile(repo: Path) -> Path:
    """sentiment released by a tagger whose name, and with a message whose text, carry escape sequences."""
    make_model(repo)
    env = {"GIT_COMMITTER_NAME": f"Mallory{ESC_TITLE}", "GIT_COMMITTER_EMAIL": "m@example.com"}
    released = gm(repo, "tag", "sentiment", "-m", "notes " + "".join(HOSTILE) + "\nsecond line", env=env)
    assert released.returncode == 0, released.stderr
    assert_clean(released)
    promoted = gm(repo, "promote", "sentiment@v0.1.0", "prod", env=env)
    assert promoted.returncode == 0, promoted.stderr
    return repo


def test_the_sanitiser_shows_every_control_character() -> None:
    from gitmodel.infra.errors import printable

    for text in HOSTILE:
        shown = printable("a" + text + "\nb")
        assert shown.isprintable(), shown
        assert "\\x1b" in shown or "\\x9b" in shown or "\\u202e" in shown or "\\r" in shown
    assert printable("line 1\nline 2\ttab", newlines=True) == "line 1\nline 2\ttab"
    assert printable("plain ümlaut ✓") == "plain ümlaut ✓"


@pytest.mark.parametrize("command", [["versions", "sentiment"], ["changelog", "sentiment"], ["stages", "sentiment"],
                                     ["ls"], ["card", "sentiment@v0.1.0"], ["show", "sentiment@v0.1.0"]])
def test_tags_and_tagger_names_never_reach_the_terminal(hostile: Path, command: list[str]) -> None:
    shown = gm(hostile, *command)
    assert shown.returncode == 0, shown.stderr
    assert_clean(shown)
    as_json = gm(hostile, *command, "--json") if command[0] != "card" else None
    if as_json is not None and as_json.returncode == 0:
        strict_json(as_json.stdout)
        assert_clean(as_json)


def test_changelog_shows_the_escapes_as_text(hostile: Path) -> None:
    shown = gm(hostile, "changelog", "sentiment")
    assert "Mallory\\x1b]0;pwned" in shown.stdout          # (git itself drops the BEL from a name)
    assert "\\u202eexe.txt" in shown.stdout
    assert "second line" in shown.stdout                   # release notes keep their line breaks
    written = hostile / "CHANGELOG.md"
    assert gm(hostile, "changelog", "sentiment", "-o", str(written)).returncode == 0
    assert "\x1b" not in written.read_text()                # the file a reviewer opens is clean too


def _manifest_with(root: Path, metrics: str, description: str | None = None) -> None:
    path = root / "models" / "sentiment.yaml"
    text = path.read_text()
    head, _, rest = text.partition("metrics:")
    lines = rest.split("\n")
    tail = "\n".join(line for line in lines[1:] if not line.startswith("  "))
    text = head + f"metrics: {metrics}\n" + tail
    if description is not None:
        text = text.replace("description: Sentiment classifier", f"description: {description}")
    path.write_text(text)


@pytest.mark.parametrize("command", [["metrics", "sentiment"], ["diff"], ["diff", "--format", "markdown"],
                                     ["card", "sentiment"], ["show", "sentiment"], ["status"], ["check"],
                                     ["validate"]])
def test_metric_keys_and_manifest_text_never_reach_the_terminal(repo: Path, command: list[str]) -> None:
    make_model(repo)
    assert gm(repo, "tag", "sentiment").returncode == 0
    # YAML double-quoted escapes put raw control characters into the parsed strings
    _manifest_with(repo, '{"acc\\e[2J\\e[H": 0.9, "f1\\u202e": 0.8, "accuracy": 0.91}',
                   description='"Classifier\\e]0;pwned\\a \\u009b31m red"')
    shown = gm(repo, *command)
    assert shown.returncode in (0, 1, 2), shown.stderr     # refused as invalid input is fine; exit 4 is not
    assert_clean(shown)


@pytest.mark.parametrize("command", [["metrics", "sentiment", "--json"], ["diff", "--format", "json"],
                                     ["show", "sentiment", "--json"], ["ls", "--json"], ["status", "--json"]])
def test_json_is_strict_with_non_finite_metrics(repo: Path, command: list[str]) -> None:
    make_model(repo)
    assert gm(repo, "tag", "sentiment").returncode == 0
    _manifest_with(repo, "{accuracy: .nan, loss: .inf, drift: -.inf}")
    shown = gm(repo, *command)
    assert shown.returncode in (0, 1, 2), shown.stderr
    assert "unexpected error" not in shown.stderr
    if shown.returncode == 2:                                # the manifest refused: one line, exit 2
        assert len(shown.stderr.strip().splitlines()) == 1, shown.stderr
        return
    data = strict_json(shown.stdout)
    assert "NaN" not in shown.stdout
    assert "Infinity" not in shown.stdout
    assert data is not None


def test_json_writer_turns_non_finite_into_null_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    from gitmodel.cli.output import emit_json

    emit_json({"metrics": {"accuracy": float("nan"), "loss": float("inf")}, "name": "x\u009b"})
    captured = capsys.readouterr()
    assert strict_json(captured.out) == {"metrics": {"accuracy": None, "loss": None}, "name": "x\u009b"}
    assert "\u009b" not in captured.out                     # escaped as \u009b inside the JSON string
    assert "warning: metrics.accuracy: not a finite number" in captured.err
    assert "warning: metrics.loss: not a finite number" in captured.err


def test_an_error_naming_hostile_input_is_one_clean_line(repo: Path) -> None:
    make_model(repo)
    refused = gm(repo, "versions", f"sentiment{ESC_CLEAR}")
    assert refused.returncode == 2
    assert_clean(refused)
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "\\x1b[2J" in refused.stderr
    bad_ref = gm(repo, "promote", f"sentiment@v0.1.0{BIDI}", "prod")
    assert bad_ref.returncode == 2
    assert_clean(bad_ref)


# ------------------------------------------------------------------ item 16: no input reaches exit 4

READ_COMMANDS = [["check"], ["validate"], ["ls"], ["ls", "--json"], ["status"], ["diff"], ["show", "sentiment"],
                 ["show", "sentiment", "--json"], ["metrics", "sentiment"], ["card", "sentiment"], ["bump", "sentiment"]]


@pytest.fixture(scope="module")
def dvc_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sentiment with DVC-stored weights and a git-stored prompt, released as 0.1.0; built once per module."""
    import sys

    root = tmp_path_factory.mktemp("exit4") / "repo"
    root.mkdir()
    run = template_runner(root)
    run("git", "init", "-q")
    run(sys.executable, "-m", "gitmodel", "init", "--no-hooks", "--remote", str(root.parent / "remote"))
    (root / "artifacts").mkdir()
    (root / "artifacts" / "model.bin").write_bytes(bytes(range(256)) * 8)
    (root / "prompts").mkdir()
    (root / "prompts" / "system.txt").write_text("You are a careful sentiment classifier.\n")
    run(sys.executable, "-m", "gitmodel", "add", "sentiment", "--weights", "artifacts/model.bin",
        "--prompt", "prompts/system.txt")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "sentiment")
    run(sys.executable, "-m", "gitmodel", "tag", "sentiment")
    return root


@pytest.fixture
def dvc_repo(dvc_template: Path, tmp_path: Path) -> Path:
    return copy_template(dvc_template, tmp_path)


def never_4(result: Any) -> None:
    """Any documented outcome but a crash: 0, a refusal (1), or one error line with exit 2 or 3."""
    assert result.returncode in (0, 1, 2, 3), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr
    if result.returncode in (2, 3):
        assert_one_line(result)


def assert_one_line(result: Any, codes: tuple[int, ...] = (2, 3)) -> None:
    assert result.returncode in codes, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr


def _append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text() + text)


@pytest.mark.parametrize("where", ["models/sentiment.yaml", ".gitmodel.yaml"])
@pytest.mark.parametrize("shape", ["list", "map"])
def test_thousand_deep_nesting_never_reaches_exit_4(dvc_repo: Path, where: str, shape: str) -> None:
    deep = "[" * 1000 + "]" * 1000 if shape == "list" else "{a: " * 1000 + "1" + "}" * 1000
    _append(dvc_repo, where, f"deep_thing: {deep}\n")
    for command in READ_COMMANDS:
        never_4(gm(dvc_repo, *command))
    assert_one_line(gm(dvc_repo, "check"), codes=(2,))


@pytest.mark.parametrize("where", ["models/sentiment.yaml", ".gitmodel.yaml"])
def test_five_thousand_digit_integers_never_reach_exit_4(dvc_repo: Path, where: str) -> None:
    key = "params" if where.startswith("models") else "huge"
    _append(dvc_repo, where, f"{key}: {{x: {'9' * 5000}}}\n")
    for command in READ_COMMANDS:
        never_4(gm(dvc_repo, *command))
    refused = gm(dvc_repo, "check")
    assert_one_line(refused, codes=(2,))
    assert "digits" in refused.stderr


def test_five_thousand_digit_integers_in_json_inputs(dvc_repo: Path) -> None:
    (dvc_repo / "inspect.json").write_text('[{"Config": {"Labels": {"a": ' + "9" * 5000 + "}}}]")
    assert_one_line(gm(dvc_repo, "labels", "--verify", "inspect.json"))
    (dvc_repo / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert_one_line(gm(dvc_repo, "labels", "--verify", "deep.json"))
    (dvc_repo / "sample.json").write_text('{"text": ' + "9" * 5000 + "}")
    assert_one_line(gm(dvc_repo, "validate-input", "sentiment", "sample.json"), codes=(1, 2))


@pytest.mark.parametrize("cut", [5, 20, 40, 75])
def test_a_truncated_dvc_pointer_never_reaches_exit_4_and_the_hint_works(dvc_repo: Path, cut: int) -> None:
    pointer = dvc_repo / "artifacts" / "model.bin.dvc"
    whole = pointer.read_bytes()
    pointer.write_bytes(whole[:cut])
    for command in [["check"], ["status"], ["verify", "sentiment"], ["ls"], ["diff"], ["bump", "sentiment"],
                    ["pull"], ["push"]]:
        never_4(gm(dvc_repo, *command))
    bumped = gm(dvc_repo, "bump", "sentiment")
    if bumped.returncode == 2 and "git checkout --" in bumped.stderr:   # follow the hint
        git(dvc_repo, "checkout", "--", "artifacts/model.bin.dvc")
        assert pointer.read_bytes() == whole
        assert gm(dvc_repo, "check").returncode == 0


@pytest.mark.parametrize("value", ["abc", "-1", "nan", ""])
def test_a_bad_lock_timeout_is_invalid_input(dvc_repo: Path, value: str) -> None:
    for command in [["push"], ["pull"]]:
        never_4(gm(dvc_repo, *command, env={"GITMODEL_LOCK_TIMEOUT": value}))
    (dvc_repo / "artifacts" / "model.bin").write_bytes(b"retrained")
    result = gm(dvc_repo, "bump", "sentiment", env={"GITMODEL_LOCK_TIMEOUT": value})
    assert_one_line(result, codes=(2,))
    assert "GITMODEL_LOCK_TIMEOUT" in result.stderr


_INJECT = """
import errno, os, sys, tempfile
code = getattr(errno, os.environ["INJECT_ERRNO"])
def refuse(*args, **kwargs):
    where = kwargs.get("dir") or (args[2] if len(args) > 2 else os.getcwd())
    raise OSError(code, os.strerror(code), str(where))
tempfile.mkstemp = refuse             # every atomic write starts here
os.fsync = lambda fd: (_ for _ in ()).throw(OSError(code, os.strerror(code)))
from gitmodel.cli import main
main()
"""


@pytest.mark.parametrize("errno_name", ["ENOSPC", "EROFS", "EDQUOT", "EIO"])
@pytest.mark.parametrize("command", [["bump", "sentiment"], ["changelog", "sentiment", "-o", "CHANGES.md"],
                                     ["card", "sentiment", "-o", "CARD.md"], ["hooks", "install"]])
def test_a_full_or_read_only_disk_is_an_external_failure(dvc_repo: Path, errno_name: str, command: list[str]
                                                         ) -> None:
    """The machine refusing a write (fault injected into the real CLI process) ends as exit 2/3, one line."""
    import subprocess
    import sys

    (dvc_repo / "prompts" / "system.txt").write_text("changed\n")
    result = subprocess.run([sys.executable, "-c", _INJECT, *command], cwd=dvc_repo, text=True,
                            capture_output=True, env={**os.environ, "INJECT_ERRNO": errno_name})
    assert_one_line(result)
    assert os.strerror(getattr(__import__("errno"), errno_name)) in result.stderr
