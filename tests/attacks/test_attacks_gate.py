"""The adversary's tests for the gate (issue 13 items 1, 3, 4, 5, 7; issue 14 items 8, 9).

Each test plays a hostile contributor or a busy team against the real hooks (real `git commit`, `git merge`,
`git push`), `gitmodel check --base` and, where the issue says so, the real pre-commit framework.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.workspace.edit import add_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.files import replace_in
from tests.kit.gate import PROMPT, dvc, dvcrepo, gitrepo, refused_and_caught
from tests.kit.git import commit, git, push
from tests.kit.manifests import MANIFEST

__all__ = ["dvcrepo", "gitrepo"]  # fixtures


# ------------------------------------------------------------------------------------------- helpers


def field_of(root: Path, key: str) -> str:
    """The first `key: value` of the manifest (the weights entry's, for sha256/md5)."""
    match = re.search(rf"^\s*-?\s*{key}: (\S+)$", (root / MANIFEST).read_text(), re.M)
    assert match, key
    return match.group(1)


def retrain(root: Path) -> str:
    """New weights, `dvc add`ed as a user would: returns the new pointer's md5."""
    (root / "artifacts" / "model.bin").write_bytes(b"\x00weights v2\x01" * 64)
    dvc(root, "add", "-q", "artifacts/model.bin")
    match = re.search(r"md5: (\S+)", (root / "artifacts" / "model.bin.dvc").read_text())
    assert match
    return match.group(1)


# ------------------------------------------------------------------- issue 13 item 1: md5-only swap


@pytest.mark.slow
def test_md5_only_swap_is_refused_by_hook_check_base_and_pre_push(dvcrepo: Path, tmp_path: Path) -> None:
    """New weights, `dvc add`, only the manifest's md5 edited: sha256 and version kept. Every layer refuses."""
    repo = dvcrepo
    old_md5 = field_of(repo, "md5")
    new_md5 = retrain(repo)
    replace_in(repo / MANIFEST, old_md5, new_md5)
    git(repo, "add", "-A")
    refused, caught = refused_and_caught(repo, "new weights, same version")
    assert "sentiment: artifacts/model.bin:" in refused.stderr
    assert "run `gitmodel bump sentiment`" in refused.stderr
    assert "artifacts/model.bin" in caught.stderr

    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    pushed = push(repo, "main")
    assert pushed.returncode != 0
    assert "artifacts/model.bin" in pushed.stderr
    assert git(bare, "rev-parse", "-q", "--verify", "refs/heads/main", check=False).returncode != 0

    # the hint, followed, leads to a committable state
    bumped = gm(repo, "bump", "sentiment")
    assert bumped.returncode == 0, bumped.stderr
    fixed = commit(repo, "bumped", "-a")
    assert fixed.returncode == 0, fixed.stderr
    assert gm(repo, "check", "--base", "base").returncode == 0


@pytest.mark.slow
def test_a_hash_pair_that_disagrees_with_the_release_is_refused_even_when_bumped(dvcrepo: Path) -> None:
    """The md5 moved (new bytes) but the sha256 still names the released bytes; the version was bumped so
    the bump rule alone is satisfied. The pair (sha256, md5) contradicts the release: refused."""
    repo = dvcrepo
    old_md5 = field_of(repo, "md5")
    new_md5 = retrain(repo)
    replace_in(repo / MANIFEST, old_md5, new_md5)
    replace_in(repo / MANIFEST, "version: 0.1.0", "version: 0.2.0")
    git(repo, "add", "-A")
    refused = commit(repo, "bumped, but the sha256 lies")
    assert refused.returncode == 1, refused.stderr
    assert "was released with" in refused.stderr
    assert "artifacts/model.bin" in refused.stderr
    # working-tree mode, in a clone that never pulled the weights: the pair alone gives it away
    (repo / "artifacts" / "model.bin").unlink()
    worktree = gm(repo, "check")
    assert worktree.returncode == 1, worktree.stderr
    assert "was released with" in worktree.stderr


@pytest.mark.slow
def test_a_sha256_only_swap_is_refused(dvcrepo: Path) -> None:
    """sha256 edited (and version bumped) while the pointer and md5 still name the released bytes."""
    repo = dvcrepo
    replace_in(repo / MANIFEST, field_of(repo, "sha256"), "ab" * 32)
    replace_in(repo / MANIFEST, "version: 0.1.0", "version: 0.2.0")
    git(repo, "add", "-A")
    refused = commit(repo, "claims other bytes")
    assert refused.returncode == 1, refused.stderr
    assert "was released with" in refused.stderr
    assert commit(repo, "skip", "--no-verify").returncode == 0
    assert gm(repo, "check", "--base", "base").returncode == 1


# ------------------------------------------------------------ issue 13 item 3: LFS-pointer-shaped text


def test_lfs_pointer_shaped_text_in_a_git_stored_prompt_is_a_change(gitrepo: Path) -> None:
    repo = gitrepo
    sha = field_of(repo, "sha256")  # the weights' entry comes first; take the prompt's
    prompt_sha = re.findall(r"sha256: (\S+)", (repo / MANIFEST).read_text())[1]
    assert prompt_sha != sha
    forged = f"version https://git-lfs.github.com/spec/v1\noid sha256:{prompt_sha}\nsize 27\n"
    (repo / PROMPT).write_text(forged)
    git(repo, "add", PROMPT)
    refused = commit(repo, "prompt that looks like a pointer")
    assert refused.returncode == 1, refused.stderr
    assert "sentiment: prompts/sentiment.txt: prompts changed" in refused.stderr

    worktree = gm(repo, "check")
    assert worktree.returncode == 1, worktree.stderr
    assert "prompts/sentiment.txt" in worktree.stderr

    git(repo, "branch", "base", "origin/main")
    assert commit(repo, "skip", "--no-verify").returncode == 0
    caught = gm(repo, "check", "--base", "base")
    assert caught.returncode == 1, caught.stderr
    assert "prompts/sentiment.txt: prompts changed" in caught.stderr


# ------------------------------------------------------------ issue 13 item 5: config from the index


def test_an_unstaged_config_edit_does_not_change_what_the_hook_judges(gitrepo: Path) -> None:
    """`manifests: elsewhere` in the work tree only: the staged prompt change is judged all the same."""
    repo = gitrepo
    (repo / PROMPT).write_text("a reworded prompt, not bumped\n")
    git(repo, "add", PROMPT)
    (repo / "elsewhere").mkdir()
    (repo / ".gitmodel.yaml").write_text("manifests: elsewhere\n")  # in the work tree only
    refused = commit(repo, "reword")
    assert refused.returncode == 1, refused.stderr
    assert "sentiment: prompts/sentiment.txt: prompts changed" in refused.stderr
    # and the next commit, after the config is restored, is judged the same way (no stale hook index)
    git(repo, "checkout", "--", ".gitmodel.yaml")
    assert commit(repo, "reword").returncode == 1


def test_an_unstaged_softer_policy_does_not_lower_the_required_bump(gitrepo: Path) -> None:
    """The work tree's config says prompts need a patch; the staged (committed) one says minor."""
    repo = gitrepo
    (repo / ".gitmodel.yaml").write_text("policy: {prompts: patch}\n")
    (repo / PROMPT).write_text("a reworded prompt\n")
    bumped = gm(repo, "bump", "sentiment")  # reads the work tree's (softer) config: 0.1.1
    assert bumped.returncode == 0, bumped.stderr
    assert "version: 0.1.1" in (repo / MANIFEST).read_text()
    git(repo, "add", PROMPT, MANIFEST)
    refused = commit(repo, "reword with a patch bump")
    assert refused.returncode == 1, refused.stderr
    assert "version 0.1.1 is not a minor bump of the latest release 0.1.0" in refused.stderr


def test_a_staged_config_is_the_one_judged(gitrepo: Path) -> None:
    """The staged config moves the manifests: judged from the index, the model is found there."""
    repo = gitrepo
    git(repo, "mv", "models", "registry")
    (repo / ".gitmodel.yaml").write_text("manifests: registry\n")
    git(repo, "add", ".gitmodel.yaml")
    (repo / ".gitmodel.yaml").write_text("manifests: models\n")  # the work tree says otherwise
    (repo / PROMPT).write_text("reworded again\n")
    git(repo, "add", PROMPT)
    refused = commit(repo, "move and reword")
    assert refused.returncode == 1, refused.stderr
    assert "prompts/sentiment.txt: prompts changed" in refused.stderr


# -------------------------------------------------------------------- issue 13 item 4: merge commits


def install_pre_merge_commit(root: Path) -> None:
    hook = root / ".git" / "hooks" / "pre-merge-commit"
    if hook.exists():
        return  # `gitmodel hooks install` put it there
    hook.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gitmodel.hook pre-merge-commit "$@"\n')
    hook.chmod(0o755)


def test_a_merge_bringing_an_unbumped_change_is_refused(gitrepo: Path) -> None:
    repo = gitrepo
    install_pre_merge_commit(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / PROMPT).write_text("reworded on a branch, hook skipped\n")
    git(repo, "add", PROMPT)
    assert commit(repo, "reword", "--no-verify").returncode == 0
    git(repo, "checkout", "-q", "main")
    (repo / "NOTES.md").write_text("unrelated\n")
    git(repo, "add", "NOTES.md")
    assert commit(repo, "notes").returncode == 0
    before = git(repo, "rev-parse", "HEAD").stdout
    merged = subprocess.run(["git", "merge", "--no-ff", "-m", "merge feature", "feature"], cwd=repo, text=True,
                            capture_output=True)
    assert merged.returncode != 0
    assert "sentiment: prompts/sentiment.txt: prompts changed" in merged.stderr
    assert "run `gitmodel bump sentiment`" in merged.stderr
    assert git(repo, "rev-parse", "HEAD").stdout == before


def test_a_merge_bringing_a_bumped_change_passes(gitrepo: Path) -> None:
    repo = gitrepo
    install_pre_merge_commit(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / PROMPT).write_text("reworded and bumped\n")
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "reword", "-a").returncode == 0
    git(repo, "checkout", "-q", "main")
    (repo / "NOTES.md").write_text("unrelated\n")
    git(repo, "add", "NOTES.md")
    assert commit(repo, "notes").returncode == 0
    merged = subprocess.run(["git", "merge", "--no-ff", "-m", "merge feature", "feature"], cwd=repo, text=True,
                            capture_output=True)
    assert merged.returncode == 0, merged.stderr
    assert git(repo, "rev-list", "--count", "--merges", "HEAD").stdout.strip() == "1"


