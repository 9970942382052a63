"""gitmodel/repo/tags.py: tag names parsed (GTO's formats and gitmodel's approvals), and the one
`for-each-ref` read into an index — against real tags in a real repo: many releases, lightweight and
misplaced tags, deregistrations, stage counters, deprecation by time."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from gitmodel.model import semver
from gitmodel.repo.tags import counter_ref, parse_ref, parse_tag_name, read_tags, release_tag
from tests.kit.clock import Clock
from tests.kit.git import commit_all, git, head


def tag(root: Path, name: str, rev: str = "HEAD") -> None:
    git(root, "tag", "-a", name, "-m", f"event {name}", rev)


def new_commit(root: Path, text: str) -> str:
    (root / "f.txt").write_text(text)
    return commit_all(root, text)


# ------------------------------------------------------------------------------------------ names


@pytest.mark.parametrize(("name", "kind", "parts"), [
    ("m@v1.2.3", "release", {"name": "m", "version": "1.2.3"}),
    ("team/m@v1.0.0-rc.1+b5", "release", {"name": "team/m", "version": "1.0.0-rc.1+b5"}),
    ("m@v1.2.3!", "release", {"name": "m", "version": "1.2.3", "dereg": "!"}),
    ("m@v1.2.3!#7", "release", {"name": "m", "version": "1.2.3", "dereg": "!", "n": "7"}),
    ("m#prod#3", "stage", {"name": "m", "stage": "prod", "n": "3"}),
    ("m#prod!#4", "stage", {"name": "m", "stage": "prod", "unassign": "!", "n": "4"}),
    ("m#prod", "stage", {"name": "m", "stage": "prod"}),
    ("m@deprecated", "deprecate", {"name": "m"}),
    ("m@deprecated#9", "deprecate", {"name": "m", "n": "9"}),
    ("m@v1.0.0#approved-by#qa", "approval", {"name": "m", "version": "1.0.0", "role": "qa"}),
])
def test_parse_tag_name(name: str, kind: str, parts: dict[str, str]) -> None:
    assert parse_tag_name(name) == (kind, parts)


@pytest.mark.parametrize("name", ["v1.0.0", "m", "m@", "m#", "m@v1.0.0#" + "1" * 19])
def test_not_a_gitmodel_tag(name: str) -> None:
    assert parse_tag_name(name) is None


@pytest.mark.parametrize(("text", "parsed"), [
    ("m", ("m", None, None)), ("m@v1.0.0", ("m", "1.0.0", None)), ("m@1.0.0", ("m", "1.0.0", None)),
    ("m#prod", ("m", None, "prod")), ("team/m#prod", ("team/m", None, "prod")),
])
def test_parse_ref(text: str, parsed: tuple[str, str | None, str | None]) -> None:
    assert parse_ref(text) == parsed


@pytest.mark.parametrize(("text", "says"), [("m#", "no stage after '#'"), ("m@", "no version after '@'"),
                                            ("m@v", "no version after '@'")])
def test_parse_ref_refuses_a_missing_part(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_ref(text)


def test_counter_refs_of_a_and_a_slash_b_never_clash() -> None:
    assert counter_ref("a/b", 1) != counter_ref("a", 1)
    assert counter_ref("a/b", 1).endswith("/a%2Fb/1")
    assert release_tag("m", semver.parse("1.2.3")) == "m@v1.2.3"


# --------------------------------------------------------------------------------------- the index


def test_an_empty_repo_has_an_empty_index(repo: Path) -> None:
    tags = read_tags(repo)
    assert (tags.releases, tags.stage_events, tags.warnings) == ({}, {}, [])
    assert tags.latest("m") is None
    assert tags.highest_used("m") is None
    assert tags.next_counter("m") == 1


def test_many_releases_sort_by_semver_not_by_text(repo: Path) -> None:
    versions = [f"0.{minor}.0" for minor in range(12)] + ["1.0.0-rc.1", "1.0.0", "1.0.0-alpha"]
    for v in versions:
        new_commit(repo, v)
        tag(repo, f"m@v{v}")
    tags = read_tags(repo)
    got = [str(r.version) for r in tags.releases["m"]]
    assert got[9:12] == ["0.9.0", "0.10.0", "0.11.0"]
    assert got[-3:] == ["1.0.0-alpha", "1.0.0-rc.1", "1.0.0"]
    assert str(tags.latest("m").version) == "1.0.0"  # type: ignore[union-attr]
    assert tags.warnings == []


def test_lightweight_and_misplaced_release_tags_are_warnings_not_releases(repo: Path) -> None:
    git(repo, "tag", "m@v0.1.0")                                          # lightweight
    tree = git(repo, "rev-parse", "HEAD^{tree}").stdout.strip()
    git(repo, "tag", "-a", "m@v0.2.0", "-m", "on a tree", tree)          # annotated, but not on a commit
    git(repo, "tag", "-a", "m@vnot-semver", "-m", "x")
    tags = read_tags(repo)
    assert tags.releases == {}
    assert any("m@v0.1.0: lightweight tag ignored" in w for w in tags.warnings)
    assert tags.not_releases == {"m@v0.2.0": "m@v0.2.0 points at a tree, not a commit"}
    assert any("'not-semver' is not a semantic version" in w for w in tags.warnings)


def test_two_versions_on_one_commit_warn_and_both_stay_listed(repo: Path) -> None:
    tag(repo, "m@v0.1.0")
    tag(repo, "m@v0.2.0")
    tags = read_tags(repo)
    assert [str(r.version) for r in tags.releases["m"]] == ["0.1.0", "0.2.0"]
    assert tags.warnings == ["tags m@v0.1.0 and m@v0.2.0 point at the same commit"]


def test_a_deregistered_version_is_not_active_but_stays_used(repo: Path) -> None:
    tag(repo, "m@v0.1.0")
    new_commit(repo, "two")
    tag(repo, "m@v0.2.0")
    tag(repo, "m@v0.2.0!#3")
    git(repo, "tag", "-a", "m@v0.3.0!", "-m", "deregistered before it was released", "HEAD")
    tags = read_tags(repo)
    assert [str(r.version) for r in tags.active_releases("m")] == ["0.1.0"]
    assert str(tags.latest("m").version) == "0.1.0"  # type: ignore[union-attr]
    assert tags.used_tag("m", semver.parse("0.2.0")) == "m@v0.2.0"      # its release tag is still there
    assert tags.used_tag("m", semver.parse("0.3.0")) == "m@v0.3.0!"     # never freed for reuse
    assert tags.used_tag("m", semver.parse("0.4.0")) is None
    assert str(tags.highest_used("m")) == "0.3.0"
    assert tags.next_counter("m") == 4                                   # the dereg's #3 counts


def test_stage_events_sorted_by_counter_and_counters_over_every_event(repo: Path) -> None:
    tag(repo, "m@v0.1.0")
    for event in ("m#prod#10", "m#staging#2", "m#prod!#11", "m#team/qa#5"):
        tag(repo, event)
    git(repo, "tag", "m#dev#99")                                         # lightweight: ignored, warned
    tags = read_tags(repo)
    events = tags.stage_events["m"]
    assert [(e.stage, e.counter, e.assign) for e in events] == [
        ("staging", 2, True), ("team/qa", 5, True), ("prod", 10, True), ("prod", 11, False)]
    assert "tag m#dev#99: lightweight stage tag ignored" in tags.warnings
    assert tags.next_counter("m") == 100  # GTO counts every `#N`, even on a tag it ignores


def test_reading_some_names_skips_lookalike_and_foreign_tags(repo: Path) -> None:
    for name in ("m@v0.1.0", "mm@v0.1.0", "m-2@v0.1.0", "m#team/prod#1", "Upper@v1.0.0", "x.lock@v1.0.0"):
        tag(repo, name)
    only_m = read_tags(repo, {"m"})
    assert set(only_m.releases) == {"m"}
    assert [e.stage for e in only_m.stage_events["m"]] == ["team/prod"]  # a '/' in the stage: still read
    every = read_tags(repo)
    assert set(every.releases) == {"m", "mm", "m-2"}                      # an invalid model name is no model


def test_unicode_and_odd_tag_messages_survive_the_read(repo: Path) -> None:
    message = "Release m@v0.1.0\n\nfingerprint: sha256:abc\nmanifest: models/m.yaml\n\nnotes: ünïcødé | tabs\there"
    git(repo, "tag", "-a", "m@v0.1.0", "-m", message)
    (release,) = read_tags(repo).releases["m"]
    assert release.message == message
    assert (release.subject, release.fingerprint, release.meta("manifest")) == (
        "Release m@v0.1.0", "abc", "models/m.yaml")
    assert release.commit == head(repo)
    assert release.tagger == "Test User <test@example.com>"


def test_approvals_are_read_per_version(repo: Path) -> None:
    tag(repo, "m@v0.1.0")
    git(repo, "tag", "-a", "m@v0.1.0#approved-by#qa", "-m", "m@v0.1.0 approved\n\nrole: qa\n\nlooks good")
    git(repo, "tag", "m@v0.1.0#approved-by#legal")                       # lightweight: ignored, warned
    tags = read_tags(repo)
    (approval,) = tags.approvals_of("m", semver.parse("0.1.0"))
    assert (approval.role, approval.note) == ("qa", "looks good")
    assert tags.approvals_of("m", semver.parse("0.2.0")) == []
    assert "tag m@v0.1.0#approved-by#legal: lightweight approval tag ignored" in tags.warnings


def test_deprecation_holds_until_a_later_event_revives_the_model(repo: Path, clock: Clock) -> None:
    clock.tick()
    tag(repo, "m@v0.1.0")
    clock.tick()
    tag(repo, "m@deprecated#1")
    assert read_tags(repo).deprecation("m") == "m@deprecated#1"
    clock.tick()
    tag(repo, "m#prod#2")
    tags = read_tags(repo)
    assert tags.deprecation("m") is None
    assert tags.last_event_time("m") == clock.now


def test_a_deprecation_in_the_same_second_as_the_last_event_does_not_hold(repo: Path, clock: Clock) -> None:
    clock.tick()
    tag(repo, "m@v0.1.0")
    tag(repo, "m@deprecated")  # same tagger second: GTO orders the release after it
    assert read_tags(repo).deprecation("m") is None
