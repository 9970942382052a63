"""The adversary's tests for the gate, second round: attacks not listed in issue 13.

A hostile contributor with push access to a branch tries to land a change to a pinned byte without a version
bump by changing what the gate judges with (the config's policy, the manifests directory), by renaming or
moving manifests, by reshaping DVC pointers, and by version tricks. Each commit must be refused by the
pre-commit hook or, when hooks are skipped, by `gitmodel check --base`.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.kit.cli import gm
from tests.kit.files import replace_in
from tests.kit.gate import PROMPT, dvcrepo, gitrepo, refused_and_caught
from tests.kit.git import commit, git, push
from tests.kit.manifests import MANIFEST

__all__ = ["dvcrepo", "gitrepo"]  # fixtures


def lower_policy(root: Path, component: str = "prompts", level: str = "patch") -> None:
    """Soften the policy, and bump the version by just what the softer policy asks (0.1.0 → 0.1.1)."""
    replace_in(root / ".gitmodel.yaml", f"  {component}: minor", f"  {component}: {level}")


def patch_bump(root: Path) -> None:
    replace_in(root / MANIFEST, "version: 0.1.0", "version: 0.1.1")


def change_prompt(root: Path) -> None:
    """A new prompt, and the manifest re-pinned to it by hand (sha256, size), version kept: fresh, unbumped."""
    text = (root / PROMPT).read_bytes()
    new = b"You label support tickets. Say 'positive' for everything.\n"
    (root / PROMPT).write_bytes(new)
    replace_in(root / MANIFEST, hashlib.sha256(text).hexdigest(), hashlib.sha256(new).hexdigest())
    manifest = (root / MANIFEST).read_text()
    manifest = re.sub(rf"(path: {PROMPT}\n(?:\s+\w+: .*\n)*?\s+size: ){len(text)}\n", rf"\g<1>{len(new)}\n", manifest)
    (root / MANIFEST).write_text(manifest)


def test_policy_lowered_in_the_same_commit_does_not_let_the_change_through(gitrepo: Path) -> None:
    repo = gitrepo
    git(repo, "branch", "base")
    change_prompt(repo)
    lower_policy(repo)
    patch_bump(repo)
    git(repo, "add", "-A")
    refused, caught = refused_and_caught(repo, "prompts need no bump any more")
    assert "sentiment: models/sentiment.yaml: version 0.1.1 is not a minor bump" in refused.stderr
    assert "under the policy of HEAD" in refused.stderr
    assert "run `gitmodel bump sentiment --minor`" in refused.stderr
    assert "under the policy of base" in caught.stderr
    # the hint, followed, leads to a commit both layers accept
    assert gm(repo, "bump", "sentiment", "--minor").returncode == 0
    assert "version: 0.2.0" in (repo / MANIFEST).read_text()
    fixed = commit(repo, "bumped", "-a")
    assert fixed.returncode == 0, fixed.stderr
    assert gm(repo, "check", "--base", "base").returncode == 0
    # once merged, the softer policy is the rule: a later prompt change needs only a patch bump
    git(repo, "branch", "-f", "base", "HEAD")
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "release 0.2.0")
    (repo / PROMPT).write_text("Another wording.\n")
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert "version: 0.2.1" in (repo / MANIFEST).read_text()
    later = commit(repo, "reword again", "-a")
    assert later.returncode == 0, later.stderr


def test_policy_lowered_in_an_earlier_commit_of_the_branch_is_caught_by_check_base(gitrepo: Path) -> None:
    repo = gitrepo
    git(repo, "branch", "base")
    lower_policy(repo)
    assert commit(repo, "relax the policy", "-a").returncode == 0  # a config change alone changes no byte
    change_prompt(repo)
    patch_bump(repo)
    commit(repo, "reword", "-a", "--no-verify")
    caught = gm(repo, "check", "--base", "base")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert "version 0.1.1 is not a minor bump" in caught.stderr
    assert "prompts: minor under the policy of base" in caught.stderr
    assert len(caught.stderr.splitlines()) == 2  # the finding, the summary
    pushed = push(repo, "main")  # pre-push: the remote branch's policy is the floor
    assert pushed.returncode == 1, pushed.stderr
    assert "version 0.1.1 is not a minor bump" in pushed.stderr
    # the hint, followed: bump, and the branch passes
    assert gm(repo, "bump", "sentiment", "--minor").returncode == 0
    assert commit(repo, "bump", "-a").returncode == 0
    assert gm(repo, "check", "--base", "base").returncode == 0
    assert push(repo, "main").returncode == 0


def test_manifests_directory_moved_with_the_manifest_in_the_same_commit(gitrepo: Path) -> None:
    repo = gitrepo
    git(repo, "branch", "base")
    change_prompt(repo)
    replace_in(repo / ".gitmodel.yaml", "manifests: models", "manifests: elsewhere")
    (repo / "elsewhere").mkdir()
    git(repo, "mv", MANIFEST, "elsewhere/sentiment.yaml")
    git(repo, "add", "-A")
    refused, caught = refused_and_caught(repo, "moved")
    assert "sentiment: elsewhere/sentiment.yaml: version 0.1.0 is already released" in refused.stderr
    assert "cannot be read" not in refused.stderr
    assert "version 0.1.0 is already released" in caught.stderr
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "bumped", "-a").returncode == 0
    assert gm(repo, "check", "--base", "base").returncode == 0


def test_version_lowered_while_the_manifests_directory_moved_is_caught_by_check_base(gitrepo: Path) -> None:
    """`_since_base` reads base's manifests where BASE's config puts them."""
    repo = gitrepo
    replace_in(repo / MANIFEST, "version: 0.1.0", "version: 0.3.0")
    assert commit(repo, "0.3.0 unreleased", "-a").returncode == 0
    git(repo, "branch", "base")
    replace_in(repo / ".gitmodel.yaml", "manifests: models", "manifests: elsewhere")
    (repo / "elsewhere").mkdir()
    git(repo, "mv", MANIFEST, "elsewhere/sentiment.yaml")
    replace_in(repo / "elsewhere/sentiment.yaml", "version: 0.3.0", "version: 0.2.0")
    assert commit(repo, "moved, lowered", "-a", "--no-verify").returncode == 0
    caught = gm(repo, "check", "--base", "base")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert "version lowered since base (0.3.0 → 0.2.0)" in caught.stderr


def test_manifests_directory_moved_away_from_the_manifests(gitrepo: Path) -> None:
    repo = gitrepo
    git(repo, "branch", "base")
    change_prompt(repo)
    replace_in(repo / ".gitmodel.yaml", "manifests: models", "manifests: nothing-here")
    git(repo, "add", "-A")
    refused, _ = refused_and_caught(repo, "moved")
    assert "sentiment" in refused.stderr


def test_model_renamed_to_escape_its_release_history(gitrepo: Path) -> None:
    repo = gitrepo
    git(repo, "branch", "base")
    change_prompt(repo)
    git(repo, "mv", MANIFEST, "models/sentiment2.yaml")
    replace_in(repo / "models/sentiment2.yaml", "name: sentiment", "name: sentiment2")
    git(repo, "add", "-A")
    refused_and_caught(repo, "renamed")


# ------------------------------------------------------------------------------ paths that collide


def test_a_path_that_differs_from_a_pinned_path_only_by_case_is_refused(gitrepo: Path) -> None:
    """On a case-insensitive checkout (macOS, Windows) `Prompts/sentiment.txt` and the pinned
    `prompts/sentiment.txt` are one file: whichever git writes last is what the model loads."""
    repo = gitrepo
    git(repo, "branch", "base")
    (repo / "Prompts").mkdir()
    (repo / "Prompts" / "sentiment.txt").write_text("Say 'positive' for everything.\n")
    git(repo, "add", "Prompts/sentiment.txt")
    refused, caught = refused_and_caught(repo, "a look-alike")
    assert "Prompts/sentiment.txt" in refused.stderr
    line = next(x for x in caught.stderr.splitlines() if "Prompts/sentiment.txt" in x)
    assert "on a macOS or Windows checkout" in line
    assert "run `git rm --cached -- Prompts/sentiment.txt`" in line
    git(repo, "rm", "-q", "--cached", "--", "Prompts/sentiment.txt")
    assert commit(repo, "drop the look-alike").returncode == 0
    assert gm(repo, "check", "--base", "base").returncode == 0


@pytest.mark.parametrize("lookalike", ["prompts/sentiment.txt.", "prompts/sentiment.txt ", "prompts./sentiment.txt"])
def test_a_path_that_windows_reads_as_a_pinned_path_is_refused(gitrepo: Path, lookalike: str) -> None:
    """Windows drops a component's trailing dots and spaces: these are the pinned prompt there."""
    repo = gitrepo
    (repo / lookalike).parent.mkdir(exist_ok=True)
    (repo / lookalike).write_text("Say 'positive' for everything.\n")
    git(repo, "add", "--", lookalike)
    refused = commit(repo, "a look-alike")
    assert refused.returncode == 1, refused.stderr
    assert f"sentiment: {lookalike}: is prompts/sentiment.txt (prompts) on a macOS or Windows" in refused.stderr


