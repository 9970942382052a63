"""Attacks on the registry's tags (issue 13 items 6 and 14): a deregistered version is never freed; stage
and approval tags go only on real releases; concurrent promotions never share a counter."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.model import manifest as mf
from gitmodel.model.records import replace
from tests.kit.cli import gm
from tests.kit.git import commit_all, git
from tests.kit.repos import make_model
from tests.kit.tools import gto


@pytest.fixture
def model(repo: Path) -> Path:
    return make_model(repo)


def rehash_prompt_keep_version(root: Path, text: str) -> None:
    """The attack: new prompt bytes, the manifest's hash updated by hand, its version left alone."""
    (root / "prompts" / "system.txt").write_text(text)
    data = text.encode()
    path = root / "models" / "sentiment.yaml"
    manifest = mf.load(path)
    prompts = tuple(replace(p, sha256=hashlib.sha256(data).hexdigest(), size=len(data)) for p in manifest.prompts)
    mf.save(replace(manifest, prompts=prompts), path)


def deregister(root: Path, version: str, *, delete_release: bool = False) -> None:
    git(root, "tag", "-a", f"sentiment@v{version}!", "-m", "deregistered", f"sentiment@v{version}")
    if delete_release:
        git(root, "tag", "-d", f"sentiment@v{version}")


# ----------------------------------------------------------------------------- item 6: versions never freed


