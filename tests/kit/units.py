"""A repository of units, built through the real CLI with real DVC: a dataset, a prompt, a model trained on
the dataset, and a system built from all three, each released with `gitmodel tag`."""

from __future__ import annotations

from pathlib import Path

from tests.kit.cli import gm
from tests.kit.files import write
from tests.kit.git import commit
from tests.kit.repos import initialized


def ok(repo: Path, *args: str) -> str:
    """Run `gitmodel ARGS` in `repo`; it must succeed. Returns stdout."""
    done = gm(repo, *args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def committed(repo: Path, message: str) -> None:
    """`git commit` through the installed hook (must pass)."""
    done = commit(repo, message)
    assert done.returncode == 0, done.stderr


def units_repo(repo: Path) -> Path:
    """tickets@v1.0.0 (dataset, DVC), support-prompt@v0.1.0 (prompt, git), sentiment@v1.0.0 (model: weights in
    DVC, uses train=tickets@v1.0.0) and support-bot@v0.1.0 (system: prompt, model and eval data), all released."""
    initialized(repo)
    write(repo, "data/tickets.csv", "text,label\nslow reply,neg\nthanks,pos\n")
    ok(repo, "add", "tickets", "--kind", "dataset", "--data", "data/tickets.csv", "--dvc", "data/tickets.csv",
       "--version", "1.0.0")
    committed(repo, "tickets 1.0.0")
    ok(repo, "tag", "tickets")
    write(repo, "prompts/support.txt", "You answer support tickets.\n")
    ok(repo, "add", "support-prompt", "--kind", "prompt", "--prompt", "prompts/support.txt")
    committed(repo, "support-prompt 0.1.0")
    ok(repo, "tag", "support-prompt")
    write(repo, "artifacts/sentiment.bin", b"\x00weights\x01" * 64)
    ok(repo, "add", "sentiment", "--weights", "artifacts/sentiment.bin", "--use", "train=tickets@v1.0.0",
       "--version", "1.0.0")
    committed(repo, "sentiment 1.0.0")
    ok(repo, "tag", "sentiment")
    ok(repo, "add", "support-bot", "--kind", "system", "--use", "prompt=support-prompt@v0.1.0",
       "--use", "model=sentiment@v1.0.0", "--use", "eval=tickets@v1.0.0")
    committed(repo, "support-bot 0.1.0")
    ok(repo, "tag", "support-bot")
    return repo


def release_prompt(repo: Path, text: str) -> str:
    """Edit the prompt, `bump`, commit through the hook, `tag`; returns the new version."""
    (repo / "prompts" / "support.txt").write_text(text)
    out = ok(repo, "bump", "support-prompt", "--json")
    import json

    version = str(json.loads(out)["new_version"])
    committed(repo, f"support-prompt {version}")
    ok(repo, "tag", "support-prompt")
    return version