@pytest.mark.parametrize(("lookalike", "original"), [("models/Sentiment.yaml", MANIFEST),
                                                     ("models/sentiment.yaml.", MANIFEST),
                                                     (".GitModel.yaml", ".gitmodel.yaml")])
def test_a_lookalike_of_a_manifest_or_the_config_is_refused(gitrepo: Path, lookalike: str, original: str) -> None:
    """`models/Sentiment.yaml` is no manifest to gitmodel on Linux, but replaces the manifest (and its pins) on
    a macOS checkout; `.GitModel.yaml` replaces the config (its policy) there."""
    repo = gitrepo
    git(repo, "branch", "base")
    text = (repo / original).read_text()
    (repo / lookalike).write_text(text.replace("minor", "none"))
    git(repo, "add", "--", lookalike)
    refused = commit(repo, "a look-alike")
    assert refused.returncode == 1, refused.stderr
    if lookalike == "models/Sentiment.yaml":  # in the manifests directory: a manifest whose name is not its file's
        assert refused.stderr.startswith("error: models/Sentiment.yaml: name: name 'sentiment' does not match"), refused.stderr
        return
    assert f": {lookalike}: is {original} (" in refused.stderr
    assert commit(repo, "skip the hook", "--no-verify").returncode == 0
    caught = gm(repo, "check", "--base", "base")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert f"run `git rm --cached -- {lookalike}`" in caught.stderr


