"""The hook's path index (gitmodel/gate/hook_index.py) narrows each commit to what it touches: these prove the
narrowing still refuses what it must, whatever moved HEAD since the index was written (real git, no timings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.gate.hook_index import FILE, FORMAT
from gitmodel.workspace.init_repo import init_repo
from tests.kit.files import write
from tests.kit.gate import refused
from tests.kit.git import commit, git
from tests.kit.repos import add_sentiment

MODELS = 300


def name(i: int) -> str:
    return f"m{i:03d}"


@pytest.fixture
def many(repo: Path) -> Path:
    """`gitmodel init` with hooks, and 300 models (sentiment's manifest copied under 300 names), committed
    through the hook, then one unrelated commit so the index describes a HEAD holding all 300."""
    init_repo(repo, dvc=False)
    git(repo, "commit", "-q", "-m", "gitmodel init")
    add_sentiment(repo)
    template = (repo / "models" / "sentiment.yaml").read_text()
    for i in range(MODELS):
        write(repo, f"prompts/{name(i)}.txt", "You label support tickets.\n")
        write(repo, f"artifacts/{name(i)}.bin", "weights v1\n")
        write(repo, f"models/{name(i)}.yaml", template.replace("sentiment", name(i)))
    git(repo, "add", "-A")
    first = commit(repo, "300 models")
    assert first.returncode == 0, first.stderr
    unrelated(repo, "warm")
    return repo


def unrelated(root: Path, text: str) -> None:
    with open(root / "notes.txt", "a") as stream:
        stream.write(text + "\n")
    git(root, "add", "notes.txt")
    ok = commit(root, f"notes: {text}")
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""


def test_an_unrelated_commit_beside_a_changed_pin_of_the_last_model_is_refused(many: Path) -> None:
    last = name(MODELS - 1)
    write(many, f"prompts/{last}.txt", "edited without a bump\n")
    write(many, "notes.txt", "an unrelated line in the same commit\n")
    git(many, "add", "-A")
    refused(many, f"{last}: prompts/{last}.txt: prompts changed")
    # a file that IS the last model's weights on a macOS/Windows checkout concerns it too
    write(many, f"Artifacts/{last}.bin", "other bytes\n")
    git(many, "add", "-A")
    refused(many, f"{last}: Artifacts/{last}.bin: is artifacts/{last}.bin")


def test_the_index_follows_head_moved_by_commits_the_hook_never_saw(many: Path) -> None:
    # model 150 now pins another prompt, committed past the hook (--no-verify): the index must learn it
    moved = name(150)
    write(many, f"prompts/{moved}-v2.txt", "You label support tickets.\n")
    manifest = many / "models" / f"{moved}.yaml"
    manifest.write_text(manifest.read_text().replace(f"prompts/{moved}.txt", f"prompts/{moved}-v2.txt"))
    git(many, "add", "-A")
    assert commit(many, "repin", "--no-verify").returncode == 0
    write(many, f"prompts/{moved}-v2.txt", "edited without a bump\n")
    git(many, "add", "-A")
    refused(many, f"{moved}: prompts/{moved}-v2.txt: prompts changed")
    # the prompt it no longer pins is free to change
    unrelated(many, "after the repin")
    write(many, f"prompts/{moved}.txt", "no model pins this any more\n")
    git(many, "add", "-A")
    assert commit(many, "free prompt").returncode == 0
    # back to the commit before the repin: the old pin is watched again
    git(many, "checkout", "-q", "HEAD~3")
    write(many, f"prompts/{moved}.txt", "edited on the old commit\n")
    git(many, "add", "-A")
    refused(many, f"{moved}: prompts/{moved}.txt: prompts changed")


def test_a_manifests_directory_moved_past_the_hook_is_followed(many: Path) -> None:
    git(many, "mv", "models", "registry")
    config = many / ".gitmodel.yaml"
    config.write_text(config.read_text().replace("manifests: models", "manifests: registry")
                      if "manifests:" in config.read_text() else config.read_text() + "manifests: registry\n")
    git(many, "add", "-A")
    assert commit(many, "move the manifests", "--no-verify").returncode == 0
    write(many, f"prompts/{name(7)}.txt", "edited without a bump\n")
    git(many, "add", "-A")
    refused(many, f"{name(7)}: prompts/{name(7)}.txt: prompts changed")


@pytest.mark.parametrize("stamp", ["format", "version"])
def test_an_index_from_another_format_or_version_is_rebuilt(many: Path, stamp: str) -> None:
    """An index that names HEAD's ids but pins nothing (what an older format or release might hold) would
    wave every edit through if it were trusted."""
    import gitmodel

    index = many / ".git" / "gitmodel" / FILE
    first, header, _lines = index.read_bytes().split(b"\n", 2)
    assert first == f"gitmodel-cache {FORMAT} {gitmodel.__version__}".encode()
    foreign = (f"gitmodel-cache {FORMAT - 1} {gitmodel.__version__}" if stamp == "format"
               else f"gitmodel-cache {FORMAT} 0.0.1")
    index.write_bytes(foreign.encode() + b"\n" + header + b"\n")
    target = name(42)
    write(many, f"prompts/{target}.txt", "edited after the upgrade\n")
    git(many, "add", "-A")
    refused(many, f"{target}: prompts/{target}.txt: prompts changed")
    assert f"\nprompts/{target}.txt\t{target}\n".encode() in index.read_bytes()


def test_a_repin_the_hook_let_in_is_followed_by_the_next_commit(many: Path) -> None:
    """The hook notes the tree its commit will give the manifests (gitmodel.gate.hook_index.expected_tree) and
    the pins of the staged manifest: the next run uses them instead of diff-tree, and must still be right."""
    moved = name(151)
    write(many, f"prompts/{moved}-v2.txt", "You label support tickets.\n")  # the same bytes: still fresh
    manifest = many / "models" / f"{moved}.yaml"
    manifest.write_text(manifest.read_text().replace(f"prompts/{moved}.txt", f"prompts/{moved}-v2.txt"))
    git(many, "add", "-A")
    let_in = commit(many, "repin through the hook")
    assert let_in.returncode == 0, let_in.stderr
    write(many, f"prompts/{moved}-v2.txt", "edited without a bump\n")
    git(many, "add", "-A")
    refused(many, f"{moved}: prompts/{moved}-v2.txt: prompts changed")
    write(many, f"prompts/{moved}.txt", "no model pins this any more\n")
    git(many, "add", "-A")
    assert commit(many, "free prompt").returncode == 0


def test_check_staged_and_base_judge_only_what_changed_and_everything_on_a_config_change(many: Path) -> None:
    import json

    from tests.kit.cli import gm

    git(many, "branch", "base")
    write(many, f"prompts/{name(10)}.txt", "edited without a bump\n")
    git(many, "add", "-A")
    staged = gm(many, "check", "--staged", "--json")
    assert staged.returncode == 1
    report = json.loads(staged.stdout)
    assert report["checked"] == [name(10)]
    assert [v["path"] for v in report["violations"]] == [f"prompts/{name(10)}.txt"]
    assert commit(many, "past the hook", "--no-verify").returncode == 0
    caught = gm(many, "check", "--base", "base", "--json")
    assert caught.returncode == 1
    assert json.loads(caught.stdout)["checked"] == [name(10)]
    # the config changed since base: every model is judged again
    with open(many / ".gitmodel.yaml", "a") as stream:
        stream.write("# a comment is a change\n")
    git(many, "add", "-A")
    assert commit(many, "config", "--no-verify").returncode == 0
    everything = gm(many, "check", "--base", "base", "--json")
    assert everything.returncode == 1
    assert len(json.loads(everything.stdout)["checked"]) == MODELS + 1


def test_dropping_a_model_keeps_every_other_models_lines() -> None:
    from gitmodel.gate.hook_index import PathIndex, model_lines

    index = PathIndex(Path("/nonexistent/hookpaths"))
    index.add(model_lines("models/a.yaml", "a", ["p/a.txt", "shared.txt"]) + model_lines("models/ba.yaml", "ba", ["p/ba.txt"])
              + model_lines("models/a\tb.yaml", "a\tb", ["shared.txt"]))
    index.drop("a")
    assert index.affected(["p/a.txt"]) == set()
    assert index.affected(["p/ba.txt", "shared.txt"]) == {"ba", "a\tb"}
    index.drop("a\tb")
    assert index.affected(["shared.txt", "models/x.yaml"]) == {"x"}
    assert index.affected(["P/BA.TXT"]) == {"ba"}
