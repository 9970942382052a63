"""Roles are people: promote to a protected stage refuses every forged approval, with real ssh-keygen keys and
real git signing/verification; the right signer passes; resolve(verify=True) needs a verified stage event."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitmodel.infra.errors import Refused
from gitmodel.registry.releases import approve, tag_release
from gitmodel.registry.stages import promote
from gitmodel.storage.resolve import resolve
from tests.kit.cli import gm
from tests.kit.clock import Clock
from tests.kit.git import commit_all, git
from tests.kit.repos import change_prompt_and_bump, make_model
from tests.kit.signing import GOVERNED, Team, gnupg_home, governed_model, write_signers
from tests.kit.tools import gto, need_tool


@pytest.fixture
def governed(repo: Path, team: Team, clock: Clock) -> Path:
    clock.tick()
    return governed_model(repo, team)


def refusal(repo: Path, ref: str = "sentiment@v0.1.0", stage: str = "prod") -> str:
    """promote through the CLI: exit 1 and one line on stderr; returns it."""
    done = gm(repo, "promote", ref, stage)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1, done.stderr
    assert not git(repo, "tag", "-l", "sentiment#prod#*").stdout.strip()
    return done.stderr


def test_the_release_and_approval_are_signed_and_the_right_signer_passes(governed: Path, team: Team) -> None:
    assert "-----BEGIN SSH SIGNATURE-----" in git(governed, "cat-file", "-p", "sentiment@v0.1.0").stdout
    team.alice.act(governed)
    result = approve(governed, "sentiment@v0.1.0", "ml-lead")
    body = git(governed, "cat-file", "-p", result.tag).stdout
    assert "-----BEGIN SSH SIGNATURE-----" in body
    release_object = git(governed, "rev-parse", "sentiment@v0.1.0").stdout.strip()
    assert f"release-object: {release_object}" in body  # bound to the release tag object
    stage = promote(governed, "sentiment@v0.1.0", "prod")
    assert stage.tag == "sentiment#prod#1"
    assert stage.approvals == ["ml-lead"]
    assert "-----BEGIN SSH SIGNATURE-----" in git(governed, "cat-file", "-p", stage.tag).stdout
    assert resolve("sentiment#prod", repo=governed, verify=True).version == "0.1.0"


def test_an_unsigned_approval_is_refused(governed: Path, team: Team) -> None:
    team.alice.act(governed)
    release_object = git(governed, "rev-parse", "sentiment@v0.1.0").stdout.strip()
    git(governed, "tag", "-a", "--no-sign", "sentiment@v0.1.0#approved-by#ml-lead", "sentiment@v0.1.0^{commit}",
        "-m", f"gitmodel approval\n\nrelease: sentiment@v0.1.0\nversion: v0.1.0\nrelease-object: {release_object}\n")
    line = refusal(governed)
    assert "approval sentiment@v0.1.0#approved-by#ml-lead is unsigned (tagger Alice <alice@example.com>)" in line
    assert "require_signatures" in line


def test_a_strangers_signature_is_refused(governed: Path, team: Team) -> None:
    team.stranger.act(governed)
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    line = refusal(governed)
    assert "is unknown key SHA256:" in line
    assert "stranger@example.com" in line  # the tagger it claims
    assert "a key in .gitmodel/allowed_signers" in line


def test_a_signer_outside_the_role_is_refused(governed: Path, team: Team) -> None:
    team.mallory.act(governed)  # her key is known, but she is not an ml-lead: the role name is forged
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    line = refusal(governed)
    assert "is signed by mallory@example.com, who is not in roles.ml-lead" in line


def test_a_signature_under_a_false_name_is_its_keys(governed: Path, team: Team) -> None:
    team.mallory.act(governed)
    git(governed, "config", "user.email", "alice@example.com")  # the tagger line claims alice
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    assert "is signed by mallory@example.com, who is not in roles.ml-lead" in refusal(governed)


def test_the_releasers_own_approval_is_refused_under_distinct(governed: Path, team: Team) -> None:
    team.bob.act(governed)  # bob released 0.1.0 and is an ml-lead
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    line = refusal(governed)
    assert "is by bob@example.com, who released sentiment@v0.1.0: approvals.prod.distinct is true" in line


def test_an_approval_moved_to_another_version_is_refused(governed: Path, team: Team, clock: Clock) -> None:
    clock.tick()
    change_prompt_and_bump(governed, "You are a careful sentiment classifier.\n")
    tag_release(governed, "sentiment")  # bob: 0.2.0
    team.alice.act(governed)
    good = approve(governed, "sentiment@v0.2.0", "ml-lead")
    # copy alice's signed approval of 0.2.0 under 0.1.0's name: the signature still verifies
    oid = git(governed, "rev-parse", good.tag).stdout.strip()
    git(governed, "update-ref", "refs/tags/sentiment@v0.1.0#approved-by#ml-lead", oid)
    line = refusal(governed)
    assert "holds the tag object named sentiment@v0.2.0#approved-by#ml-lead (retargeted)" in line


def test_an_approval_of_a_retagged_release_is_refused(governed: Path, team: Team, clock: Clock) -> None:
    team.alice.act(governed)
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    old = git(governed, "rev-parse", "sentiment@v0.1.0").stdout.strip()
    # the release is deleted and tagged again (signed, same commit): alice approved the old tag object
    team.bob.act(governed)
    git(governed, "tag", "-d", "sentiment@v0.1.0")
    clock.tick()  # (the same second, message and key would give the very same tag object)
    tag_release(governed, "sentiment", rev="HEAD", message="again")
    line = refusal(governed)
    assert f"it approves release object {old[:12]}" in line
    assert "another release" in line


def test_fewer_than_count_is_refused(repo: Path, team: Team, clock: Clock) -> None:
    clock.tick()
    make_model(repo, config=GOVERNED.replace("count: 1", "count: 2").replace("distinct: true", "distinct: false"))
    write_signers(repo, team.alice, team.bob)
    commit_all(repo, "governance")
    team.bob.act(repo)
    tag_release(repo, "sentiment")
    team.alice.act(repo)
    approve(repo, "sentiment@v0.1.0", "ml-lead")
    team.alice.act(repo)
    with pytest.raises(Refused, match="already approved as ml-lead by Alice"):
        approve(repo, "sentiment@v0.1.0", "ml-lead")  # one person, one approval per role
    assert "1 of 2 different people approved (approvals.prod.count)" in refusal(repo)
    team.bob.act(repo)
    second = approve(repo, "sentiment@v0.1.0", "ml-lead")
    assert second.tag == "sentiment@v0.1.0#approved-by#ml-lead#2"
    assert promote(repo, "sentiment@v0.1.0", "prod").approvals == ["ml-lead"]


def test_a_roles_change_in_the_same_change_grants_nothing(governed: Path, team: Team, clock: Clock) -> None:
    # on a branch, mallory adds herself to ml-lead in the same commit as a new model version
    git(governed, "checkout", "-q", "-b", "mallory")
    clock.tick()
    (governed / ".gitmodel.yaml").write_text(GOVERNED.replace("bob@example.com]", "bob@example.com, "
                                                                                  "mallory@example.com]"))
    change_prompt_and_bump(governed, "You are a sentiment classifier. Always answer pos.\n")
    team.bob.act(governed)
    tag_release(governed, "sentiment")
    team.mallory.act(governed)
    approve(governed, "sentiment@v0.2.0", "ml-lead")
    git(governed, "checkout", "-q", "main")  # promoted from the trusted branch: its roles apply
    line = refusal(governed, "sentiment@v0.2.0")
    assert "is signed by mallory@example.com, who is not in roles.ml-lead" in line


def test_resolve_verify_refuses_an_unsigned_stage_event(governed: Path, team: Team) -> None:
    team.alice.act(governed)
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    git(governed, "tag", "-a", "--no-sign", "sentiment#prod#1", "sentiment@v0.1.0^{commit}", "-m", "by hand")
    assert resolve("sentiment#prod", repo=governed).version == "0.1.0"  # unverified reads still work
    with pytest.raises(Refused, match=r"sentiment#prod#1 is unsigned: a verified read needs a stage event signed"):
        resolve("sentiment#prod", repo=governed, verify=True)


def test_gto_reads_signed_releases_and_stage_events(governed: Path, team: Team, clock: Clock) -> None:
    team.alice.act(governed)
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    team.lee.act(governed)
    git(governed, "config", "user.email", "lee@example.com")
    clock.tick()
    promote(governed, "sentiment@v0.1.0", "prod")
    shown = gto(governed, "show", "sentiment", "--json")
    assert shown.returncode == 0, shown.stderr
    (version,) = json.loads(shown.stdout)
    assert version["version"] == "v0.1.0"
    assert [stage["stage"] for stage in version["stages"]] == ["prod"]


def test_an_approval_with_the_wrong_key_can_be_redone_with_the_right_one(governed: Path, team: Team) -> None:
    team.alice.act(governed)
    git(governed, "config", "user.signingkey", str(team.stranger.key))  # alice's old laptop key
    approve(governed, "sentiment@v0.1.0", "ml-lead")
    assert "is unknown key SHA256:" in refusal(governed)
    team.alice.act(governed)
    again = approve(governed, "sentiment@v0.1.0", "ml-lead")
    assert again.tag == "sentiment@v0.1.0#approved-by#ml-lead#2"
    assert promote(governed, "sentiment@v0.1.0", "prod").tag == "sentiment#prod#1"
    shown = gto(governed, "show", "sentiment", "--json")  # GTO skips both approval tags, #2 included
    assert shown.returncode == 0, shown.stderr
    assert [v["version"] for v in json.loads(shown.stdout)] == ["v0.1.0"]
    with pytest.raises(Refused, match="already approved as ml-lead by Alice"):
        approve(governed, "sentiment@v0.1.0", "ml-lead")


@pytest.fixture
def gnupg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """GNUPGHOME: a fresh GnuPG home with a short path (tests/kit/signing.py says why)."""
    with gnupg_home() as home:
        monkeypatch.setenv("GNUPGHOME", str(home))
        yield home


def test_a_gpg_signer_is_matched_by_fingerprint(repo: Path, team: Team, clock: Clock, gnupg: Path) -> None:
    gpg = need_tool("gpg")
    fingerprints = {}
    for who in ("lee", "eve"):
        subprocess.run([gpg, "--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                        f"{who.title()} <{who}@example.com>", "ed25519", "sign", "never"], check=True,
                       capture_output=True)
        listing = subprocess.run([gpg, "--list-keys", "--with-colons", f"{who}@example.com"], check=True,
                                 capture_output=True, text=True).stdout
        fingerprints[who] = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))
    config = GOVERNED.replace("legal: [lee@example.com]", f"legal: [{fingerprints['lee']}]").replace(
        "roles: [ml-lead], distinct: true", "roles: [legal], distinct: true")
    clock.tick()
    governed_model(repo, team, config)  # bob releases with his SSH key

    def sign_as(who: str) -> None:
        git(repo, "config", "gpg.format", "openpgp")
        git(repo, "config", "user.signingkey", fingerprints[who])
        git(repo, "config", "user.email", f"{who}@example.com")

    sign_as("eve")  # a key in the keyring, so git verifies it: but not the one listed under legal
    approve(repo, "sentiment@v0.1.0", "legal")
    assert f"is signed by {fingerprints['eve']}, who is not in roles.legal" in refusal(repo)
    sign_as("lee")
    approve(repo, "sentiment@v0.1.0", "legal")
    assert promote(repo, "sentiment@v0.1.0", "prod").approvals == ["legal"]
    assert resolve("sentiment#prod", repo=repo, verify=True).version == "0.1.0"  # lee's own GPG-signed event
    # a stage event GPG-signed by a key no role lists is not a known signer's (git verifies any keyring key)
    sign_as("eve")
    git(repo, "tag", "-s", "sentiment#dev#7", "sentiment@v0.1.0^{commit}", "-m", "eve's own promotion")
    audited = json.loads(gm(repo, "audit", "sentiment", "--json").stdout)
    (eves,) = [e for e in audited["events"] if e["tag"] == "sentiment#dev#7"]
    assert eves["problem"] == f"sentiment#dev#7 is signed by {fingerprints['eve']}, whom no role lists (roles:)"
    with pytest.raises(Refused, match=f"sentiment#dev#7 is signed by {fingerprints['eve']}, whom no role lists"):
        resolve("sentiment#dev", repo=repo, verify=True)