def test_a_pinned_path_in_another_unicode_normal_form_is_refused(repo: Path) -> None:
    """`café.txt` in NFC (pinned) and NFD (added): one file on macOS."""
    from gitmodel.workspace.edit import add_model
    from gitmodel.workspace.init_repo import init_repo

    init_repo(repo, dvc=False)
    nfc, nfd = "prompts/caf\u00e9.txt", "prompts/cafe\u0301.txt"
    (repo / "prompts").mkdir()
    (repo / nfc).write_text("ok\n")
    (repo / "w.bin").write_text("w\n")
    add_model(repo, "m", weights=["w.bin"], prompts=[nfc], force_git=["w.bin"])
    assert commit(repo, "add m").returncode == 0
    git(repo, "tag", "-a", "m@v0.1.0", "-m", "release")
    (repo / nfd).write_text("evil\n")
    git(repo, "add", "-A")
    refused = commit(repo, "look-alike")
    assert refused.returncode == 1, refused.stderr
    assert "on a macOS or Windows checkout" in refused.stderr


def test_a_file_added_to_a_git_stored_pinned_directory_is_a_change(repo: Path) -> None:
    from gitmodel.workspace.edit import add_model
    from gitmodel.workspace.init_repo import init_repo

    init_repo(repo, dvc=False)
    (repo / "data" / "d").mkdir(parents=True)
    (repo / "data" / "d" / "a.txt").write_text("a\n")
    (repo / "w.bin").write_text("w\n")
    add_model(repo, "m", weights=["w.bin"], data=["data/d"], force_git=["w.bin", "data/d"])
    assert commit(repo, "add m").returncode == 0
    git(repo, "tag", "-a", "m@v0.1.0", "-m", "release")
    (repo / "data" / "d" / "b.txt").write_text("b\n")
    git(repo, "add", "data/d/b.txt")
    refused = commit(repo, "one more file")
    assert refused.returncode == 1, refused.stderr
    assert "m: data/d: data changed" in refused.stderr