def test_a_merge_reusing_a_version_released_meanwhile_is_refused(gitrepo: Path) -> None:
    """Both branches bump to 0.2.0 with different prompts; main releases its 0.2.0 first. The merge (no
    textual conflict: the branch changed only the prompt file main left alone) reuses a released version."""
    repo = gitrepo
    install_pre_merge_commit(repo)
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "artifacts" / "sentiment.bin").write_text("weights v2 from the branch\n")
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "retrain", "-a").returncode == 0
    git(repo, "checkout", "-q", "main")
    (repo / PROMPT).write_text("reworded on main\n")
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "reword", "-a").returncode == 0
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "release 0.2.0")
    merged = subprocess.run(["git", "merge", "--no-ff", "-m", "merge feature", "feature"], cwd=repo, text=True,
                            capture_output=True)
    assert merged.returncode != 0
    assert "version 0.2.0 is already released and its components changed" in merged.stderr
    assert git(repo, "rev-list", "--count", "--merges", "HEAD").stdout.strip() == "0"


# -------------------------------------------------------- issue 13 item 7: a release tag deleted locally


def test_a_locally_deleted_release_tag_does_not_disable_the_pre_push_bump_rule(gitrepo: Path) -> None:
    repo = gitrepo
    git(repo, "tag", "-d", "sentiment@v0.1.0")
    (repo / PROMPT).write_text("reworded after deleting the tag\n")
    bumped = gm(repo, "bump", "sentiment")  # no release here now: rehashed, the version stays 0.1.0
    assert bumped.returncode == 0, bumped.stderr
    assert "version: 0.1.0" in (repo / MANIFEST).read_text()
    # the local pre-commit hook sees no release either; this commit goes through (documented)
    assert commit(repo, "reword", "-a").returncode == 0
    pushed = push(repo, "main")
    assert pushed.returncode != 0, pushed.stderr
    assert "version 0.1.0 is already released" in pushed.stderr
    assert "sentiment@v0.1.0" in pushed.stderr
    remote_main = git(repo, "ls-remote", "origin", "refs/heads/main").stdout.split()[0]
    assert remote_main != git(repo, "rev-parse", "HEAD").stdout.strip()
    # the fix: fetch the tags back and bump
    git(repo, "fetch", "-q", "--tags", "origin")
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "bump", "-a").returncode == 0
    ok = push(repo, "main")
    assert ok.returncode == 0, ok.stderr


