"""Releases: tag (refusals, gates, message, push, sign, races), versions, show, changelog, approvals, dvc.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput, Refused
from gitmodel.model.manifest import load as load_manifest
from gitmodel.registry import releases as release
from gitmodel.registry.releases import approve, tag_release
from gitmodel.registry.stages import promote
from gitmodel.repo import git as gitcmd
from gitmodel.repo.history import versions
from gitmodel.repo.refs import show_model
from gitmodel.review.changelog import changelog
from gitmodel.storage.dvc_yaml import sync_artifact
from gitmodel.workspace.edit import bump_model
from tests.kit.cli import gm
from tests.kit.clock import Clock
from tests.kit.git import commit_all, git
from tests.kit.manifests import set_metrics
from tests.kit.repos import change_prompt_and_bump, make_model
from tests.kit.tools import gto


@pytest.fixture
def model(repo: Path, clock: Clock) -> Path:
    clock.tick()
    return make_model(repo)


# ------------------------------------------------------------------------------------- the judged flow


def test_judged_scenario_through_the_cli(model: Path, clock: Clock) -> None:
    first = gm(model, "tag", "sentiment", "-m", "First release", env=clock.env())
    assert first.returncode == 0, first.stderr
    assert "released sentiment@v0.1.0" in first.stdout

    again = gm(model, "tag", "sentiment", env=clock.env())
    assert again.returncode == 1
    assert "already released" in again.stderr
    assert again.stderr.count("\n") == 1
    assert "Traceback" not in again.stderr

    old_prompt = load_manifest(model / "models/sentiment.yaml").prompts[0].sha256
    clock.tick()
    assert change_prompt_and_bump(model, "You are a careful sentiment classifier.\n") == "0.2.0"
    second = gm(model, "tag", "sentiment", "-m", "Reworded prompt", env=clock.env())
    assert second.returncode == 0, second.stderr

    listed = gm(model, "versions", "sentiment", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [v["version"] for v in data["versions"]] == ["0.1.0", "0.2.0"]
    assert data["versions"][1]["message"] == "Reworded prompt"
    assert data["versions"][0]["tagger"] == "Test User <test@example.com>"

    shown = json.loads(gm(model, "show", "sentiment@v0.1.0", "--json").stdout)
    assert shown["manifest"]["prompts"][0]["sha256"] == old_prompt
    assert shown["fingerprint_ok"] is True

    for ref in ("sentiment@v0.1.0", "sentiment@v0.2.0"):
        step = gm(model, "promote", ref, "prod", env=clock.env())
        assert step.returncode == 0, step.stderr
    stages = json.loads(gm(model, "stages", "sentiment", "--json").stdout)
    assert stages["stages"]["prod"]["version"] == "0.2.0"

    back = gm(model, "rollback", "sentiment", "prod", env=clock.env())
    assert back.returncode == 0, back.stderr
    assert "back to v0.1.0" in back.stdout
    stages = json.loads(gm(model, "stages", "sentiment", "--json").stdout)
    assert stages["stages"]["prod"]["version"] == "0.1.0"
    assert stages["stages"]["prod"]["tag"] == "sentiment#prod#3"

    shown = gto(model, "show", "sentiment", "--json")
    assert shown.returncode == 0, shown.stderr
    by_version = {v["version"]: v for v in json.loads(shown.stdout)}
    assert set(by_version) == {"v0.1.0", "v0.2.0"}
    assert [s["stage"] for s in by_version["v0.1.0"]["stages"]] == ["prod"]
    assert by_version["v0.2.0"]["stages"] == []

    git(model, "tag", "-a", "sentiment@vbogus", "-m", "hand-made")
    bogus = gm(model, "versions", "sentiment")
    assert bogus.returncode == 0
    assert "warning: tag sentiment@vbogus" in bogus.stderr
    assert "0.1.0" in bogus.stdout
    assert "0.2.0" in bogus.stdout


# ---------------------------------------------------------------------------------------------- tag


def test_tag_message_carries_fingerprint_and_manifest(model: Path) -> None:
    result = tag_release(model, "sentiment", message="# Notes\nfirst one")
    body = git(model, "cat-file", "-p", "sentiment@v0.1.0").stdout.split("\n\n", 1)[1]
    fingerprint = load_manifest(model / "models/sentiment.yaml").fingerprint()
    assert body == (f"gitmodel release sentiment v0.1.0\n\nfingerprint: sha256:{fingerprint}\n"
                    "manifest: models/sentiment.yaml\n\n# Notes\nfirst one\n")
    assert result.commit == git(model, "rev-parse", "HEAD").stdout.strip()
    assert git(model, "cat-file", "-t", "sentiment@v0.1.0").stdout.strip() == "tag"


def test_tag_refuses_a_failing_gate_listing_each_gate(repo: Path) -> None:
    config = 'gates:\n  sentiment: {accuracy: ">= 0.85", f1: ">= 0.5"}\n'
    make_model(repo, accuracy=0.80, config=config)
    with pytest.raises(Refused) as caught:
        tag_release(repo, "sentiment")
    text = caught.value.message
    assert "accuracy >= 0.85 (0.8) FAIL" in text
    assert "f1 >= 0.5 (missing) FAIL" in text
    assert "2 of 2 gate(s) failed" in text
    assert git(repo, "tag", "-l").stdout == ""
    cli = gm(repo, "tag", "sentiment")
    assert cli.returncode == 1
    assert cli.stderr.startswith("error: models/sentiment.yaml: metrics: release sentiment@v0.1.0 refused")


def test_tag_refuses_a_missing_metric(repo: Path) -> None:
    make_model(repo, accuracy=None)
    with pytest.raises(Refused, match=r"accuracy >= 0.85 \(missing\) FAIL"):
        tag_release(repo, "sentiment")


def test_gate_star_default_applies_to_every_model(repo: Path) -> None:
    make_model(repo, config='gates:\n  "*": {f1: "> 0.7"}\n')
    set_metrics(repo, {"f1": 0.75})
    commit_all(repo, "nested metrics")
    bump_model(repo, "sentiment")
    result = tag_release(repo, "sentiment", rev="HEAD")
    assert [g.passed for g in result.gates] == [True]


def test_tag_refuses_a_stale_manifest_at_the_commit(model: Path) -> None:
    (model / "prompts/system.txt").write_text("edited without bump\n")
    commit_all(model, "edit prompt only")
    with pytest.raises(Refused, match=r"prompts/system.txt: prompts changed"):
        tag_release(model, "sentiment")
    assert git(model, "tag", "-l").stdout == ""


def test_tag_refuses_uncommitted_manifest_changes(model: Path) -> None:
    set_metrics(model, {"accuracy": 0.99})
    with pytest.raises(Refused, match="uncommitted changes"):
        tag_release(model, "sentiment")
    # an explicit --rev releases the committed manifest
    assert tag_release(model, "sentiment", rev="HEAD").tag == "sentiment@v0.1.0"


def test_tag_refuses_a_manifest_that_was_never_committed(repo: Path) -> None:
    (repo / "artifacts").mkdir()
    (repo / "artifacts/model.bin").write_bytes(b"w")
    from gitmodel.workspace.edit import add_model

    add_model(repo, "sentiment", weights=["artifacts/model.bin"], force_git=["artifacts/model.bin"])
    with pytest.raises(Refused, match="not committed"):
        tag_release(repo, "sentiment")
    with pytest.raises(InvalidInput, match="no such model"):
        tag_release(repo, "other")


def test_tag_refuses_a_version_not_above_the_latest(model: Path, clock: Clock) -> None:
    tag_release(model, "sentiment")
    clock.tick()
    change_prompt_and_bump(model, "v2\n")
    tag_release(model, "sentiment")
    git(model, "checkout", "-q", "-b", "old", "sentiment@v0.1.0")
    (model / "notes.txt").write_text("x")
    commit_all(model, "unrelated")
    with pytest.raises(Refused, match="already released"):
        tag_release(model, "sentiment")


def test_tag_refuses_a_lower_version_made_on_an_old_branch(model: Path, clock: Clock) -> None:
    tag_release(model, "sentiment")
    clock.tick()
    change_prompt_and_bump(model, "v2\n")
    tag_release(model, "sentiment")                                    # latest: 0.2.0
    git(model, "checkout", "-q", "-b", "hotfix", "sentiment@v0.1.0")
    (model / "prompts/system.txt").write_text("hotfix\n")
    bumped = bump_model(model, "sentiment").new_version                # bump knows better: 0.3.0
    manifest_path = model / "models/sentiment.yaml"
    manifest_path.write_text(manifest_path.read_text().replace(f"version: {bumped}", "version: 0.1.5"))
    commit_all(model, "hotfix on 0.1")
    with pytest.raises(Refused, match="0.1.5 is not greater than the latest release 0.2.0"):
        tag_release(model, "sentiment")


def test_tag_at_another_revision(model: Path) -> None:
    first = git(model, "rev-parse", "HEAD").stdout.strip()
    (model / "notes.txt").write_text("later\n")
    commit_all(model, "later")
    assert tag_release(model, "sentiment", rev=first[:10]).commit == first
    with pytest.raises(InvalidInput, match="unknown revision"):
        tag_release(model, "sentiment", rev="nope")


def test_tag_push_sends_only_that_tag(model: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(model, "remote", "add", "origin", str(remote))
    git(model, "tag", "-a", "unrelated", "-m", "not mine")
    result = tag_release(model, "sentiment", push=True)
    assert result.pushed_to == "origin"
    assert git(remote, "tag", "-l").stdout.split() == ["sentiment@v0.1.0"]
    assert git(remote, "cat-file", "-t", "sentiment@v0.1.0").stdout.strip() == "tag"


def test_push_without_a_remote_fails_but_keeps_the_tag(model: Path) -> None:
    with pytest.raises(InvalidInput, match="no remote"):
        tag_release(model, "sentiment", push=True)
    assert git(model, "tag", "-l").stdout.split() == ["sentiment@v0.1.0"]


def test_sign_uses_gits_own_signing(model: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    git(model, "config", "gpg.format", "ssh")
    git(model, "config", "user.signingkey", str(key))
    tag_release(model, "sentiment", sign=True)
    assert "-----BEGIN SSH SIGNATURE-----" in git(model, "cat-file", "-p", "sentiment@v0.1.0").stdout


def test_losing_the_race_is_refused_and_the_tag_is_unchanged(model: Path) -> None:
    winner = tag_release(model, "sentiment", message="winner")
    # the loser passed every check before the winner's tag landed: git itself must refuse it
    with pytest.raises(Refused, match="already released"):
        release._create(model, winner.tag, winner.commit, "loser\n", sign=False, already="0.1.0 is already "
                        "released", where="models/sentiment.yaml: version")
    assert git(model, "rev-parse", winner.tag).stdout.strip() == winner.tag_object


def test_a_locked_ref_is_refused_not_forced(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(release, "_wait_for_ref", lambda root, ref: False)
    lock = model / ".git/refs/tags/sentiment@v0.1.0.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text("")
    with pytest.raises(Refused, match="locked by another git process"):
        tag_release(model, "sentiment")
    assert not gitmodel_tags(model)


def gitmodel_tags(root: Path) -> list[str]:
    return git(root, "tag", "-l").stdout.split()


def test_two_concurrent_tag_commands(model: Path) -> None:
    env = {**os.environ}
    procs = [subprocess.Popen([sys.executable, "-m", "gitmodel", "tag", "sentiment", "-m", f"from {who}"],
                              cwd=model, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("A", "B")]
    results = [(p.wait(), *p.communicate(), who) for p, who in zip(procs, ("A", "B"), strict=True)]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 1], results
    loser = next(r for r in results if r[0] == 1)
    winner = next(r for r in results if r[0] == 0)
    assert "already released" in loser[2]
    assert "Traceback" not in loser[2]
    body = git(model, "cat-file", "-p", "sentiment@v0.1.0").stdout
    assert body.rstrip().endswith(f"from {winner[3]}")
    assert gitmodel_tags(model) == ["sentiment@v0.1.0"]


# ------------------------------------------------------------------------------------------ versions


def test_versions_skips_bogus_lightweight_and_foreign_tags(model: Path) -> None:
    tag_release(model, "sentiment", message="one")
    git(model, "tag", "-a", "sentiment@vbogus", "-m", "x")
    git(model, "tag", "sentiment@v9.9.9")                         # lightweight: skipped with a warning
    git(model, "tag", "-a", "v1.0", "-m", "app release")           # foreign
    git(model, "tag", "-a", "other@v1.0.0", "-m", "other model")   # another model
    result = versions(model, "sentiment")
    assert [v.version for v in result.versions] == ["0.1.0"]
    assert any("sentiment@vbogus" in w for w in result.warnings)
    assert any("sentiment@v9.9.9" in w and "lightweight" in w for w in result.warnings)
    assert not any("v1.0" in w.split()[1] for w in result.warnings if w.startswith("tag v1.0"))
    assert len(result.warnings) == 2


def test_versions_sorts_by_semver_not_by_date(model: Path, clock: Clock) -> None:
    clock.now += 10_000
    clock.tick()
    tag_release(model, "sentiment")                                    # 0.1.0, late date
    clock.now -= 5_000
    clock.tick()
    change_prompt_and_bump(model, "two\n")
    tag_release(model, "sentiment")                                    # 0.2.0, earlier date
    found = versions(model, "sentiment").versions
    assert [v.version for v in found] == ["0.1.0", "0.2.0"]
    assert found[0].date > found[1].date


def test_versions_of_an_unknown_model(repo: Path) -> None:
    with pytest.raises(InvalidInput, match="no such model"):
        versions(repo, "ghost")
    assert gm(repo, "versions", "ghost").returncode == 2


def test_show_release_reports_a_fingerprint_mismatch(model: Path) -> None:
    git(model, "tag", "-a", "sentiment@v0.1.0", "-m",
        "gitmodel release sentiment v0.1.0\n\nfingerprint: sha256:" + "0" * 64 + "\nmanifest: models/sentiment.yaml")
    assert show_model(model, "sentiment@v0.1.0").fingerprint_ok is False
    cli = gm(model, "show", "sentiment@v0.1.0")
    assert cli.returncode == 1
    assert "fingerprint mismatch" in cli.stderr


# ----------------------------------------------------------------------------------------- changelog


def test_changelog_newest_first_with_level_reasons_and_message(model: Path, clock: Clock, tmp_path: Path) -> None:
    set_metrics(model, {"accuracy": 0.88})
    bump_model(model, "sentiment")
    commit_all(model, "metrics")
    tag_release(model, "sentiment", message="Baseline.")
    clock.tick()
    change_prompt_and_bump(model, "better prompt\n", accuracy=0.91)
    tag_release(model, "sentiment", message="Reworded the system prompt.")
    result = changelog(model, "sentiment")
    md = result.markdown
    assert md.index("## v0.2.0") < md.index("## v0.1.0")
    assert "**minor** since v0.1.0: prompts/system.txt changed; metrics.accuracy 0.88 → 0.91" in md
    assert "Reworded the system prompt." in md
    assert "Baseline." in md
    assert "first release" in md
    assert "Test User <test@example.com>" in md
    assert "fingerprint:" not in md

    target = tmp_path / "CHANGELOG.md"
    cli = gm(model, "changelog", "sentiment", "-o", str(target))
    assert cli.returncode == 0, cli.stderr
    assert target.read_text() == md
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".CHANGELOG")]
    as_json = json.loads(gm(model, "changelog", "sentiment", "--json").stdout)
    assert [(r["version"], r["level"]) for r in as_json["releases"]] == [("0.2.0", "minor"), ("0.1.0", None)]
    unwritable = gm(model, "changelog", "sentiment", "-o", str(tmp_path))
    assert unwritable.returncode == 2
    assert "cannot write" in unwritable.stderr


def test_changelog_of_gto_message(model: Path) -> None:
    git(model, "tag", "-a", "sentiment@v0.1.0", "-m", "Registering artifact sentiment version v0.1.0")
    entry = changelog(model, "sentiment").entries[0]
    assert entry.message == "Registering artifact sentiment version v0.1.0"


# ----------------------------------------------------------------------------------------- approvals


def test_approve_records_an_annotated_tag_listed_by_versions_and_show(model: Path) -> None:
    rel = tag_release(model, "sentiment")
    result = approve(model, "sentiment@v0.1.0", "ml-lead", "eval report reviewed")
    assert result.tag == "sentiment@v0.1.0#approved-by#ml-lead"
    assert git(model, "cat-file", "-t", result.tag).stdout.strip() == "tag"
    assert git(model, "rev-parse", f"{result.tag}^{{commit}}").stdout.strip() == rel.commit
    info = versions(model, "sentiment").versions[0]
    assert [(a.role, a.tagger, a.note) for a in info.approvals] == [
        ("ml-lead", "Test User <test@example.com>", "eval report reviewed")]
    shown = json.loads(gm(model, "show", "sentiment@v0.1.0", "--json").stdout)
    assert [a["role"] for a in shown["approvals"]] == ["ml-lead"]
    assert "# approvals: ml-lead by Test User" in gm(model, "show", "sentiment@v0.1.0").stdout
    with pytest.raises(Refused, match="already approved"):
        approve(model, "sentiment@v0.1.0", "ml-lead")
    with pytest.raises(InvalidInput, match="invalid role"):
        approve(model, "sentiment@v0.1.0", "ML Lead")
    with pytest.raises(InvalidInput, match="no release"):
        approve(model, "sentiment@v9.0.0", "legal")


def test_an_approval_on_the_wrong_commit_is_ignored(model: Path) -> None:
    tag_release(model, "sentiment")
    git(model, "tag", "-a", "sentiment@v0.1.0#approved-by#legal", "HEAD~1", "-m", "forged")
    result = versions(model, "sentiment")
    assert result.versions[0].approvals == []
    assert any("approved-by#legal" in w for w in result.warnings)


def test_approvals_gate_promotion(model: Path) -> None:
    (model / ".gitmodel.yaml").write_text('stages: [prod]\napprovals: {prod: [ml-lead, legal]}\n')
    commit_all(model, "approvals")
    bump_model(model, "sentiment")
    tag_release(model, "sentiment")
    approve(model, "sentiment@v0.1.0", "ml-lead")
    with pytest.raises(Refused) as caught:
        promote(model, "sentiment@v0.1.0", "prod")
    assert "needs approval by: legal (approved by: ml-lead)" in caught.value.message
    assert caught.value.hint == "gitmodel approve sentiment@v0.1.0 --role legal"
    approve(model, "sentiment@v0.1.0", "legal")
    assert promote(model, "sentiment@v0.1.0", "prod").tag == "sentiment#prod#1"


def test_gto_ignores_approval_tags(model: Path) -> None:
    tag_release(model, "sentiment")
    approve(model, "sentiment@v0.1.0", "ml-lead")
    shown = gto(model, "show", "sentiment", "--json")
    assert shown.returncode == 0, shown.stderr
    assert [v["version"] for v in json.loads(shown.stdout)] == ["v0.1.0"]


# ------------------------------------------------------------------------------------------ dvc.yaml


def test_dvc_yaml_artifact_kept_in_step_with_comments_and_stages(repo: Path) -> None:
    (repo / ".dvc").mkdir()
    (repo / "dvc.yaml").write_text("# pipeline, hand-written\nstages:\n  train:\n    cmd: python train.py\n"
                                   "artifacts:\n  other:\n    path: other.pkl\n    type: model\n"
                                   "    labels: [keep]\n")
    make_model(repo)
    text = (repo / "dvc.yaml").read_text()
    assert text.startswith("# pipeline, hand-written\nstages:\n  train:\n    cmd: python train.py\n")
    assert "labels: [keep]" in text
    assert ("  sentiment:\n    path: artifacts/model.bin\n    type: model\n    desc: Sentiment classifier\n"
            in text)
    assert git(repo, "ls-files", "dvc.yaml").stdout.strip() == "dvc.yaml"
    # a new description reaches dvc.yaml on bump; a second sync changes nothing
    manifest = load_manifest(repo / "models/sentiment.yaml")
    from gitmodel.model.manifest import save
    from gitmodel.model.records import replace

    save(replace(manifest, description="Ticket sentiment"), repo / "models/sentiment.yaml")
    result = bump_model(repo, "sentiment")
    assert "dvc.yaml" in result.staged
    assert "desc: Ticket sentiment" in (repo / "dvc.yaml").read_text()
    again = sync_artifact(repo, load_manifest(repo / "models/sentiment.yaml"))
    assert again.changed is False


def test_dvc_yaml_is_left_alone_outside_dvc_and_for_names_dvc_refuses(repo: Path) -> None:
    make_model(repo)
    assert not (repo / "dvc.yaml").exists()
    (repo / ".dvc").mkdir()
    manifest = load_manifest(repo / "models/sentiment.yaml")
    from gitmodel.model.records import replace

    dotted = sync_artifact(repo, replace(manifest, name="team.ranker"))
    assert dotted.changed is False
    assert dotted.skipped
    assert "artifact name" in dotted.skipped
    (repo / "dvc.yaml").write_text("artifacts: [broken\n")
    with pytest.raises(InvalidInput, match="dvc.yaml"):
        sync_artifact(repo, manifest)
    assert (repo / "dvc.yaml").read_text() == "artifacts: [broken\n"
    # bump still works; tag releases and says DVC will not find the release
    (repo / "prompts/system.txt").write_text("changed\n")
    assert "dvc.yaml" not in bump_model(repo, "sentiment").staged
    commit_all(repo, "bump with a broken dvc.yaml")
    assert "not valid YAML" in tag_release(repo, "sentiment").notes[0]


@pytest.mark.slow
def test_dvc_resolves_a_gitmodel_release(repo: Path) -> None:
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    commit_all(repo, "dvc init")
    make_model(repo)
    tag_release(repo, "sentiment")
    promote(repo, "sentiment@v0.1.0", "prod")
    import dvc.api

    shown = dvc.api.artifacts_show("sentiment", stage="prod", repo=str(repo))
    assert shown == {"rev": git(repo, "rev-parse", "HEAD").stdout.strip(), "path": "artifacts/model.bin"}


def test_tag_warns_when_dvc_yaml_is_out_of_step(model: Path) -> None:
    (model / ".dvc").mkdir()
    result = tag_release(model, "sentiment")
    assert result.notes
    assert "no artifacts.sentiment entry" in result.notes[0]
    assert gitcmd.ref_exists(model, "refs/tags/sentiment@v0.1.0")