def test_an_uppercase_md5_in_a_pointer_is_refused_and_the_hint_restores_it(dvcrepo: Path) -> None:
    repo = dvcrepo
    pointer = repo / "artifacts" / "model.bin.dvc"
    text = pointer.read_text()
    md5 = re.search(r"md5: (\S+)", text).group(1)  # type: ignore[union-attr]
    pointer.write_text(text.replace(md5, md5.upper()))
    git(repo, "add", "-A")
    refused = commit(repo, "case")
    assert refused.returncode == 1, refused.stderr
    assert "weights changed (DVC pointer) (577ef879 → 577EF879)".replace("577ef879", md5[:8]).replace(
        "577EF879", md5[:8].upper()) in refused.stderr
    # the hint, followed: `bump` re-tracks the file, the pointer is DVC's again and nothing is left to commit
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert md5 in pointer.read_text()
    git(repo, "add", "-A")
    assert git(repo, "status", "--porcelain").stdout == ""
    assert gm(repo, "check", "--staged").returncode == 0


# ------------------------------------------------------------------------- a storage move that lies


def test_a_storage_move_to_dvc_that_keeps_the_sha256_but_pins_other_bytes_is_caught_in_ci(repo: Path) -> None:
    """The released git-stored prompt "moves" to DVC (a patch-level change): the manifest keeps its sha256,
    but the new pointer's md5 names other bytes, pushed to the remote. No pair was released with a DVC
    md5, so only the bytes tell: `check --base --verify-objects` fetches them."""
    from tests.kit.dvc import make_model_repo
    from tests.kit.gate import dvc

    root = make_model_repo(repo)
    prompt = "prompts/system.txt"
    git(root, "rm", "-q", "--cached", prompt)
    (root / prompt).write_text("You are a sentiment classifier. Always say positive.\n")
    dvc(root, "add", "-q", prompt)
    md5 = re.search(r"md5: (\S+)", (root / f"{prompt}.dvc").read_text()).group(1)  # type: ignore[union-attr]
    manifest = (root / MANIFEST).read_text()
    manifest = re.sub(rf"(- path: {prompt}\n(?:  .*\n)*?)  storage: git\n", rf"\g<1>  storage: dvc\n  md5: {md5}\n",
                      manifest).replace("version: 0.1.0", "version: 0.1.1")
    (root / MANIFEST).write_text(manifest)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", "move the prompt to DVC")
    assert gm(root, "push").returncode == 0
    caught = gm(root, "check", "--base", "sentiment@v0.1.0", "--verify-objects")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert f"the bytes under md5 {md5} hash to sha256" in caught.stderr


# ------------------------------------------------------------------------- symlinks in the index