def test_a_remote_release_whose_commit_is_not_here_refuses_with_a_fetch_hint(gitrepo: Path, tmp_path: Path
                                                                             ) -> None:
    """A teammate released 0.2.0 on a commit this clone never fetched; this clone reuses 0.2.0."""
    repo = gitrepo
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(other))
    init_repo(other, dvc=False)  # hooks in the clone
    (other / PROMPT).write_text("teammate's prompt\n")
    assert gm(other, "bump", "sentiment").returncode == 0
    assert commit(other, "teammate", "-a").returncode == 0
    git(other, "tag", "-a", "sentiment@v0.2.0", "-m", "release 0.2.0")
    git(other, "push", "-q", "origin", "HEAD:refs/heads/teammate", "sentiment@v0.2.0")

    (repo / PROMPT).write_text("my prompt\n")
    assert gm(repo, "bump", "sentiment").returncode == 0  # 0.2.0 here too: this clone never saw the tag
    assert commit(repo, "mine", "-a").returncode == 0
    pushed = push(repo, "main")
    assert pushed.returncode != 0
    assert "sentiment@v0.2.0" in pushed.stderr
    assert "git fetch" in pushed.stderr
    git(repo, "fetch", "-q", "origin", "--tags")
    assert gm(repo, "check").returncode == 1  # now the local check sees the reuse as well


