"""Units linked by reference, judged by the real pre-commit hook in a fresh repo with real DVC: a prompt
released on its own schedule, a system refused when a member moves without a bump, and references that
name no usable release (deregistered, missing, moved) or lead back to their unit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.kit.cli import gm
from tests.kit.git import commit, git
from tests.kit.tools import gto
from tests.kit.units import committed, ok, release_prompt, units_repo


@pytest.fixture
def units(repo: Path) -> Path:
    return units_repo(repo)


def _set_use(repo: Path, name: str, role: str, ref: str, version: str | None = None) -> None:
    """Edit `uses.ROLE` by hand (what a contributor might do), optionally the version too, and stage it."""
    path = repo / "models" / f"{name}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc.setdefault("uses", {})[role] = ref
    if version is not None:
        doc["version"] = version
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    git(repo, "add", str(path))


def test_prompt_released_three_times_while_the_model_stays(units: Path) -> None:
    assert [release_prompt(units, f"Prompt, take {n}.\n") for n in (2, 3, 4)] == ["0.2.0", "0.3.0", "0.4.0"]
    versions = json.loads(ok(units, "versions", "support-prompt", "--json"))
    assert [v["version"] for v in versions["versions"]] == ["0.1.0", "0.2.0", "0.3.0", "0.4.0"]
    assert [v["version"] for v in json.loads(ok(units, "versions", "sentiment", "--json"))["versions"]] == ["1.0.0"]
    log = ok(units, "changelog", "support-prompt")
    assert "## v0.4.0" in log
    assert "prompts/support.txt changed" in log
    # GTO reads every unit's releases from the same tags
    for unit, expected in (("support-prompt", ["v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0"]), ("sentiment", ["v1.0.0"]),
                           ("tickets", ["v1.0.0"]), ("support-bot", ["v0.1.0"])):
        shown = gto(units, "show", unit, "--json")
        assert shown.returncode == 0, shown.stderr
        assert sorted(v["version"] for v in json.loads(shown.stdout)) == expected


def test_member_moved_without_bump_is_refused_then_passes_after_bump_use(units: Path) -> None:
    release_prompt(units, "A better prompt.\n")
    _set_use(units, "support-bot", "prompt", "support-prompt@v0.2.0")
    refused = commit(units, "move the prompt")
    assert refused.returncode == 1, refused.stderr
    line = next(ln for ln in refused.stderr.splitlines() if ln.startswith("support-bot:"))
    assert "models/support-bot.yaml" in line
    assert "uses.prompt support-prompt@v0.1.0 → support-prompt@v0.2.0" in line
    assert "requires minor" in line
    out = ok(units, "bump", "support-bot", "--use", "prompt=support-prompt@v0.2.0")
    assert "support-bot: 0.1.0 → 0.2.0 (minor bump" in out
    committed(units, "support-bot 0.2.0")
    assert yaml.safe_load((units / "models/support-bot.yaml").read_text())["uses"]["prompt"] == "support-prompt@v0.2.0"


def test_major_member_move_is_a_major_bump_and_latest_moves_to_the_newest(units: Path) -> None:
    (units / "artifacts" / "sentiment.bin").write_bytes(b"retrained" * 50)
    ok(units, "bump", "sentiment", "--major")
    committed(units, "sentiment 2.0.0")
    ok(units, "tag", "sentiment")
    bumped = json.loads(ok(units, "bump", "support-bot", "--latest", "model", "--json"))
    assert (bumped["new_version"], bumped["level"]) == ("1.0.0", "major")
    assert bumped["why"] == ["uses.model sentiment@v1.0.0 → sentiment@v2.0.0"]


def test_reference_to_a_deregistered_release_is_refused(units: Path) -> None:
    release_prompt(units, "Withdrawn prompt.\n")
    git(units, "tag", "-a", "support-prompt@v0.2.0!", "-m", "deregistered")
    done = gm(units, "bump", "support-bot", "--use", "prompt=support-prompt@v0.2.0")
    assert done.returncode == 1
    assert done.stderr.startswith("error: models/support-bot.yaml: uses.prompt: support-prompt@v0.2.0 was deregistered")
    _set_use(units, "support-bot", "prompt", "support-prompt@v0.2.0", version="0.2.0")
    refused = commit(units, "use a withdrawn prompt")
    assert refused.returncode == 1
    assert "support-bot: models/support-bot.yaml: uses.prompt: support-prompt@v0.2.0 was deregistered" in refused.stderr


def test_reference_to_a_missing_tag_is_refused(units: Path) -> None:
    _set_use(units, "support-bot", "prompt", "support-prompt@v9.9.9", version="1.0.0")
    refused = commit(units, "use a prompt nobody released")
    assert refused.returncode == 1
    assert ("support-bot: models/support-bot.yaml: uses.prompt: support-prompt@v9.9.9 names no release tag "
            "(releases of support-prompt: v0.1.0)") in refused.stderr


def test_reference_to_a_moved_release_tag_is_refused(units: Path) -> None:
    release_prompt(units, "Second prompt.\n")
    # someone moves support-prompt@v0.1.0 onto the commit of 0.2.0 (a forced re-tag)
    message = git(units, "tag", "-l", "--format=%(contents)", "support-prompt@v0.1.0").stdout
    git(units, "tag", "-f", "-a", "support-prompt@v0.1.0", "-m", message, "HEAD")
    done = gm(units, "check")
    assert done.returncode == 1
    assert ("support-bot: models/support-bot.yaml: uses.prompt: support-prompt@v0.1.0: the manifest at the tag says "
            "support-prompt 0.2.0: the tag support-prompt@v0.1.0 was moved") in done.stdout + done.stderr


def test_a_member_whose_release_was_altered_is_refused_through_two_levels(units: Path) -> None:
    # tickets@v1.0.0's tag message now records another fingerprint: the model and the system using it are refused
    commit_of = git(units, "rev-list", "-n1", "tickets@v1.0.0").stdout.strip()
    git(units, "tag", "-f", "-a", "tickets@v1.0.0", "-m", "release 1.0.0\n\nfingerprint: sha256:" + "0" * 64, commit_of)
    done = gm(units, "check")
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "sentiment: models/sentiment.yaml: uses.train: tickets@v1.0.0: fingerprint mismatch" in out
    assert "support-bot: models/support-bot.yaml: uses.eval: tickets@v1.0.0: fingerprint mismatch" in out
    assert "support-bot: models/support-bot.yaml: uses.model: sentiment@v1.0.0" not in out  # sentiment itself is intact


# ------------------------------------------------------------------------------------------ adversarial


def test_a_cycle_through_references_is_refused(units: Path) -> None:
    # support-prompt 0.2.0 would be built from support-bot@v0.1.0, which is built from support-prompt@v0.1.0
    _set_use(units, "support-prompt", "bot", "support-bot@v0.1.0", version="0.2.0")
    refused = commit(units, "a prompt built from its own system")
    assert refused.returncode == 1
    assert ("support-prompt: models/support-prompt.yaml: uses.bot: cycle: support-prompt → support-bot@v0.1.0 → "
            "support-prompt@v0.1.0") in refused.stderr


def test_self_reference_and_path_like_names_are_invalid(units: Path) -> None:
    for ref, what in (("support-bot@v0.1.0", "is this unit itself"),
                      ("../../etc/passwd@v1.0.0", "invalid model name '../../etc/passwd'"),
                      ("/abs@v1.0.0", "invalid model name '/abs'"),
                      ("support-prompt@1.0", "is not UNIT@vX.Y.Z")):
        git(units, "checkout", "HEAD", "--", "models")
        _set_use(units, "support-bot", "prompt", ref, version="0.2.0")
        refused = commit(units, "bad reference")
        assert refused.returncode == 1, (ref, refused.stderr)  # git's code for any hook that blocks
        assert "error: models/support-bot.yaml: uses.prompt: " in refused.stderr
        assert what in refused.stderr, refused.stderr
        judged = gm(units, "check", "--staged")  # the hook's own exit code: invalid input
        assert judged.returncode == 2, judged.stderr
        assert judged.stderr.count("\n") == 1
        assert "uses.prompt" in judged.stderr
    git(units, "checkout", "HEAD", "--", "models")
    bad_role = gm(units, "bump", "support-bot", "--use", "a.b=support-prompt@v0.1.0")
    assert bad_role.returncode == 2
    assert "role 'a.b' is not" in bad_role.stderr
    own = gm(units, "bump", "support-bot", "--use", "me=support-bot@v0.1.0")
    assert own.returncode == 2
    assert "a unit cannot be built from its own release" in own.stderr


def test_unit_kinds_pin_what_they_must(units: Path) -> None:
    made = json.loads(ok(units, "add", "triage", "--kind", "system", "--use", "model=sentiment@v1.0.0", "--json"))
    assert (made["kind"], made["uses"], made["files"]) == ("system", {"model": "sentiment@v1.0.0"}, [])
    (units / "w.bin").write_bytes(b"w")
    wrong = gm(units, "add", "p2", "--kind", "prompt", "--prompt", "prompts/support.txt", "--weights", "w.bin")
    assert wrong.returncode == 2
    assert "error: --weights: a prompt unit pins only prompts, not weights" in wrong.stderr
    empty = gm(units, "add", "d2", "--kind", "dataset")
    assert empty.returncode == 2
    assert "a dataset unit pins at least one data file" in empty.stderr
    assert not (units / "models" / "p2.yaml").exists()
    assert not (units / "models" / "d2.yaml").exists()


def test_check_judges_a_reference_again_when_its_release_is_deregistered(units: Path) -> None:
    assert gm(units, "check").returncode == 0  # the verdict is now kept in .git/gitmodel/judged.json
    git(units, "tag", "-a", "tickets@v1.0.0!", "-m", "withdrawn: consent revoked")
    done = gm(units, "check")
    assert done.returncode == 1
    out = done.stdout + done.stderr
    assert "sentiment: models/sentiment.yaml: uses.train: tickets@v1.0.0 was deregistered" in out
    assert "support-bot: models/support-bot.yaml: uses.eval: tickets@v1.0.0 was deregistered" in out


def test_a_unit_reached_at_two_versions_is_said_not_refused(units: Path) -> None:
    (units / "data" / "tickets.csv").write_text("text,label\nslow reply,neg\nthanks,pos\nlate,neg\n")
    ok(units, "bump", "tickets")
    committed(units, "tickets 1.1.0")
    ok(units, "tag", "tickets")
    ok(units, "bump", "support-bot", "--use", "eval=tickets@v1.1.0")
    committed(units, "support-bot 0.2.0: the new eval set")  # a mismatch is allowed
    for _ in range(2):  # said on every run, not only the first (the judged index does not keep it)
        done = gm(units, "check")
        assert done.returncode == 0, done.stderr
        assert ("support-bot: tickets at 2 versions through its references: tickets@v1.0.0 (uses.model → "
                "uses.train), tickets@v1.1.0 (uses.eval)") in done.stderr


def test_ci_check_base_refuses_what_no_verify_let_past(units: Path) -> None:
    base = git(units, "rev-parse", "HEAD").stdout.strip()
    _set_use(units, "support-bot", "prompt", "support-prompt@v7.0.0", version="1.0.0")
    git(units, "commit", "-q", "--no-verify", "-m", "skip the hook")
    done = gm(units, "check", "--base", base)
    assert done.returncode == 1
    assert "support-bot: models/support-bot.yaml: uses.prompt: support-prompt@v7.0.0 names no release tag" in \
        done.stdout + done.stderr