def test_a_pinned_file_replaced_by_a_symlink_in_the_index_is_refused_with_a_hint_that_works(gitrepo: Path) -> None:
    """git stores a symlink's target, not the bytes: a prompt that becomes a link to another file (inside
    the repo, so no path check trips) is refused, and the hint says how to get the file back."""
    repo = gitrepo
    (repo / "prompts" / "evil.txt").write_text("Say 'positive' for everything.\n")
    (repo / PROMPT).unlink()
    (repo / PROMPT).symlink_to("evil.txt")
    git(repo, "add", "-A")
    refused, caught = refused_and_caught(repo, "link", "origin/main")
    line = refused.stderr.splitlines()[0]
    assert line.startswith("sentiment: prompts/sentiment.txt: prompts file is a symlink in git"), line
    assert "prompts file is a symlink in git" in caught.stderr
    # the hint, followed, leads to a commit the hook and CI accept
    fix = line.split("run `", 1)[1].rstrip("`")
    done = subprocess.run(["sh", "-c", fix], cwd=repo, text=True, capture_output=True)  # as a user types it
    assert done.returncode == 0, done.stderr
    assert not (repo / PROMPT).is_symlink()
    fixed = commit(repo, "the file itself", "-a")
    assert fixed.returncode == 0, fixed.stderr
    assert gm(repo, "check", "--base", "origin/main").returncode == 0


def test_a_dvc_pointer_replaced_by_a_symlink_is_refused(dvcrepo: Path) -> None:
    repo = dvcrepo
    pointer = repo / "artifacts" / "model.bin.dvc"
    (repo / "artifacts" / "other.dvc").write_text(pointer.read_text())
    pointer.unlink()
    pointer.symlink_to("other.dvc")
    git(repo, "add", "-A")
    refused = commit(repo, "link")
    assert refused.returncode == 1, refused.stderr
    assert "sentiment: artifacts/model.bin.dvc: weights file is a symlink in git" in refused.stderr


# ---------------------------------------------------------------------------------- version tricks


@pytest.mark.parametrize(("version", "code"), [
    ("0.1.0+retrained", 1),   # build metadata: the same precedence as the release
    ("0.1.1", 1),             # a patch where the policy asks minor
    ("0.1.1-rc.1", 1),        # a pre-release of a patch
    ("0.1.0-rc.1", 1),        # lower than the release
    ("00.2.0", 2),            # leading zeros: not SemVer
    ("v0.2.0", 2),
    ("0.2.0-rc.1", 0),        # a pre-release of the minor bump the change needs: honest
])
def test_version_tricks_on_an_unbumped_change(gitrepo: Path, version: str, code: int) -> None:
    repo = gitrepo
    git(repo, "branch", "base")
    change_prompt(repo)
    replace_in(repo / MANIFEST, "version: 0.1.0", f"version: '{version}'")
    git(repo, "add", "-A")
    judged = commit(repo, f"version {version}")
    assert judged.returncode == min(code, 1), judged.stderr  # git reports any hook failure as 1
    if code == 2:
        assert judged.stderr.startswith("error: models/sentiment.yaml: version: not a semantic version")
    if code:
        assert len(judged.stderr.splitlines()) <= 3, judged.stderr  # the finding(s), summary, refusal
        assert commit(repo, "skip the hook", "--no-verify").returncode == 0
    caught = gm(repo, "check", "--base", "base")
    assert caught.returncode == code, caught.stdout + caught.stderr


# ------------------------------------------------------------------- a pointer that sends DVC elsewhere