# ------------------------------------------------ issue 14 item 8: the pre-push refusal's fix must work


def with_origin(root: Path, tmp_path: Path) -> Path:
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(root, "remote", "add", "origin", str(bare))
    return bare


@pytest.mark.slow
def test_following_the_pre_push_hint_for_an_older_release_makes_the_push_succeed(dvcrepo: Path, tmp_path: Path
                                                                                   ) -> None:
    repo = dvcrepo
    bare = with_origin(repo, tmp_path)
    (repo / "artifacts" / "model.bin").write_bytes(b"\x00weights v2\x01" * 64)  # retrained since v0.1.0
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "retrain", "-a").returncode == 0

    refused = push(repo, "main", "sentiment@v0.1.0")
    assert refused.returncode != 0
    match = re.search(r"run `(gitmodel push [^`]+)` first", refused.stderr)
    assert match, refused.stderr
    assert match.group(1) == "gitmodel push sentiment@v0.1.0"
    followed = gm(repo, *match.group(1).split()[1:])
    assert followed.returncode == 0, followed.stderr
    assert "pushed      artifacts/model.bin  (sentiment v0.1.0)" in followed.stdout

    ok = push(repo, "main", "sentiment@v0.1.0")
    assert ok.returncode == 0, ok.stderr
    assert git(bare, "rev-parse", "-q", "--verify", "refs/tags/sentiment@v0.1.0", check=False).returncode == 0
    # the working tree's weights are another object, named as such
    workspace = gm(repo, "push", "sentiment")
    assert "pushed      artifacts/model.bin  (sentiment workspace)" in workspace.stdout, workspace.stdout
    again = gm(repo, "push", "sentiment", "--all-releases")
    assert "up to date  artifacts/model.bin  (sentiment v0.1.0)" in again.stdout, again.stdout
    assert "up to date  artifacts/model.bin  (sentiment workspace)" in again.stdout


# ------------------------------------ issue 14 item 9: the pre-commit framework passes only the first ref

FRAMEWORK_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: gitmodel-pre-push
        name: gitmodel pre-push
        entry: {python} -m gitmodel.hook pre-push
        language: system
        pass_filenames: false
        always_run: true
        require_serial: true
        stages: [pre-push]
