"""gitmodel and the real GTO CLI agree (issue 14 items 5-7): deregistration and deprecation, same-second
stage events, and model names GTO cannot represent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitmodel.infra.errors import Refused
from gitmodel.registry.releases import tag_release
from gitmodel.registry.stages import promote, stages
from gitmodel.storage.export import locate_release
from tests.kit.cli import gm
from tests.kit.clock import Clock
from tests.kit.git import commit_all
from tests.kit.repos import change_prompt_and_bump, make_model
from tests.kit.tools import gto


@pytest.fixture
def two(repo: Path, clock: Clock) -> Path:
    """sentiment 0.1.0 and 0.2.0 released, each in its own minute."""
    clock.tick()
    make_model(repo)
    tag_release(repo, "sentiment")
    clock.tick()
    change_prompt_and_bump(repo, "You are a careful sentiment classifier.\n")
    tag_release(repo, "sentiment")
    return repo


def gto_stages(root: Path) -> dict[str, str]:
    """stage → version as `gto show NAME --json` reports it (GTO's own view)."""
    shown = gto(root, "show", "sentiment", "--json")
    assert shown.returncode == 0, shown.stderr
    held: dict[str, str] = {}
    for version in json.loads(shown.stdout):
        for stage in version["stages"]:
            held[stage["stage"]] = version["version"].removeprefix("v")
    return held


def gitmodel_stages(root: Path) -> dict[str, str]:
    return {stage: h.version for stage, h in stages(root, "sentiment").holders.items() if h is not None}


def must(result: object) -> None:
    assert getattr(result, "returncode", 1) == 0, getattr(result, "stderr", "")


# ------------------------------------------------------------------------- item 5: deregistration, deprecation


def test_a_deregistered_version_leaves_every_stage_as_in_gto(two: Path, clock: Clock) -> None:
    clock.tick()
    promote(two, "sentiment@v0.1.0", "prod")
    clock.tick()
    promote(two, "sentiment@v0.2.0", "prod")
    clock.tick()
    promote(two, "sentiment@v0.2.0", "staging")
    clock.tick()
    must(gto(two, "deprecate", "sentiment", "v0.2.0"))      # the real deregistration: sentiment@v0.2.0!
    assert gto_stages(two) == {"prod": "0.1.0"}
    assert gitmodel_stages(two) == {"prod": "0.1.0"}
    assert locate_release(two, "sentiment#prod").version == "0.1.0"
    with pytest.raises(Refused, match="no version of sentiment is in stage 'staging'"):
        locate_release(two, "sentiment#staging")
    listed = json.loads(gm(two, "versions", "sentiment", "--json").stdout)
    assert [(v["version"], v["deregistered"], v["stages"]) for v in listed["versions"]] == [
        ("0.1.0", False, ["prod"]), ("0.2.0", True, [])]
    ls = json.loads(gm(two, "ls", "--json").stdout)
    assert ls[0]["stages"] == {"prod": "0.1.0"}


def test_deregistering_the_only_holder_empties_the_stage_and_resolve_refuses(two: Path, clock: Clock) -> None:
    clock.tick()
    promote(two, "sentiment@v0.2.0", "prod")
    clock.tick()
    must(gto(two, "deprecate", "sentiment", "v0.2.0"))
    assert gto_stages(two) == {}
    assert gitmodel_stages(two) == {}
    refused = gm(two, "get", "sentiment#prod", "--out", str(two.parent / "out"))
    assert refused.returncode == 1
    assert "no version of sentiment is in stage 'prod'" in refused.stderr
    assert not (two.parent / "out").exists()


def test_artifact_deprecation_means_the_same_in_gitmodel_and_gto(two: Path, clock: Clock) -> None:
    clock.tick()
    promote(two, "sentiment@v0.2.0", "prod")
    clock.tick()
    must(gto(two, "deprecate", "sentiment"))                # sentiment@deprecated
    assert json.loads(gto(two, "show", "sentiment", "--json").stdout) == []
    assert gitmodel_stages(two) == {}
    with pytest.raises(Refused, match=r"sentiment is deprecated \(sentiment@deprecated\)"):
        locate_release(two, "sentiment#prod")
    with pytest.raises(Refused, match="deprecated"):
        locate_release(two, "sentiment")
    assert locate_release(two, "sentiment@v0.1.0").version == "0.1.0"  # a named version stays reachable
    shown = gm(two, "stages", "sentiment")
    assert "warning: sentiment is deprecated (sentiment@deprecated)" in shown.stderr
    assert json.loads(gm(two, "stages", "sentiment", "--json").stdout)["deprecated"] == "sentiment@deprecated"
    versions = gm(two, "versions", "sentiment")
    assert "sentiment is deprecated" in versions.stderr
    assert json.loads(gm(two, "versions", "sentiment", "--json").stdout)["deprecated"] == "sentiment@deprecated"
    ls = gm(two, "ls")
    assert "(deprecated)" in ls.stdout
    assert json.loads(gm(two, "ls", "--json").stdout)[0]["deprecated"] == "sentiment@deprecated"
    # a later event revives the model, in GTO and in gitmodel alike
    clock.tick()
    promote(two, "sentiment@v0.1.0", "prod")
    assert gto_stages(two) == gitmodel_stages(two) == {"prod": "0.1.0"}
    assert stages(two, "sentiment").deprecated is None


# ------------------------------------------------------------------------ item 6: events in the same second


def test_stage_events_in_one_second_are_ordered_the_same_by_gto(two: Path, clock: Clock) -> None:
    clock.tick()  # from here every git call sees the same second
    for ref in ("sentiment@v0.2.0", "sentiment@v0.1.0", "sentiment@v0.2.0", "sentiment@v0.1.0"):
        promote(two, ref, "prod")
    assert gitmodel_stages(two) == {"prod": "0.1.0"}
    assert gto_stages(two) == {"prod": "0.1.0"}
    history = gto(two, "history", "sentiment", "--json")
    assert history.returncode == 0, history.stderr
    events = [e for e in json.loads(history.stdout) if e["event"] == "assignment"]
    # GTO lists newest first by time: the counters must come out in the same order
    assert [e["ref"] for e in events] == [f"sentiment#prod#{n}" for n in (4, 3, 2, 1)]


# ------------------------------------------------------------------------ item 7: names GTO cannot represent


def test_a_dotted_name_is_warned_about_once_with_the_reason(repo: Path) -> None:
    (repo / "artifacts").mkdir()
    (repo / "artifacts" / "m.bin").write_bytes(b"weights")
    added = gm(repo, "add", "llm.chat", "--weights", "artifacts/m.bin", "--git", "artifacts/m.bin")
    assert added.returncode == 0, added.stderr
    warnings = [line for line in added.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, added.stderr
    assert "GTO and DVC cannot represent the model name 'llm.chat'" in warnings[0]
    assert "'llm-chat'" in warnings[0]
    # the warning is true: real gto does not see the release gitmodel made
    commit_all(repo, "add llm.chat")
    assert gm(repo, "tag", "llm.chat").returncode == 0
    assert gto(repo, "show", "llm.chat").returncode != 0
    # a name GTO can represent gets no warning, and real gto lists it
    (repo / "artifacts" / "n.bin").write_bytes(b"other weights")
    plain = gm(repo, "add", "llm-chat", "--weights", "artifacts/n.bin", "--git", "artifacts/n.bin")
    assert plain.returncode == 0, plain.stderr
    assert "warning:" not in plain.stderr
    commit_all(repo, "add llm-chat")
    assert gm(repo, "tag", "llm-chat").returncode == 0
    shown = gto(repo, "show", "llm-chat", "--json")
    assert shown.returncode == 0, shown.stderr
    assert [v["version"] for v in json.loads(shown.stdout)] == ["v0.1.0"]