@pytest.mark.parametrize(("old", "new"), [
    ("  hash: md5\n", ""),                           # DVC 2's md5-dos2unix: another place in cache and remote
    ("  hash: md5\n", "  hash: md5-dos2unix\n"),
    ("  hash: md5\n", "  hash: md5\n  remote: elsewhere\n"),  # a per-output remote
    ("  hash: md5\n", "  hash: md5\n  cache: false\n"),        # not in the cache: git-ignored bytes, never fetched
])
def test_a_pointer_whose_md5_stays_but_which_sends_dvc_elsewhere_is_refused(dvcrepo: Path, old: str, new: str) -> None:
    """The md5 is the manifest's, but DVC would look for it in another store (a DVC 2 hash, a per-output
    remote) where other bytes may sit under that name: the pointer changed what `dvc pull` brings."""
    repo = dvcrepo
    pointer = repo / "artifacts" / "model.bin.dvc"
    replace_in(pointer, old, new)
    git(repo, "add", "-A")
    refused, _ = refused_and_caught(repo, "pointer")
    line = refused.stderr.splitlines()[0]
    assert line.startswith("sentiment: artifacts/model.bin: DVC pointer artifacts/model.bin.dvc"), line
    # the hint, followed, restores a pointer both layers accept
    fix = line.split("run `", 1)[1].rstrip("`")
    done = subprocess.run(["sh", "-c", fix], cwd=repo, text=True, capture_output=True)  # as a user types it
    assert done.returncode == 0, done.stderr
    fixed = commit(repo, "pointer back", "-a")
    assert fixed.returncode == 0, fixed.stderr
    assert gm(repo, "check", "--base", "base").returncode == 0


# ------------------------------------------------------------- git bytes at a DVC-pinned path


def test_a_file_git_tracks_at_a_dvc_pinned_path_is_refused(dvcrepo: Path) -> None:
    """`git add -f` puts other bytes at the pinned path: a clone checks them out there, pointer unchanged."""
    repo = dvcrepo
    (repo / "artifacts" / "model.bin").unlink()
    (repo / "artifacts" / "model.bin").write_bytes(b"evil weights")
    git(repo, "add", "-f", "artifacts/model.bin")
    refused, _ = refused_and_caught(repo, "weights in git too")
    assert "sentiment: artifacts/model.bin: weights artifacts/model.bin is stored in DVC, but git tracks" \
        in refused.stderr
    assert "run `git rm -r -q --cached -- artifacts/model.bin`" in refused.stderr
    git(repo, "rm", "-r", "-q", "--cached", "--", "artifacts/model.bin")  # the hint, followed
    assert commit(repo, "weights back to DVC only").returncode == 0
    assert gm(repo, "check", "--base", "base").returncode == 0


def test_a_file_added_through_git_inside_a_dvc_pinned_directory_is_refused(repo: Path) -> None:
    from tests.kit.dvc import make_model_repo

    root = make_model_repo(repo)
    gm(root, "hooks", "install")
    (root / "data" / "train" / "extra.csv").write_text("text,label\nevil,pos\n")
    git(root, "add", "-f", "data/train/extra.csv")
    refused = commit(root, "one more row file")
    assert refused.returncode == 1, refused.stderr
    assert "sentiment: data/train/extra.csv: data data/train is stored in DVC, but git tracks 1 file(s)" \
        in refused.stderr


# ---------------------------------------------------------------- where the commit is made from


@pytest.mark.parametrize("where", ["subdirectory", "git-dir-from-outside", "linked-worktree"])
def test_an_unbumped_change_is_refused_wherever_the_commit_is_made_from(gitrepo: Path, tmp_path: Path,
                                                                         where: str) -> None:
    repo, env = gitrepo, dict(os.environ)
    if where == "linked-worktree":
        git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
        repo = tmp_path / "wt"
    change_prompt(repo)
    git(repo, "add", "-A")
    cwd = repo / "prompts"
    if where == "git-dir-from-outside":
        cwd = tmp_path
        env.update(GIT_DIR=str(repo / ".git"), GIT_WORK_TREE=str(repo))
    refused = subprocess.run(["git", "commit", "-m", "reword"], cwd=cwd, env=env, text=True, capture_output=True)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "sentiment: models/sentiment.yaml: version 0.1.0 is already released" in refused.stderr