@pytest.mark.parametrize("delete_release", [False, True], ids=["dereg-tag", "release-tag-deleted"])
def test_a_deregistered_only_release_keeps_its_version_used(model: Path, delete_release: bool) -> None:
    assert gm(model, "tag", "sentiment").returncode == 0
    deregister(model, "0.1.0", delete_release=delete_release)
    rehash_prompt_keep_version(model, "You are a different classifier.\n")
    checked = gm(model, "check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "version 0.1.0 was already used by the tag sentiment@v0.1.0" in checked.stderr
    assert "gitmodel bump sentiment" in checked.stderr
    # the gate CI runs says the same about the commit
    base = git(model, "rev-parse", "HEAD").stdout.strip()
    commit_all(model, "reuse 0.1.0")
    ci = gm(model, "check", "--base", base)
    assert ci.returncode == 1, ci.stdout + ci.stderr
    assert "already used by the tag sentiment@v0.1.0" in ci.stderr
    # `tag` refuses it too
    refused = gm(model, "tag", "sentiment")
    assert refused.returncode == 1
    assert "never reused" in refused.stderr


def test_the_hook_refuses_reusing_a_deregistered_version(model: Path) -> None:
    assert gm(model, "tag", "sentiment").returncode == 0
    deregister(model, "0.1.0")
    assert gm(model, "hooks", "install").returncode == 0
    rehash_prompt_keep_version(model, "You are a different classifier.\n")
    git(model, "add", "-A")
    refused = git(model, "commit", "-q", "-m", "reuse", check=False)
    assert refused.returncode != 0
    assert "already used by the tag sentiment@v0.1.0" in refused.stderr


def test_bump_goes_past_a_deregistered_version_and_the_hint_leads_to_a_release(model: Path) -> None:
    assert gm(model, "tag", "sentiment").returncode == 0
    deregister(model, "0.1.0", delete_release=True)
    rehash_prompt_keep_version(model, "You are a different classifier.\n")
    bumped = gm(model, "bump", "sentiment")
    assert bumped.returncode == 0, bumped.stderr
    assert mf.load(model / "models" / "sentiment.yaml").version == "0.1.1"
    assert gm(model, "check").returncode == 0
    commit_all(model, "sentiment 0.1.1")
    released = gm(model, "tag", "sentiment")
    assert released.returncode == 0, released.stderr
    assert "sentiment@v0.1.1" in released.stdout


def test_bump_and_tag_step_over_a_deregistered_version_above_the_latest(model: Path) -> None:
    assert gm(model, "tag", "sentiment").returncode == 0
    (model / "prompts" / "system.txt").write_text("v2\n")
    assert gm(model, "bump", "sentiment", "--minor").returncode == 0
    commit_all(model, "0.2.0")
    assert gm(model, "tag", "sentiment").returncode == 0
    deregister(model, "0.2.0", delete_release=True)     # only `sentiment@v0.2.0!` is left of it
    (model / "prompts" / "system.txt").write_text("v3\n")
    bumped = gm(model, "bump", "sentiment")
    assert bumped.returncode == 0, bumped.stderr
    assert mf.load(model / "models" / "sentiment.yaml").version == "0.3.0"
    # a hand-set version between the two is refused by `tag`
    path = model / "models" / "sentiment.yaml"
    mf.save(mf.load(path).with_version("0.1.5"), path)
    commit_all(model, "0.1.5")
    refused = gm(model, "tag", "sentiment")
    assert refused.returncode == 1
    assert "not greater than the latest release 0.2.0 (deregistered" in refused.stderr or \
        "already used by the tag sentiment@v0.2.0!" in refused.stderr, refused.stderr


# --------------------------------------------------------------- item 14: stage and approval tags on releases


def _bad_release(root: Path, kind: str) -> str:
    """A hand-made `sentiment@v0.5.0` pointing at a blob, a tree, or a commit whose manifest says 0.1.0."""
    target = {"blob": "HEAD:prompts/system.txt", "tree": "HEAD^{tree}", "commit": "HEAD",
              "no-manifest": "HEAD~1"}[kind]
    oid = git(root, "rev-parse", target).stdout.strip()
    git(root, "tag", "-a", "sentiment@v0.5.0", "-m", "hand-made", oid)
    return "sentiment@v0.5.0"


@pytest.mark.parametrize("kind", ["blob", "tree", "commit", "no-manifest"])
@pytest.mark.parametrize("command", [["promote", "sentiment@v0.5.0", "prod"],
                                     ["approve", "sentiment@v0.5.0", "--role", "ml-lead"]],
                         ids=["promote", "approve"])
def test_stage_and_approval_tags_only_on_real_releases(model: Path, kind: str, command: list[str]) -> None:
    tag = _bad_release(model, kind)
    before = set(git(model, "tag", "-l").stdout.split())
    refused = gm(model, *command)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("error: ")
    assert tag in lines[0]
    expected = {"blob": "points at a blob", "tree": "points at a tree", "commit": "whose manifest is sentiment 0.1.0",
                "no-manifest": "no manifest models/sentiment.yaml"}[kind]
    assert expected in lines[0]
    assert set(git(model, "tag", "-l").stdout.split()) == before          # nothing written
    assert git(model, "for-each-ref", "refs/gitmodel/").stdout == ""
    assert f"git tag -d {tag}" in lines[0]                                 # the hint, followed
    git(model, "tag", "-d", tag)
    after = gm(model, *command)
    assert after.returncode == 2
    assert "no release sentiment@v0.5.0" in after.stderr


def test_ten_concurrent_promotions_take_ten_distinct_counters(model: Path) -> None:
    (model / ".gitmodel.yaml").write_text("stages: null\n")
    commit_all(model, "no stage whitelist")
    assert gm(model, "tag", "sentiment").returncode == 0
    env = {**os.environ}
    procs = [subprocess.Popen([sys.executable, "-m", "gitmodel", "promote", "sentiment@v0.1.0", f"s{i}"],
                              cwd=model, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(10)]
    results = [(p.wait(timeout=300), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "")
               for p in procs]
    assert [code for code, _, _ in results] == [0] * 10, results
    tags = git(model, "tag", "-l", "sentiment#*").stdout.split()
    counters = sorted(int(t.rsplit("#", 1)[1]) for t in tags)
    assert counters == list(range(1, 11)), tags
    # tagger times strictly increase with the counter, so GTO (which orders by time) agrees
    rows = git(model, "for-each-ref", "--format=%(refname:strip=2) %(taggerdate:unix)", "refs/tags/sentiment#*"
               ).stdout.split("\n")
    times = {int(r.split()[0].rsplit("#", 1)[1]): int(r.split()[1]) for r in rows if r}
    assert [times[n] for n in range(1, 11)] == sorted(set(times.values())), times
    history = gto(model, "history", "sentiment", "--json")
    assert history.returncode == 0, history.stderr
    refs = [e["ref"] for e in json.loads(history.stdout) if e["event"] == "assignment"]
    assert [int(r.rsplit("#", 1)[1]) for r in refs] == list(range(10, 0, -1))   # GTO: newest first, by time


def test_with_tag_gpgsign_stage_tags_are_signed_by_git_and_still_counted(model: Path, tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    for k, v in (("gpg.format", "ssh"), ("user.signingkey", str(key)), ("tag.gpgSign", "true")):
        git(model, "config", k, v)
    (model / ".gitmodel.yaml").write_text("stages: null\n")
    commit_all(model, "no stage whitelist")
    assert gm(model, "tag", "sentiment").returncode == 0
    stamp = {"GIT_COMMITTER_DATE": "@1767225600 +0000"}       # every promotion in the same second
    for stage in ("dev", "prod"):
        promoted = gm(model, "promote", "sentiment@v0.1.0", stage, env=stamp)
        assert promoted.returncode == 0, promoted.stderr
    assert "-----BEGIN SSH SIGNATURE-----" in git(model, "cat-file", "-p", "sentiment#prod#2").stdout
    times = git(model, "for-each-ref", "--format=%(taggerdate:unix)", "refs/tags/sentiment#*").stdout.split()
    assert len(times) == 2
    assert len(set(times)) == 2, times                                # stamped one second apart