"""


@pytest.mark.slow
@pytest.mark.parametrize("first_push", [True, False], ids=["first-push", "later-push"])
def test_pre_commit_framework_pre_push_judges_every_release_tag_the_remote_lacks(
        repo: Path, tmp_path: Path, first_push: bool) -> None:
    """`git push origin main NAME@vX.Y.Z` through the real framework: it hands the hook `main` only."""
    init_repo(repo, remote=str(tmp_path / "dvc-remote"), hooks=False)
    (repo / ".pre-commit-config.yaml").write_text(FRAMEWORK_CONFIG.format(python=sys.executable))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"], cwd=repo,
                   check=True, capture_output=True, timeout=120)
    bare = with_origin(repo, tmp_path)
    if not first_push:
        assert push(repo, "main").returncode == 0
    (repo / "artifacts").mkdir()
    (repo / "artifacts" / "model.bin").write_bytes(b"\x00weights v1\x01" * 64)
    add_model(repo, "sentiment", weights=["artifacts/model.bin"], force_dvc=["artifacts/model.bin"])
    git(repo, "commit", "-q", "-m", "add sentiment")
    git(repo, "tag", "-a", "sentiment@v0.1.0", "-m", "release 0.1.0")

    refused = push(repo, "main", "sentiment@v0.1.0")
    assert refused.returncode != 0, refused.stdout + refused.stderr
    output = refused.stdout + refused.stderr
    assert "gitmodel pre-push" in output  # the framework ran our hook
    assert "sentiment@v0.1.0: 1 file(s) of this release are not in the default DVC remote" in output
    assert git(bare, "rev-parse", "-q", "--verify", "refs/tags/sentiment@v0.1.0", check=False).returncode != 0

    match = re.search(r"run `(gitmodel push [^`]+)` first", output)
    assert match, output
    assert match.group(1) == "gitmodel push sentiment@v0.1.0"
    assert gm(repo, *match.group(1).split()[1:]).returncode == 0
    ok = push(repo, "main", "sentiment@v0.1.0")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert git(bare, "rev-parse", "-q", "--verify", "refs/tags/sentiment@v0.1.0", check=False).returncode == 0


# ------------------------------------------------ a hand-made release tag on an unjudged commit (not listed)


def test_a_release_tag_on_a_stale_commit_is_refused_at_push(gitrepo: Path) -> None:
    """The prompt edited and committed with --no-verify, then `git tag -a sentiment@v0.2.0` by hand and only
    the tag pushed (it carries its commit to the remote): judged against the release before it."""
    repo = gitrepo
    (repo / PROMPT).write_text("edited, manifest untouched\n")
    replace_in(repo / MANIFEST, "version: 0.1.0", "version: 0.2.0")
    git(repo, "add", "-A")
    assert commit(repo, "skip", "--no-verify").returncode == 0
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "hand-made release")
    pushed = push(repo, "sentiment@v0.2.0")
    assert pushed.returncode != 0
    assert "sentiment: prompts/sentiment.txt: prompts changed" in pushed.stderr
    assert git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.2.0").stdout == ""
    # a release made the right way goes through
    git(repo, "tag", "-d", "sentiment@v0.2.0")
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert commit(repo, "bump", "-a").returncode == 0
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "release 0.2.0")
    ok = push(repo, "main", "sentiment@v0.2.0")
    assert ok.returncode == 0, ok.stderr


def test_a_release_tag_on_a_commit_with_another_version_is_refused_at_push(gitrepo: Path) -> None:
    repo = gitrepo
    (repo / "NOTES.md").write_text("n\n")
    git(repo, "add", "NOTES.md")
    assert commit(repo, "notes").returncode == 0
    git(repo, "tag", "-a", "sentiment@v0.3.0", "-m", "hand-made, manifest says 0.1.0")
    pushed = push(repo, "main", "sentiment@v0.3.0")
    assert pushed.returncode != 0
    assert "release tag sentiment@v0.3.0 is on a commit whose manifest says version 0.1.0" in pushed.stderr
    assert git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.3.0").stdout == ""
