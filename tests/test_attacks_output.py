"""Output that could hurt the reader (issue 13 item 15): escape sequences from tags, tagger names, manifests
and metric keys never reach a terminal; `--json` is strict JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import gm
from tests.release_helpers import make_model

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
    from gitmodel.errors import printable

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
