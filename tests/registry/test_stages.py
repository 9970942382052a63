"""Stages: promote, stages, rollback; counters, whitelist, gates; GTO interop both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.registry.releases import tag_release
from gitmodel.registry.stages import promote, rollback, stages
from gitmodel.repo.history import versions
from tests.kit.cli import gm
from tests.kit.clock import Clock
from tests.kit.git import commit_all, git
from tests.kit.repos import change_prompt_and_bump, make_model
from tests.kit.templates import copy_repo, template_repo
from tests.kit.tools import gto


@pytest.fixture(scope="module")
def three_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sentiment released as 0.1.0, 0.2.0 and 0.3.0, built once per module (a day before each test's clock)."""
    root = template_repo(tmp_path_factory, "three")
    with pytest.MonkeyPatch.context() as mp:
        clock = Clock(mp, start=1_767_225_600 - 86_400)
        clock.tick()
        commit_all(root, "initial", allow_empty=True)
        make_model(root)
        tag_release(root, "sentiment")
        for text in ("two\n", "three\n"):
            clock.tick()
            change_prompt_and_bump(root, text)
            clock.tick()
            tag_release(root, "sentiment")
    return root


@pytest.fixture
def three(three_template: Path, tmp_path: Path, clock: Clock) -> Path:
    """A private copy of the three-release repo."""
    return copy_repo(three_template, tmp_path / "repo")


def holder(root: Path, stage: str) -> str | None:
    found = stages(root, "sentiment").holders.get(stage)
    return found.version if found else None


def test_promote_writes_gto_stage_tags_with_a_per_model_counter(three: Path, clock: Clock) -> None:
    first = promote(three, "sentiment@v0.1.0", "dev")
    clock.tick()
    second = promote(three, "sentiment@v0.2.0", "prod")
    assert (first.tag, second.tag) == ("sentiment#dev#1", "sentiment#prod#2")
    assert git(three, "cat-file", "-t", "sentiment#prod#2").stdout.strip() == "tag"
    assert git(three, "rev-parse", "sentiment#prod#2^{commit}").stdout.strip() == \
        git(three, "rev-parse", "sentiment@v0.2.0^{commit}").stdout.strip()
    assert (holder(three, "dev"), holder(three, "prod"), holder(three, "staging")) == ("0.1.0", "0.2.0", None)
    assert versions(three, "sentiment").versions[1].stages == ["prod"]
    again = promote(three, "sentiment@v0.2.0", "prod")
    assert again.tag is None  # already there: no new event
    assert "sentiment#prod#3" not in git(three, "tag", "-l").stdout


def test_rollback_walks_back_one_holder_at_a_time(three: Path, clock: Clock) -> None:
    for version in ("0.1.0", "0.2.0", "0.3.0"):
        clock.tick()
        promote(three, f"sentiment@v{version}", "prod")
    clock.tick()
    first = rollback(three, "sentiment", "prod")
    assert (first.version, first.previous, first.tag) == ("0.2.0", "0.3.0", "sentiment#prod#4")
    assert "rollback-of: sentiment#prod#3" in git(three, "cat-file", "-p", first.tag).stdout
    clock.tick()
    assert rollback(three, "sentiment", "prod").version == "0.1.0"
    assert holder(three, "prod") == "0.1.0"
    with pytest.raises(Refused, match="nothing to roll back to"):
        rollback(three, "sentiment", "prod")
    with pytest.raises(Refused, match="no version of sentiment is in stage 'dev'"):
        rollback(three, "sentiment", "dev")
    # history is never rewritten: every event is still there
    assert list(git(three, "tag", "-l", "sentiment#*").stdout.split()) == [
        "sentiment#prod#1", "sentiment#prod#2", "sentiment#prod#3", "sentiment#prod#4", "sentiment#prod#5"]


def test_events_are_ordered_by_counter_not_by_time(three: Path, clock: Clock) -> None:
    # #2 carries an OLDER tagger date than #1: gitmodel must still say v0.2.0 holds prod
    clock.now += 100_000
    clock.tick()
    promote(three, "sentiment@v0.1.0", "prod")
    clock.now -= 50_000
    clock.tick()
    promote(three, "sentiment@v0.2.0", "prod")
    assert holder(three, "prod") == "0.2.0"
    assert rollback(three, "sentiment", "prod").version == "0.1.0"


def test_rollback_to_an_empty_stage_unassigns(three: Path, clock: Clock) -> None:
    promote(three, "sentiment@v0.1.0", "staging")
    clock.tick()
    git(three, "tag", "-a", "sentiment#staging!#2", "sentiment@v0.1.0^{commit}", "-m", "unassign (gto)")
    assert holder(three, "staging") is None
    clock.tick()
    promote(three, "sentiment@v0.2.0", "staging")
    clock.tick()
    result = rollback(three, "sentiment", "staging")
    assert result.tag == "sentiment#staging!#4"
    assert result.version is None
    assert holder(three, "staging") is None


def test_counter_continues_after_any_counted_gto_tag(three: Path) -> None:
    git(three, "tag", "-a", "sentiment@v0.1.0!#7", "sentiment@v0.1.0^{commit}", "-m", "deregister (gto)")
    assert promote(three, "sentiment@v0.2.0", "prod").tag == "sentiment#prod#8"
    with pytest.raises(InvalidInput, match="no release sentiment@v0.1.0"):
        promote(three, "sentiment@v0.1.0", "prod")