def test_a_pointer_with_a_second_output_is_refused_and_the_hint_restores_it(dvcrepo: Path) -> None:
    """A second `outs` entry would make `dvc pull` write a second file the manifest does not pin."""
    repo = dvcrepo
    pointer = repo / "artifacts" / "model.bin.dvc"
    text = pointer.read_text()
    pointer.write_text(text + text.split("outs:\n", 1)[1].replace("path: model.bin", "path: serve.py"))
    git(repo, "add", "-A")
    refused = commit(repo, "two outputs")
    assert refused.returncode == 1, refused.stderr
    line = refused.stderr.strip()
    assert line.startswith("error: artifacts/model.bin.dvc: outs: not a DVC pointer with exactly one output"), line
    assert len(refused.stderr.splitlines()) == 1
    fix = line.split("re-create it: `", 1)[1].rstrip("`")
    done = subprocess.run(["sh", "-c", fix], cwd=repo, text=True, capture_output=True)  # the hint, followed
    assert done.returncode == 0, done.stderr
    assert git(repo, "status", "--porcelain").stdout == ""  # the released pointer again: nothing to commit
    assert gm(repo, "check", "--staged").returncode == 0


# ----------------------------------------------------------- a pair that contradicts an older release


def test_a_pair_that_contradicts_an_older_release_is_caught_by_check_base(repo: Path) -> None:
    """0.3.0 pins 0.1.0's sha256 beside an md5 of other bytes (the hook holds pairs against the latest
    release, 0.2.0, for speed): `check --base` holds them against every release."""
    from tests.kit.dvc import make_model_repo, put_object, second_version
    from tests.kit.manifests import entry, set_entry

    root = make_model_repo(repo)
    first = entry(root, "artifacts/model.bin")
    second_version(root)
    git(root, "branch", "base")
    evil = put_object(b"\x00other weights")
    set_entry(root, "artifacts/model.bin", sha256=first.sha256, md5=evil, size=first.size)
    replace_in(root / MANIFEST, "version: 0.2.0", "version: 0.3.0")
    git(root, "commit", "-q", "--no-verify", "-am", "roll back to the first weights, 0.3.0")
    caught = gm(root, "check", "--base", "base")
    assert caught.returncode == 1, caught.stdout + caught.stderr
    assert f"was released with md5 {first.md5[:8]} (sentiment@v0.1.0)" in caught.stderr
    # the honest roll-back (0.1.0's own pair) passes
    set_entry(root, "artifacts/model.bin", md5=first.md5)
    git(root, "commit", "-q", "--no-verify", "-am", "the real first weights")
    assert gm(root, "check", "--base", "base").returncode == 0


def test_a_pin_moved_onto_a_path_whose_lookalike_is_already_committed_is_refused(gitrepo: Path) -> None:
    """The hook looks for look-alikes among the staged paths of a path HEAD already pins (those HEAD holds
    were judged when committed); a pin new in the commit is judged against the whole index, so a look-alike
    committed earlier, when no model pinned the path, is still found."""
    repo = gitrepo
    git(repo, "branch", "base")
    text = (repo / PROMPT).read_text()
    (repo / "prompts/other.txt").write_text(text)
    (repo / "Prompts").mkdir()
    (repo / "Prompts/other.txt").write_text("Say 'positive' for everything.\n")
    git(repo, "add", "--", "prompts/other.txt", "Prompts/other.txt")
    assert commit(repo, "two files no model pins").returncode == 0  # unrelated to any model: let in
    replace_in(repo / MANIFEST, PROMPT, "prompts/other.txt")
    assert gm(repo, "bump", "sentiment").returncode == 0
    git(repo, "add", "--", MANIFEST)
    refused, caught = refused_and_caught(repo, "the prompt moved onto a look-alike")
    assert "sentiment: Prompts/other.txt: is prompts/other.txt (prompts) on a macOS or Windows" in refused.stderr
    assert "Prompts/other.txt" in caught.stdout + caught.stderr
