"""gitmodel/repo/history.py: who holds a stage after promotions, rollbacks, unassignments, deregistrations
and deprecation (events replayed as GTO replays them), what the releaser wrote in a tag message, and
`versions` over real tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.model import semver
from gitmodel.repo.history import current_holders, rollback_of, stage_stacks, user_message, versions
from gitmodel.repo.tags import Release, StageEvent, TagIndex
from tests.kit.clock import Clock
from tests.kit.git import commit_all, git
from tests.kit.repos import released_in_git

COMMITS = {"0.1.0": "c1" * 20, "0.2.0": "c2" * 20, "0.3.0": "c3" * 20}


def index(*events: StageEvent, deregistered: set[str] | None = None, deprecated: bool = False) -> TagIndex:
    """Three releases of `m` on three commits and the given stage events."""
    releases = [Release("m", semver.parse(v), f"m@v{v}", c, "", "", "") for v, c in COMMITS.items()]
    tags = TagIndex(releases={"m": releases}, stage_events={"m": list(events)},
                    deregistered={"m": deregistered or set()})
    if deprecated:
        tags.deprecations["m"] = ("m@deprecated", 10)
    return tags


def promote(n: int, version: str, stage: str = "prod", rollback_of: str | None = None) -> StageEvent:
    message = f"gitmodel promote m v{version} to {stage}"
    if rollback_of:
        message += f"\n\nrollback-of: {rollback_of}\n"
    return StageEvent("m", stage, n, True, f"m#{stage}#{n}", COMMITS.get(version, "f0" * 20), "", "", message)


def unassign(n: int, stage: str = "prod", rollback_of: str | None = None) -> StageEvent:
    message = "gitmodel unassign" + (f"\n\nrollback-of: {rollback_of}\n" if rollback_of else "")
    return StageEvent("m", stage, n, False, f"m#{stage}!#{n}", COMMITS["0.1.0"], "", "", message)


def holders(tags: TagIndex) -> dict[str, tuple[str, int]]:
    return {stage: (h.version, h.event.counter) for stage, h in current_holders(tags, "m").items()}


# ------------------------------------------------------------------------------------------ stages


def test_the_latest_promotion_holds_each_stage() -> None:
    tags = index(promote(1, "0.1.0"), promote(2, "0.1.0", "staging"), promote(3, "0.2.0", "staging"))
    assert holders(tags) == {"prod": ("0.1.0", 1), "staging": ("0.2.0", 3)}


def test_a_rollback_returns_the_stage_to_the_previous_holder() -> None:
    tags = index(promote(1, "0.1.0"), promote(2, "0.2.0"), promote(3, "0.1.0", rollback_of="m#prod#2"))
    assert holders(tags) == {"prod": ("0.1.0", 3)}  # the rollback event is the one that gave it back
    assert [v for v, _ in stage_stacks(tags, "m")["prod"]] == ["0.1.0"]


def test_two_rollbacks_in_a_row_walk_back_two_versions() -> None:
    tags = index(promote(1, "0.1.0"), promote(2, "0.2.0"), promote(3, "0.3.0"),
                 promote(4, "0.2.0", rollback_of="m#prod#3"), promote(5, "0.1.0", rollback_of="m#prod#4"))
    assert holders(tags) == {"prod": ("0.1.0", 5)}


def test_a_rollback_of_an_unassignment_puts_the_version_back() -> None:
    tags = index(promote(1, "0.1.0"), unassign(2), promote(3, "0.1.0", rollback_of="m#prod!#2"))
    assert holders(tags) == {"prod": ("0.1.0", 3)}


def test_an_unassigned_stage_has_no_holder_and_an_unassignment_of_nothing_is_no_event() -> None:
    tags = index(promote(1, "0.1.0"), unassign(2), unassign(3, "staging"))
    assert holders(tags) == {}
    stacks = stage_stacks(tags, "m")
    assert [v for v, _ in stacks["prod"]] == ["0.1.0", None]
    assert stacks.get("staging", []) == []


def test_promoting_the_holder_again_changes_nothing() -> None:
    tags = index(promote(1, "0.1.0"), promote(2, "0.1.0"))
    assert holders(tags) == {"prod": ("0.1.0", 1)}


def test_a_deregistered_version_leaves_every_stage_and_the_previous_holder_returns() -> None:
    tags = index(promote(1, "0.1.0"), promote(2, "0.2.0"), promote(3, "0.2.0", "staging"),
                 deregistered={"0.2.0"})
    assert holders(tags) == {"prod": ("0.1.0", 1)}


def test_a_stage_on_a_commit_without_a_release_is_not_replayed() -> None:
    tags = index(promote(1, "0.1.0"), promote(2, "9.9.9"))  # a commit gitmodel cannot name
    assert holders(tags) == {"prod": ("0.1.0", 1)}


def test_a_deprecated_model_holds_no_stage() -> None:
    tags = index(promote(1, "0.1.0"), deprecated=True)
    assert holders(tags) == {}
    assert [v for v, _ in stage_stacks(tags, "m")["prod"]] == ["0.1.0"]  # the history itself is kept


def test_rollback_of_reads_only_its_own_line() -> None:
    assert rollback_of(promote(1, "0.1.0", rollback_of="m#prod#7")) == "m#prod#7"
    assert rollback_of(promote(1, "0.1.0")) is None


# ---------------------------------------------------------------------------------------- messages


@pytest.mark.parametrize(("message", "note"), [
    ("gitmodel release m v0.1.0\n\nfingerprint: sha256:ab\nmanifest: models/m.yaml\n\nFirst release\nline 2\n",
     "First release\nline 2"),
    ("gitmodel release m v0.1.0\n\nfingerprint: sha256:ab\nmanifest: models/m.yaml\n", ""),
    ("gitmodel release m v0.1.0", ""),                              # subject only
    ("gitmodel rollback m prod to v0.1.0\n\nversion: v0.1.0\nrelease: m@v0.1.0\nrollback-of: m#prod#2\n", ""),
    ("gitmodel release m v0.1.0\n\nnotes first\nversion: not metadata here", "notes first\nversion: not metadata here"),
    ("release 0.1.0", "release 0.1.0"),                             # a tag made by hand: all of it is the note
    ("Hand-made\n\nfingerprint: kept", "Hand-made\n\nfingerprint: kept"),
    ("  ünïcødé note  \n", "ünïcødé note"),
])
def test_user_message(message: str, note: str) -> None:
    assert user_message(message) == note


# ---------------------------------------------------------------------------------------- versions


def test_versions_of_an_unknown_model_is_invalid_input(repo: Path) -> None:
    with pytest.raises(InvalidInput, match="no such model"):
        versions(repo, "nosuch")
    with pytest.raises(InvalidInput):
        versions(repo, "Bad Name")


def test_versions_known_by_tags_alone_after_the_manifest_is_gone(repo: Path) -> None:
    released_in_git(repo)
    git(repo, "rm", "-q", "models/sentiment.yaml")
    commit_all(repo, "drop the manifest")
    result = versions(repo, "sentiment")
    assert [v.version for v in result.versions] == ["0.1.0"]


def test_versions_lists_stages_deregistration_notes_and_misplaced_approvals(repo: Path) -> None:
    released_in_git(repo)
    commit_all(repo, "next", allow_empty=True)
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "gitmodel release sentiment v0.2.0\n\nmanifest: x\n\nSecond")
    git(repo, "tag", "-a", "sentiment#prod#1", "-m", "p", "sentiment@v0.1.0^{commit}")
    git(repo, "tag", "-a", "sentiment@v0.2.0!#2", "-m", "bad weights")
    git(repo, "tag", "-a", "sentiment@v0.1.0#approved-by#qa", "-m", "ok", "HEAD")  # not 0.1.0's commit
    result = versions(repo, "sentiment")
    first, second = result.versions
    assert (first.version, first.stages, first.deregistered, first.approvals) == ("0.1.0", ["prod"], False, [])
    assert first.fingerprint is not None
    assert first.note == ""
    assert (second.version, second.deregistered, second.note) == ("0.2.0", True, "Second")
    assert any("sentiment@v0.1.0#approved-by#qa: points at" in w for w in result.warnings)
    data = result.to_json()
    assert data["versions"][0]["fingerprint"].startswith("sha256:")
    assert data["deprecated"] is None


def test_versions_of_a_deprecated_model_names_the_tag_and_no_stage(repo: Path, clock: Clock) -> None:
    clock.tick()
    released_in_git(repo)
    git(repo, "tag", "-a", "sentiment#prod#1", "-m", "p")
    clock.tick()
    git(repo, "tag", "-a", "sentiment@deprecated#2", "-m", "retired")
    result = versions(repo, "sentiment")
    assert result.deprecated == "sentiment@deprecated#2"
    assert [v.stages for v in result.versions] == [[]]