def test_stage_whitelist_and_names(three: Path) -> None:
    with pytest.raises(InvalidInput, match="not in the stages whitelist"):
        promote(three, "sentiment@v0.1.0", "prdo")
    (three / ".gitmodel.yaml").write_text("")
    with pytest.raises(InvalidInput, match="invalid stage name"):
        promote(three, "sentiment@v0.1.0", "pr od")
    assert promote(three, "sentiment@v0.1.0", "canary").tag == "sentiment#canary#1"
    cli = gm(three, "promote", "sentiment", "prod")
    assert cli.returncode == 2
    assert "does not name a release" in cli.stderr


def test_promote_evaluates_gates_on_the_released_manifest(three: Path) -> None:
    (three / ".gitmodel.yaml").write_text('gates:\n  sentiment: {accuracy: ">= 0.95"}\n')
    with pytest.raises(Refused, match=r"accuracy >= 0.95 \(0.91\) FAIL"):
        promote(three, "sentiment@v0.3.0", "prod")
    assert "#" not in git(three, "tag", "-l").stdout


def test_cli_stages_and_rollback_output(three: Path, clock: Clock) -> None:
    promote(three, "sentiment@v0.1.0", "prod")
    clock.tick()
    promote(three, "sentiment@v0.2.0", "prod")
    text = gm(three, "stages", "sentiment").stdout.splitlines()
    assert text[0].split() == ["stage", "version", "since", "by", "tag"]
    assert [line.split()[:2] for line in text[1:]] == [["dev", "-"], ["staging", "-"], ["prod", "0.2.0"]]
    back = gm(three, "rollback", "sentiment", "prod", env=clock.env())
    assert back.returncode == 0
    assert "sentiment prod: back to v0.1.0 (was v0.2.0)" in back.stdout
    refused = gm(three, "rollback", "sentiment", "prod")
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: ")


def test_promote_push(three: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(three, "remote", "add", "origin", str(remote))
    result = promote(three, "sentiment@v0.1.0", "prod", push=True)
    assert result.pushed_to == "origin"
    assert git(remote, "tag", "-l").stdout.split() == ["sentiment#prod#1"]


# ------------------------------------------------------------------------------------------ GTO interop


def test_gto_reads_gitmodel_releases_and_stages(three: Path, clock: Clock) -> None:
    clock.tick()
    promote(three, "sentiment@v0.2.0", "staging")
    clock.tick()
    promote(three, "sentiment@v0.3.0", "prod")
    shown = gto(three, "show", "sentiment", "--json")
    assert shown.returncode == 0, shown.stderr
    by_version = {v["version"]: [s["stage"] for s in v["stages"]] for v in json.loads(shown.stdout)}
    assert by_version == {"v0.1.0": [], "v0.2.0": ["staging"], "v0.3.0": ["prod"]}
    table = gto(three, "show")
    assert "sentiment" in table.stdout
    assert "v0.3.0" in table.stdout


def test_gitmodel_reads_gto_register_and_assign(repo: Path, clock: Clock) -> None:
    clock.tick()
    make_model(repo)
    tag_release(repo, "sentiment")
    clock.tick()
    (repo / "notes.txt").write_text("retrained elsewhere\n")
    commit_all(repo, "another commit")
    clock.tick()
    registered = gto(repo, "register", "sentiment", "--version", "v0.3.0")
    assert registered.returncode == 0, registered.stderr
    clock.tick()
    assigned = gto(repo, "assign", "sentiment", "--version", "v0.3.0", "--stage", "staging")
    assert assigned.returncode == 0, assigned.stderr
    found = versions(repo, "sentiment")
    assert [v.version for v in found.versions] == ["0.1.0", "0.3.0"]
    assert found.versions[1].note == "Registering artifact sentiment version v0.3.0"
    assert found.versions[1].stages == ["staging"]
    assert found.warnings == []
    # gitmodel continues GTO's counter, and GTO continues gitmodel's
    clock.tick()
    assert promote(repo, "sentiment@v0.1.0", "prod").tag == "sentiment#prod#2"
    clock.tick()
    again = gto(repo, "assign", "sentiment", "--version", "v0.3.0", "--stage", "prod")
    assert again.returncode == 0, again.stderr
    assert "sentiment#prod#3" in git(repo, "tag", "-l").stdout.split()
    assert holder(repo, "prod") == "0.3.0"


def test_a_promotion_that_loses_the_counter_race_takes_the_next_number(three: Path) -> None:
    from gitmodel.registry.stages import _create_event
    from gitmodel.repo.tags import read_tags

    stale = read_tags(three, {"sentiment"})                 # read before the other process tagged
    promote(three, "sentiment@v0.1.0", "prod")              # takes #1
    commit_id = git(three, "rev-parse", "sentiment@v0.2.0^{commit}").stdout.strip()
    tag, _ = _create_event(three, "sentiment", lambda n: f"sentiment#prod#{n}", commit_id, "race\n", stale,
                           retry=lambda fresh: None)
    assert tag == "sentiment#prod#2"
    assert holder(three, "prod") == "0.2.0"
    assert git(three, "rev-parse", "sentiment#prod#1^{commit}").stdout.strip() == \
        git(three, "rev-parse", "sentiment@v0.1.0^{commit}").stdout.strip()
