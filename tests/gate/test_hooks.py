"""The hooks through real `git commit` and `git push`: installed stubs, the lean entry point, the CI gate."""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitmodel.gate import install as hooks
from gitmodel.gate.hook_index import PathIndex, model_lines
from gitmodel.gate.prepush import PushedRef, judge_push, parse_push_lines
from gitmodel.infra.resources import templates_dir
from gitmodel.model.components import pinned_paths
from gitmodel.workspace.edit import add_model
from gitmodel.workspace.init_repo import init_repo
from tests.kit.cli import gm
from tests.kit.dvc import dvc_released
from tests.kit.env import REPO_ROOT
from tests.kit.files import write
from tests.kit.gate import refused
from tests.kit.git import bare_remote, commit, git, head, push, release
from tests.kit.repos import add_sentiment

HEAVY = ("typer", "rich", "git", "dvc", "jsonschema", "click")
ZERO = "0" * 40


# ------------------------------------------------------------------------------------------- helpers


@pytest.fixture
def gmrepo(repo: Path) -> Path:
    """A git repo after `gitmodel init` (no DVC) with hooks installed and the init committed."""
    init_repo(repo, dvc=False)
    git(repo, "commit", "-q", "-m", "gitmodel init")
    return repo


def imported_modules(root: Path, *args: str) -> tuple[int, set[str]]:
    """Run the hook entry point with -X importtime; (exit code, top-level packages imported)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "gitmodel.hook", *args], cwd=root,
                          text=True, capture_output=True)
    mods = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            mods.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return proc.returncode, mods


# --------------------------------------------------------------------------------------- pre-commit


def test_new_model_passes_prompt_edit_refused_until_bump(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    first = commit(gmrepo, "add sentiment")
    assert first.returncode == 0, first.stderr
    assert "1 model(s) checked in the index: all fresh and versioned" in first.stderr

    (gmrepo / "prompts" / "sentiment.txt").write_text("You label tickets, tersely.\n")
    git(gmrepo, "add", "prompts/sentiment.txt")
    before = head(gmrepo)
    refused = commit(gmrepo, "edit prompt")
    assert refused.returncode == 1
    assert "sentiment: prompts/sentiment.txt: prompts changed (" in refused.stderr
    # each violation names the level it needs: none yet, the model has no release (bump keeps 0.1.0)
    assert "; requires none (not released yet) — run `gitmodel bump sentiment`" in refused.stderr
    assert "1 violation(s) in 1 model(s)" in refused.stderr
    assert head(gmrepo) == before

    bumped = gm(gmrepo, "bump", "sentiment")
    assert bumped.returncode == 0, bumped.stderr
    after = commit(gmrepo, "edit prompt, bumped")
    assert after.returncode == 0, after.stderr
    assert head(gmrepo) != before


def test_released_model_needs_the_policy_level(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    release(gmrepo, "sentiment", "0.1.0")
    (gmrepo / "prompts" / "sentiment.txt").write_text("new wording\n")
    git(gmrepo, "add", "-A")
    refused = commit(gmrepo, "edit")
    assert refused.returncode == 1
    assert "prompts changed" in refused.stderr
    assert "requires minor" in refused.stderr
    assert "not released yet" not in refused.stderr

    assert gm(gmrepo, "bump", "sentiment").returncode == 0
    assert "version: 0.2.0" in (gmrepo / "models" / "sentiment.yaml").read_text()
    ok = commit(gmrepo, "bumped")
    assert ok.returncode == 0, ok.stderr


def test_partly_staged_file_is_judged_as_staged(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    prompt = gmrepo / "prompts" / "sentiment.txt"
    original = prompt.read_text()

    # staged: a changed prompt; working copy: back to the pinned text. The commit would record the change.
    prompt.write_text("changed and staged\n")
    git(gmrepo, "add", "prompts/sentiment.txt")
    prompt.write_text(original)
    refused = commit(gmrepo, "sneaky")
    assert refused.returncode == 1
    assert "prompts/sentiment.txt: prompts changed" in refused.stderr

    # staged: the bumped manifest and its prompt; working copy: edited again, unstaged. Judged as staged.
    prompt.write_text("changed and staged\n")
    assert gm(gmrepo, "bump", "sentiment").returncode == 0
    prompt.write_text("a further edit, not staged\n")
    ok = commit(gmrepo, "bumped")
    assert ok.returncode == 0, ok.stderr
    assert git(gmrepo, "show", "HEAD:prompts/sentiment.txt").stdout == "changed and staged\n"


def test_partial_commit_uses_gits_temporary_index(gmrepo: Path) -> None:
    """`git commit PATH` and `git commit -a` hand the hook another index through GIT_INDEX_FILE."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited\n")
    assert gm(gmrepo, "bump", "sentiment").returncode == 0  # the real index now holds manifest + prompt
    # committing only the manifest would record hashes of a prompt the commit does not contain
    only_manifest = commit(gmrepo, "manifest only", "--", "models/sentiment.yaml")
    assert only_manifest.returncode == 1
    assert "prompts/sentiment.txt: prompts changed" in only_manifest.stderr
    git(gmrepo, "reset", "-q")
    git(gmrepo, "checkout", "--", "models/sentiment.yaml")
    # `commit -a` picks up the unstaged prompt edit: judged too
    everything = commit(gmrepo, "all", "-a")
    assert everything.returncode == 1
    assert "prompts/sentiment.txt: prompts changed" in everything.stderr


def an_unbumped_prompt_edit_is_refused(root: Path, text: str) -> None:
    """Stage an edit of sentiment's prompt without its bump: the hook refuses it, naming the prompt."""
    (root / "prompts" / "sentiment.txt").write_text(text)
    git(root, "add", "prompts")
    refused(root, "sentiment: prompts/sentiment.txt: prompts changed")


def test_unrelated_change_takes_the_fast_path_without_yaml(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "src.py").write_text("x = 1\n")
    git(gmrepo, "add", "src.py")
    code, mods = imported_modules(gmrepo, "pre-commit")
    assert code == 0
    assert not mods & {*HEAVY, "yaml"}, mods & {*HEAVY, "yaml"}
    assert (git_dir(gmrepo) / "gitmodel" / "hookpaths").is_file()
    ok = commit(gmrepo, "unrelated")
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""  # silent when no model is touched


def modules_after_start(root: Path) -> set[str]:
    """The modules a pre-commit hook run loads after Python's own start-up (what site-packages loads is not
    charged to the hook); the run must let the commit in."""
    probe = ("import sys\nbefore = set(sys.modules)\nfrom gitmodel.hook import main\n"
             "try:\n    main(['pre-commit'])\nexcept SystemExit as exc:\n    code = exc.code\n"
             "print(code, ' '.join(sorted(set(sys.modules) - before)))")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=root, text=True, capture_output=True, check=True)
    code, _, new = proc.stdout.strip().partition(" ")
    assert code == "0", proc.stdout + proc.stderr
    return set(new.split())


def test_an_unrelated_commit_costs_no_process_or_path_machinery(gmrepo: Path) -> None:
    """On a commit that concerns no model the hook starts git without subprocess (gitmodel/repo/spawn.py) and
    names paths as text: subprocess, pathlib, json, re and enum cost more than its three git calls. Counted
    from after Python's own start-up, so what site-packages loads is not charged to the hook."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "src.py").write_text("x = 1\n")
    git(gmrepo, "add", "src.py")
    assert commit(gmrepo, "unrelated").returncode == 0  # the path index now describes HEAD
    (gmrepo / "src.py").write_text("x = 2\n")
    git(gmrepo, "add", "src.py")
    loaded = modules_after_start(gmrepo)
    assert "gitmodel.gate.hook_index" in loaded  # the path index was read ...
    costly = {"subprocess", "pathlib", "json", "re", "enum", "collections", "threading", "typing"}
    assert not loaded & costly, loaded & costly  # ... with none of these


def test_a_commit_of_a_model_loads_pathlib_without_urllib_parse(gmrepo: Path) -> None:
    """pathlib imports urllib.parse (and ipaddress: ~2.3 ms) for `Path.as_uri` alone; the hook gives it a
    stand-in (gate/hook.py import_pathlib), and the real module still loads when something asks for it. Nor
    does the check's path import typing (~3 ms: annotations stay under TYPE_CHECKING). Run without site, as
    the installed stub runs it, so nothing site loads hides the answer."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited and bumped\n")
    assert gm(gmrepo, "bump", "sentiment").returncode == 0
    git(gmrepo, "add", "-A")
    probe = (f"import sys\nsys.path[:0] = {sys.path!r}\nfrom gitmodel.hook import main\n"
             "try:\n    main(['pre-commit'])\nexcept SystemExit as exc:\n    code = exc.code\n"
             "loaded = sorted(m for m in ('pathlib', 'urllib.parse', 'ipaddress', 'typing') if m in sys.modules)\n"
             "import pathlib, urllib.parse\n"
             "print(code, ','.join(loaded), pathlib.Path('/a b').as_uri(), urllib.parse.urlsplit('s://h/p').path)")
    proc = subprocess.run([sys.executable, "-S", "-P", "-c", probe], cwd=gmrepo, text=True, capture_output=True,
                          check=True)
    assert proc.stdout.split() == ["0", "pathlib", "file:///a%20b", "/p"], proc.stdout + proc.stderr
    assert "1 model(s) checked" in proc.stderr  # the check of the model ran, with pathlib


def test_following_a_manifest_committed_past_the_hook_loads_no_yaml_json_or_pathlib(gmrepo: Path) -> None:
    """HEAD moved under the hook by a commit of a manifest gitmodel wrote (`bump`, then `--no-verify`: as a
    pull or a merge would move it): the next unrelated commit's hook follows it from the kept manifests tree
    and the pins `bump` recorded (gitmodel/infra/pins.py), with no YAML, JSON or pathlib; and it follows it
    right: the model's prompt is still watched."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "src.py").write_text("x = 1\n")
    git(gmrepo, "add", "src.py")
    assert commit(gmrepo, "unrelated").returncode == 0  # the path index and kept tree describe HEAD
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited and bumped\n")
    assert gm(gmrepo, "bump", "sentiment").returncode == 0
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "past the hook", "--no-verify").returncode == 0
    (gmrepo / "src.py").write_text("x = 2\n")
    git(gmrepo, "add", "src.py")
    loaded = modules_after_start(gmrepo)
    assert "gitmodel.gate.kept_tree" in loaded  # HEAD's manifests tree was compared with the kept one ...
    costly = {"yaml", "json", "pathlib", "subprocess"}
    assert not loaded & costly, loaded & costly  # ... with none of these
    git(gmrepo, "reset", "-q", "src.py")
    an_unbumped_prompt_edit_is_refused(gmrepo, "edited again, not bumped\n")


def test_yaml_and_jsonschema_only_for_content_not_seen_before(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited\n")
    git(gmrepo, "add", "prompts")
    code, mods = imported_modules(gmrepo, "pre-commit")
    assert code == 1
    # the config and manifest were parsed before (by `add` and the previous commit's hook): no YAML parser
    assert not mods & {*HEAVY, "yaml"}, mods & {*HEAVY, "yaml"}

    # `bump` wrote the manifest and recorded its parse by blob id; the lean validator judges it valid
    assert gm(gmrepo, "bump", "sentiment").returncode == 0
    code, mods = imported_modules(gmrepo, "pre-commit")
    assert code == 0
    assert not mods & {*HEAVY, "yaml"}, mods & {*HEAVY, "yaml"}
    # the check's records are gitmodel.model.records, not dataclasses: ~20 ms of every such commit (README)
    assert not mods & {"dataclasses", "typing", "inspect"}, mods & {"dataclasses", "typing", "inspect"}

    # a hand edit is new content: parsed with PyYAML, still validated without jsonschema
    manifest = gmrepo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text() + "description: edited by hand\n")
    git(gmrepo, "add", "-A")
    code, mods = imported_modules(gmrepo, "pre-commit")
    assert code == 0
    assert "yaml" in mods
    assert not mods & set(HEAVY), mods & set(HEAVY)

    # an invalid manifest is where jsonschema comes in: to explain the error
    manifest.write_text(manifest.read_text() + "card: {owners: ml-team}\n")
    git(gmrepo, "add", "-A")
    code, mods = imported_modules(gmrepo, "pre-commit")
    assert code == 2
    assert "jsonschema" in mods
    assert not mods & {"typer", "rich", "git", "dvc", "click"}


def test_schema_error_in_a_hand_edited_manifest_blocks(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    manifest = gmrepo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text() + "metrics: [not, a, mapping]\n")
    git(gmrepo, "add", "-A")
    refused = commit(gmrepo, "bad metrics")
    assert refused.returncode == 1  # git reports any hook failure as 1; the hook itself exits 2
    assert "error: models/sentiment.yaml: metrics" in refused.stderr


def git_dir(root: Path) -> Path:
    return Path(git(root, "rev-parse", "--absolute-git-dir").stdout.strip())


def test_index_follows_branch_switches(gmrepo: Path) -> None:
    """The pin index is keyed by manifest blob ids: another branch's manifest is re-read, not trusted stale."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    git(gmrepo, "checkout", "-q", "-b", "other")
    (gmrepo / "prompts" / "other.txt").write_text("other prompt\n")
    manifest = gmrepo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text().replace("prompts/sentiment.txt", "prompts/other.txt")
                        .replace(yaml.safe_load(manifest.read_text())["prompts"][0]["sha256"],
                                 hashlib.sha256(b"other prompt\n").hexdigest()))
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "repoint the prompt").returncode == 0
    (gmrepo / "prompts" / "other.txt").write_text("edited\n")
    git(gmrepo, "add", "-A")
    refused = commit(gmrepo, "edit the other prompt")
    assert refused.returncode == 1
    assert "prompts/other.txt: prompts changed" in refused.stderr
    git(gmrepo, "reset", "-q", "--hard")
    git(gmrepo, "checkout", "-q", "main")
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited on main\n")
    git(gmrepo, "add", "-A")
    refused = commit(gmrepo, "edit on main")
    assert refused.returncode == 1
    assert "prompts/sentiment.txt: prompts changed" in refused.stderr


def test_an_index_written_by_another_gitmodel_version_is_rebuilt(gmrepo: Path) -> None:
    """Issue 15: stale pins must not survive an upgrade. An index stamped by another version, whose entry for
    the staged manifest blob pins nothing, would wave an unbumped prompt edit through if it were trusted."""
    import gitmodel

    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "notes.txt").write_text("the next commit brings the index up to HEAD\n")
    git(gmrepo, "add", "notes.txt")
    assert commit(gmrepo, "notes").returncode == 0
    index_file = git_dir(gmrepo) / "gitmodel" / "hookpaths"
    stamp, written = index_file.read_bytes().split(b"\n", 1)
    assert stamp.decode().endswith(f" {gitmodel.__version__}")
    assert b"\nprompts/sentiment.txt\tsentiment\n" in written
    # what an older release might have computed: the manifest pins nothing
    dropped = b"".join(line for line in written.splitlines(keepends=True) if b"\tsentiment" not in line)
    index_file.write_bytes(stamp.replace(gitmodel.__version__.encode(), b"0.0.1") + b"\n" + dropped)
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited after the upgrade\n")
    git(gmrepo, "add", "prompts")
    refused = commit(gmrepo, "edit without a bump")
    assert refused.returncode == 1, refused.stderr
    assert "prompts/sentiment.txt: prompts changed" in refused.stderr
    stamp, rebuilt = index_file.read_bytes().split(b"\n", 1)
    assert stamp.decode().endswith(f" {gitmodel.__version__}")
    assert b"\nprompts/sentiment.txt\tsentiment\n" in rebuilt


def test_deleting_a_released_manifest_is_refused(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    release(gmrepo, "sentiment", "0.1.0")
    git(gmrepo, "rm", "-q", "models/sentiment.yaml")
    refused = commit(gmrepo, "drop it")
    assert refused.returncode == 1
    assert "manifest deleted while release sentiment@v0.1.0 exists" in refused.stderr


def test_broken_manifest_blocks_with_one_line(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "models" / "sentiment.yaml").write_text("name: [unclosed\n")
    git(gmrepo, "add", "-A")
    refused = commit(gmrepo, "broken")
    assert refused.returncode != 0
    assert "error: models/sentiment.yaml" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_pins_and_affected_models() -> None:
    doc = {"weights": [{"path": "w.bin", "storage": "dvc"}], "data": [{"path": "data/dir/", "storage": "dvc"}],
           "prompts": [{"path": "p.txt", "storage": "git"}], "params_file": {"path": "params.yaml"},
           "environment": {"lock": {"path": "requirements.lock"}}}
    assert pinned_paths(doc) == sorted(["w.bin", "w.bin.dvc", "data/dir", "data/dir.dvc", "p.txt", "params.yaml",
                                        "requirements.lock"])
    assert pinned_paths("not a mapping") == []
    index = PathIndex(Path("/nonexistent/hookpaths"))
    index.add(model_lines("models/a.yaml", "a", pinned_paths(doc)) + model_lines("models/b.yaml", "b", ["other.txt"]))
    assert index.affected(["src/app.py", "README.md"]) == set()
    assert index.affected(["data/dir/part-1.csv"]) == {"a"}
    assert index.affected(["w.bin.dvc", "other.txt"]) == {"a", "b"}
    assert index.affected(["models/new.yaml"]) == {"new"}


# ------------------------------------------------------------------------------------------ install


def test_install_is_idempotent_and_records_the_interpreter(repo: Path) -> None:
    first = hooks.install(repo)
    # git-lfs is on PATH here (make test installs it): Git LFS's other hooks come too (tests/storage/test_lfs_chain.py)
    assert first.installed == ["pre-commit", "pre-merge-commit", "pre-push", "post-checkout", "post-commit",
                               "post-merge"]
    stub = (repo / ".git" / "hooks" / "pre-commit").read_text()
    assert stub.startswith("#!/bin/sh\n# gitmodel-hook v1")
    assert shlex.quote(sys.executable) in stub
    assert "__GITMODEL_PYTHON__" not in stub
    assert os.access(repo / ".git" / "hooks" / "pre-commit", os.X_OK)
    again = hooks.install(repo)
    assert again.installed == []
    assert again.unchanged == first.installed
    assert not (repo / ".git" / "hooks" / "pre-commit.legacy").exists()


SHADOWS = ["gitmodel/__init__.py", "gitmodel/hook.py", "select.py", "json.py", "pathlib.py", "hashlib.py"]


def test_a_repository_s_own_python_files_never_run_in_the_hook(gmrepo: Path) -> None:
    """git runs hooks from the work tree's root: with Python's usual `-c`, the working directory comes first on
    the import path, and a hostile `gitmodel/hook.py` or `select.py` committed there would run on every
    collaborator's commit. The stub starts Python with -P: none of them is ever imported."""
    for path in SHADOWS:
        write(gmrepo, path, f"open({str(gmrepo / 'PWNED')!r}, 'a').write({path!r} + '\\n')\nraise SystemExit(0)\n")
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "python files at the root").returncode == 0  # unrelated to any model: let in
    assert not (gmrepo / "PWNED").exists(), (gmrepo / "PWNED").read_text()
    add_sentiment(gmrepo)
    assert not (gmrepo / "PWNED").exists(), (gmrepo / "PWNED").read_text()
    assert commit(gmrepo, "a model").returncode == 0
    an_unbumped_prompt_edit_is_refused(gmrepo, "edited without a bump\n")  # the hook ran, as gitmodel's
    assert not (gmrepo / "PWNED").exists(), (gmrepo / "PWNED").read_text()


def test_a_stub_whose_recorded_path_no_longer_finds_gitmodel_starts_again_with_site(gmrepo: Path) -> None:
    """The stub runs Python without site on the import path gitmodel had at install; where that path no longer
    holds gitmodel (a reinstall elsewhere), it starts Python again with site rather than fail the commit."""
    hook = gmrepo / ".git" / "hooks" / "pre-commit"
    stub = hook.read_text()
    assert "FLAGS='-S -P'" in stub
    assert "sys.path += [" in stub
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    bare = subprocess.run([sys.executable, "-S", "-P", "-c", "import gitmodel"], capture_output=True, env=env)
    assert bare.returncode != 0  # without the recorded path gitmodel is not found
    start = stub.index("sys.path += [")
    hook.write_text(stub[:start] + "sys.path += []" + stub[stub.index("\n", start):])
    add_sentiment(gmrepo)
    proc = subprocess.run(["git", "commit", "-m", "a model"], cwd=gmrepo, text=True, capture_output=True, env=env)
    assert proc.returncode == 0, proc.stderr
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited without a bump\n")
    git(gmrepo, "add", "-A")
    refused = subprocess.run(["git", "commit", "-m", "unversioned"], cwd=gmrepo, text=True, capture_output=True,
                             env=env)
    assert refused.returncode == 1
    assert "sentiment: prompts/sentiment.txt: prompts changed" in refused.stderr


def test_foreign_hook_kept_runs_first_and_is_restored(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    foreign = '#!/bin/sh\necho ran >> "$(git rev-parse --git-dir)/foreign-marker"\nexit "${FOREIGN_EXIT:-0}"\n'
    hook.write_text(foreign)
    hook.chmod(0o755)
    result = gm(repo, "hooks", "install")
    assert result.returncode == 0, result.stderr
    assert "kept the existing pre-commit hook as pre-commit.legacy" in result.stdout
    assert (repo / ".git" / "hooks" / "pre-commit.legacy").read_text() == foreign

    init_repo(repo, dvc=False)  # init installs again: idempotent, the legacy hook is not touched
    assert (repo / ".git" / "hooks" / "pre-commit.legacy").read_text() == foreign
    add_sentiment(repo)
    ok = commit(repo, "add")
    assert ok.returncode == 0, ok.stderr
    assert (repo / ".git" / "foreign-marker").read_text() == "ran\n"
    assert "1 model(s) checked" in ok.stderr  # and ours ran after it

    (repo / "x.txt").write_text("x\n")
    git(repo, "add", "x.txt")
    blocked = commit(repo, "foreign says no", env={"FOREIGN_EXIT": "3"})
    assert blocked.returncode != 0
    assert "pre-commit.legacy exited with 3" in blocked.stderr

    removed = gm(repo, "hooks", "uninstall")
    assert removed.returncode == 0, removed.stderr
    assert "restored the previous pre-commit hook" in removed.stdout
    assert hook.read_text() == foreign
    assert not (repo / ".git" / "hooks" / "pre-commit.legacy").exists()
    assert not (repo / ".git" / "hooks" / "pre-push").exists()


def test_a_hook_that_finds_itself_by_name_is_not_moved(repo: Path) -> None:
    """husky 9's layout: core.hooksPath=.husky/_, whose pre-commit sources `h`, which runs
    .husky/$(basename "$0"). Moved to pre-commit.legacy it would look for .husky/pre-commit.legacy and
    silently do nothing, so install refuses with the way to call gitmodel from husky instead."""
    husky = repo / ".husky"
    (husky / "_").mkdir(parents=True)
    (husky / "_" / "h").write_text('#!/usr/bin/env sh\nn=$(basename "$0")\ns=$(dirname "$(dirname "$0")")/$n\n'
                                   '[ ! -f "$s" ] && exit 0\nsh -e "$s" "$@"\n')
    (husky / "_" / "pre-commit").write_text('#!/usr/bin/env sh\n. "${0%/*}/h"\n')
    (husky / "_" / "pre-commit").chmod(0o755)
    (husky / "pre-commit").write_text('echo husky-user-hook-ran >&2\n')
    git(repo, "config", "core.hooksPath", ".husky/_")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    assert "husky-user-hook-ran" in commit(repo, "a").stderr   # the simulated husky works

    refused = gm(repo, "hooks", "install")
    assert refused.returncode == 1
    assert "finds its script by its own file name" in refused.stderr
    assert "`gitmodel-hook pre-commit`" in refused.stderr
    assert not (husky / "_" / "pre-commit.legacy").exists()
    assert not (husky / "_" / "pre-push").exists()      # nothing half-installed
    # the way the hint gives: husky's own script calls gitmodel's entry point, which judges the index
    init_repo(repo, dvc=False, hooks=False)
    hook_line = f"{shlex.quote(sys.executable)} -m gitmodel.hook pre-commit"
    (husky / "pre-commit").write_text(f"echo husky-user-hook-ran >&2\n{hook_line}\n")
    add_sentiment(repo)
    (repo / "prompts" / "sentiment.txt").write_text("edited\n")
    git(repo, "add", "-A")
    blocked = commit(repo, "sentiment, prompt edited after add")
    assert blocked.returncode != 0
    assert "husky-user-hook-ran" in blocked.stderr
    assert "run `gitmodel bump sentiment`" in blocked.stderr


def test_force_replaces_a_foreign_hook_and_conflict_is_refused(repo: Path) -> None:
    directory = repo / ".git" / "hooks"
    (directory / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    (directory / "pre-commit.legacy").write_text("#!/bin/sh\nexit 0\n")
    refused = gm(repo, "hooks", "install")
    assert refused.returncode == 1
    assert "a foreign pre-commit hook is installed and pre-commit.legacy already exists" in refused.stderr
    assert not (directory / "pre-push").exists()  # nothing half-installed
    forced = gm(repo, "hooks", "install", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced the foreign .git/hooks/pre-commit (--force: not kept)" in forced.stdout
    assert hooks.is_ours(directory / "pre-commit")


def test_linked_worktree_shares_the_hooks(gmrepo: Path, tmp_path: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    hooks.uninstall(gmrepo)
    wt = tmp_path / "feature"
    git(gmrepo, "worktree", "add", "-q", "-b", "feature", str(wt))
    installed = gm(wt, "hooks", "install")
    assert installed.returncode == 0, installed.stderr
    assert hooks.is_ours(gmrepo / ".git" / "hooks" / "pre-commit")
    (wt / "prompts" / "sentiment.txt").write_text("edited in the worktree\n")
    git(wt, "add", "-A")
    refused = commit(wt, "edit")
    assert refused.returncode == 1
    assert "prompts/sentiment.txt: prompts changed" in refused.stderr
    assert (git_dir(wt) / "gitmodel" / "hookpaths").is_file()


def test_core_hooks_path_is_respected(gmrepo: Path) -> None:
    hooks.uninstall(gmrepo)
    git(gmrepo, "config", "core.hooksPath", ".githooks")
    result = hooks.install(gmrepo)
    assert result.hooks_dir == gmrepo / ".githooks"
    assert hooks.is_ours(gmrepo / ".githooks" / "pre-commit")
    assert not (gmrepo / ".git" / "hooks" / "pre-commit").exists()
    add_sentiment(gmrepo)
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited before the first commit\n")
    git(gmrepo, "add", "-A")
    refused = commit(gmrepo, "stale from the start")
    assert refused.returncode == 1
    assert "prompts changed" in refused.stderr
    assert git(gmrepo, "config", "core.hooksPath").stdout.strip() == ".githooks"


def test_stub_falls_back_to_gitmodel_hook_on_path(gmrepo: Path, tmp_path: Path) -> None:
    hooks.install(gmrepo, python=str(tmp_path / "gone" / "python"))
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "gitmodel-hook"
    shim.write_text(f"#!/bin/sh\necho via-path >&2\nexec {shlex.quote(sys.executable)} -m gitmodel.hook \"$@\"\n")
    shim.chmod(0o755)
    add_sentiment(gmrepo)
    ok = commit(gmrepo, "add", env={"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"})
    assert ok.returncode == 0, ok.stderr
    assert "via-path" in ok.stderr
    assert "1 model(s) checked" in ok.stderr


# ------------------------------------------------------------------------------------------ pre-push


@pytest.fixture
def remote(gmrepo: Path, tmp_path: Path) -> Path:
    return bare_remote(gmrepo, tmp_path / "remote.git")


def test_push_checks_the_pushed_branch(gmrepo: Path, remote: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    assert push(gmrepo, "main").returncode == 0
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited\n")
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "skip the hook", "--no-verify").returncode == 0
    refused = push(gmrepo, "main")
    assert refused.returncode != 0
    assert "sentiment: prompts/sentiment.txt: prompts changed" in refused.stderr
    assert "push refused" in refused.stderr
    assert git(remote, "rev-parse", "main").stdout.strip() != head(gmrepo)


def test_release_tag_delete_and_move_refused(gmrepo: Path, remote: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    release(gmrepo, "sentiment", "0.1.0")
    assert push(gmrepo, "main", "sentiment@v0.1.0").returncode == 0

    deleted = push(gmrepo, ":refs/tags/sentiment@v0.1.0")
    assert deleted.returncode != 0
    assert "deleting a release tag on the remote is refused" in deleted.stderr
    assert git(remote, "rev-parse", "-q", "--verify", "refs/tags/sentiment@v0.1.0", check=False).returncode == 0

    (gmrepo / "notes.txt").write_text("n\n")
    git(gmrepo, "add", "notes.txt")
    assert commit(gmrepo, "notes").returncode == 0
    git(gmrepo, "tag", "-f", "-a", "sentiment@v0.1.0", "-m", "moved")
    moved = push(gmrepo, "-f", "refs/tags/sentiment@v0.1.0")
    assert moved.returncode != 0
    assert "moving a release tag on the remote is refused" in moved.stderr

    allowed = push(gmrepo, ":refs/tags/sentiment@v0.1.0", env={"GITMODEL_ALLOW_TAG_DELETE": "1"})
    assert allowed.returncode == 0, allowed.stderr
    assert git(remote, "rev-parse", "-q", "--verify", "refs/tags/sentiment@v0.1.0", check=False).returncode != 0


def test_foreign_pre_push_hook_gets_the_same_stdin(gmrepo: Path, remote: Path) -> None:
    hooks.uninstall(gmrepo)
    foreign = gmrepo / ".git" / "hooks" / "pre-push"
    foreign.write_text('#!/bin/sh\necho "args: $*" > "$(git rev-parse --git-dir)/pushed"\n'
                       'cat >> "$(git rev-parse --git-dir)/pushed"\n')
    foreign.chmod(0o755)
    hooks.install(gmrepo)
    (gmrepo / "x.txt").write_text("x\n")
    git(gmrepo, "add", "x.txt")
    assert commit(gmrepo, "x").returncode == 0
    assert push(gmrepo, "main").returncode == 0
    seen = (gmrepo / ".git" / "pushed").read_text()
    assert seen.startswith(f"args: origin {remote}\n")
    assert f"refs/heads/main {head(gmrepo)} refs/heads/main {ZERO}" in seen


def test_parse_push_lines_and_judge_in_process(gmrepo: Path) -> None:
    sha = head(gmrepo)
    refs = parse_push_lines(f"refs/heads/main {sha} refs/heads/main {ZERO}\n"
                            f"(delete) {ZERO} refs/tags/a@v1.0.0 {sha}\n".encode())
    assert refs == [PushedRef("refs/heads/main", sha, "refs/heads/main", ZERO),
                    PushedRef("(delete)", ZERO, "refs/tags/a@v1.0.0", sha)]
    assert refs[1].release_tag == "a@v1.0.0"
    assert refs[0].release_tag is None
    report = judge_push(gmrepo, refs)
    assert not report.ok
    assert "deleting a release tag" in report.problems[0]
    assert judge_push(gmrepo, refs, allow_tag_moves=True).ok


# ------------------------------------------------------------------------------- DVC objects on push


@pytest.fixture
def dvcrepo(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A gitmodel repo with DVC, a local DVC remote, a git remote, and a model whose weights go through DVC."""
    storage_dir = tmp_path / "dvc-remote"
    dvc_released(repo, storage_dir)
    bare_remote(repo, tmp_path / "remote.git")
    return repo, storage_dir


def dvc_push(root: Path) -> subprocess.CompletedProcess[str]:
    """`gitmodel push` when the storage commands are there, else DVC's own push of the same objects."""
    from typer.main import get_command

    from gitmodel.cli import app

    if "push" in get_command(app).commands:  # type: ignore[attr-defined]
        return gm(root, "push", "sentiment")
    return subprocess.run([sys.executable, "-m", "dvc", "push", "-q"], cwd=root, text=True, capture_output=True)


@pytest.mark.slow
def test_release_tag_refused_until_its_objects_are_in_the_remote(dvcrepo: tuple[Path, Path]) -> None:
    repo, storage_dir = dvcrepo
    refused = push(repo, "main", "sentiment@v0.1.0")
    assert refused.returncode != 0
    assert ("sentiment@v0.1.0: 1 file(s) of this release are not in the default DVC remote: artifacts/model.bin "
            "— run `gitmodel push sentiment@v0.1.0` first") in refused.stderr
    assert git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.1.0").stdout == ""
    pushed = dvc_push(repo)
    assert pushed.returncode == 0, pushed.stderr
    ok = push(repo, "main", "sentiment@v0.1.0")
    assert ok.returncode == 0, ok.stderr
    assert "sentiment@v0.1.0" in git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.1.0").stdout


def test_install_mends_a_framework_hook_moved_to_legacy(repo: Path) -> None:
    """An earlier gitmodel moved the framework's hook to .legacy, where it fails ("migration mode"):
    the hook says how to mend it, and `hooks install` puts the framework's back and ours beside it."""
    init_repo(repo, dvc=False, hooks=False)
    (repo / ".pre-commit-config.yaml").write_text(FRAMEWORK_CONFIG.replace("pre-push", "pre-commit"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--no-verify", "-m", "config")
    subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, check=True, capture_output=True,
                   timeout=120)
    hooks_dir = git_dir(repo) / "hooks"
    os.replace(hooks_dir / "pre-commit", hooks_dir / "pre-commit.legacy")   # what gitmodel 0.1.0 did
    (hooks_dir / "pre-commit").write_text(hooks.render_stub("pre-commit"))
    (hooks_dir / "pre-commit").chmod(0o755)
    (repo / "notes.txt").write_text("x\n")
    git(repo, "add", "notes.txt")
    broken = commit(repo, "notes")
    assert broken.returncode != 0
    assert "`gitmodel hooks install` puts it back" in broken.stderr

    mended = gm(repo, "hooks", "install")
    assert mended.returncode == 0, mended.stderr
    assert "moved the pre-commit framework's pre-commit hook back in place" in mended.stdout + mended.stderr
    assert hooks.is_pre_commit_framework(hooks_dir / "pre-commit")
    assert hooks.is_ours(hooks_dir / "pre-commit.legacy")
    ok = commit(repo, "notes")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "framework pre-commit" in ok.stdout + ok.stderr


@pytest.mark.slow
def test_pre_push_mode_push_pushes_the_objects_first(dvcrepo: tuple[Path, Path]) -> None:
    repo, storage_dir = dvcrepo
    config = repo / ".gitmodel.yaml"
    config.write_text(config.read_text().replace("pre_push: check", "pre_push: push"))
    git(repo, "add", ".gitmodel.yaml")
    assert commit(repo, "push objects on push").returncode == 0
    ok = push(repo, "main", "sentiment@v0.1.0")
    assert ok.returncode == 0, ok.stderr
    assert "sentiment@v0.1.0: pushed artifacts/model.bin to the default DVC remote" in ok.stderr
    assert any(p.is_file() for p in storage_dir.rglob("*"))


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["check", "push"])
def test_tag_push_publishes_only_with_the_objects_in_the_remote(dvcrepo: tuple[Path, Path], mode: str) -> None:
    """`gitmodel tag --push` applies the pre-push rule itself (no hook installed here, as under the pre-commit
    framework, which never runs for a tag on a pushed commit): refused before the tag exists, or with
    `hooks: {pre_push: push}` the objects go first."""
    repo, storage_dir = dvcrepo
    assert dvc_push(repo).returncode == 0  # v0.1.0's objects are there; v0.2.0's will not be
    config = repo / ".gitmodel.yaml"
    config.write_text(config.read_text().replace("pre_push: check", f"pre_push: {mode}"))
    hooks.uninstall(repo)
    (repo / "artifacts" / "model.bin").write_bytes(b"\x00retrained\x01" * 64)
    assert gm(repo, "bump", "sentiment").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "sentiment 0.2.0")
    before = {p for p in storage_dir.rglob("*") if p.is_file()}

    tagged = gm(repo, "tag", "sentiment", "--push")
    if mode == "check":
        assert tagged.returncode == 1
        assert ("--push: sentiment@v0.2.0: 1 file(s) of this release are not in the default DVC remote: "
                "artifacts/model.bin — run `gitmodel push sentiment` first") in tagged.stderr
        assert git(repo, "tag", "-l", "sentiment@v0.2.0").stdout == ""   # refused before the tag existed
        assert {p for p in storage_dir.rglob("*") if p.is_file()} == before
        assert dvc_push(repo).returncode == 0
        tagged = gm(repo, "tag", "sentiment", "--push")
    assert tagged.returncode == 0, tagged.stderr
    assert "sentiment@v0.2.0" in git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.2.0").stdout
    assert len({p for p in storage_dir.rglob("*") if p.is_file()}) > len(before)
    if mode == "push":
        assert "sentiment@v0.2.0: pushed artifacts/model.bin" in tagged.stdout + tagged.stderr


FRAMEWORK_CONFIG = """\
repos:
- repo: local
  hooks:
  - id: framework-pre-push
    name: framework pre-push
    entry: echo framework-pre-push-ran
    language: system
    pass_filenames: false
    always_run: true
    stages: [pre-push]
"""


@pytest.mark.slow
@pytest.mark.parametrize("framework_first", [True, False], ids=["framework-then-gitmodel", "gitmodel-then-framework"])
def test_pre_commit_framework_pre_push_and_gitmodels_chain(dvcrepo: tuple[Path, Path], framework_first: bool
                                                           ) -> None:
    """The framework skips a pushed ref whose commits the remote already has, so it never sees a release tag
    on a pushed commit; with gitmodel's own pre-push chained to the framework's (either install order),
    the tag is still refused until its objects are in the remote, and the framework's hook still runs."""
    repo, _ = dvcrepo
    (repo / ".pre-commit-config.yaml").write_text(FRAMEWORK_CONFIG)
    git(repo, "add", ".pre-commit-config.yaml")
    assert commit(repo, "framework config").returncode == 0
    framework_install = [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"]
    if framework_first:
        hooks.uninstall(repo)
        subprocess.run(framework_install, cwd=repo, check=True, capture_output=True, timeout=120)
        assert gm(repo, "hooks", "install").returncode == 0   # the framework's hook is kept as pre-push.legacy
    else:
        # gitmodel's hook is there (init installed it); the framework moves it aside and calls it itself
        subprocess.run(framework_install, cwd=repo, check=True, capture_output=True, timeout=120)
    hooks_dir = git_dir(repo) / "hooks"
    # either way the framework's hook is in place and calls gitmodel's as pre-push.legacy (its migration mode)
    assert hooks.is_pre_commit_framework(hooks_dir / "pre-push")
    assert hooks.is_ours(hooks_dir / "pre-push.legacy")

    branch = push(repo, "main")
    assert branch.returncode == 0, branch.stderr
    assert "framework pre-push" in branch.stdout  # the framework's hook ran (it prints its hooks' names)
    refused = push(repo, "sentiment@v0.1.0")     # alone: the framework finds nothing new to check
    assert refused.returncode != 0
    assert "sentiment@v0.1.0: 1 file(s) of this release are not in the default DVC remote" in refused.stderr
    assert git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.1.0").stdout == ""
    assert dvc_push(repo).returncode == 0
    ok = push(repo, "sentiment@v0.1.0")
    assert ok.returncode == 0, ok.stderr
    assert "sentiment@v0.1.0" in git(repo, "ls-remote", "origin", "refs/tags/sentiment@v0.1.0").stdout

    assert gm(repo, "hooks", "install").returncode == 0  # idempotent in this arrangement too
    assert hooks.is_pre_commit_framework(hooks_dir / "pre-push")
    removed = hooks.uninstall(repo)
    assert "pre-push" in removed.removed
    assert hooks.is_pre_commit_framework(hooks_dir / "pre-push")
    assert not (hooks_dir / "pre-push.legacy").exists()


# --------------------------------------------------------------------------------------- CI gate


def test_check_base_catches_a_no_verify_commit(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    release(gmrepo, "sentiment", "0.1.0")
    git(gmrepo, "branch", "base")
    clean = gm(gmrepo, "check", "--base", "base")
    assert clean.returncode == 0, clean.stderr

    (gmrepo / "prompts" / "sentiment.txt").write_text("edited without a bump\n")
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "skip the hook", "--no-verify").returncode == 0
    (gmrepo / "prompts" / "sentiment.txt").write_text("You label support tickets.\n")  # the work tree looks fine
    caught = gm(gmrepo, "check", "--base", "base")
    assert caught.returncode == 1
    assert "sentiment: prompts/sentiment.txt: prompts changed" in caught.stderr
    assert "run `gitmodel bump sentiment`" in caught.stderr


def test_check_base_catches_a_rehash_without_a_bump(gmrepo: Path) -> None:
    """Manifest rehashed by hand but version left: fresh, yet not bumped since the release."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    release(gmrepo, "sentiment", "0.1.0")
    git(gmrepo, "branch", "base")
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited\n")
    assert gm(gmrepo, "bump", "sentiment").returncode == 0
    manifest = gmrepo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text().replace("version: 0.2.0", "version: 0.1.0"))
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "rehash, no bump", "--no-verify").returncode == 0
    caught = gm(gmrepo, "check", "--base", "base")
    assert caught.returncode == 1
    assert "version 0.1.0 is already released and its components changed" in caught.stderr


def test_check_base_unknown_revision_is_invalid_input(gmrepo: Path) -> None:
    result = gm(gmrepo, "check", "--base", "origin/nope")
    assert result.returncode == 2
    assert "unknown revision 'origin/nope'" in result.stderr
    assert "fetch-depth" in result.stderr


# Commands the workflow calls that another branch provides; empty once they are on main.
COMMANDS_FROM_OTHER_BRANCHES: set[str] = set()


def test_workflow_template_calls_only_real_commands() -> None:
    from typer.main import get_command

    from gitmodel.cli import app

    workflow = yaml.safe_load((templates_dir() / "github-workflow.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert "pull_request" in triggers
    steps = workflow["jobs"]["check"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    calls = []
    for step in steps:
        for line in step.get("run", "").splitlines():
            words = shlex.split(line, comments=True)
            calls += [words[i + 1 :] for i, w in enumerate(words) if w == "gitmodel" and i + 1 < len(words)]
    used = {call[0] for call in calls}
    assert {"check", "diff"} <= used
    cli = get_command(app)
    registered = set(cli.commands)  # type: ignore[attr-defined]
    for call in calls:
        name = call[0]
        if name in COMMANDS_FROM_OTHER_BRANCHES and name not in registered:
            continue
        assert name in registered, f"the workflow calls `gitmodel {name}`, which the CLI does not have"
        options = {opt for param in cli.commands[name].params for opt in param.opts}  # type: ignore[attr-defined]
        for word in call[1:]:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"`gitmodel {name}` has no option {word}"
    check_call = next(c for c in calls if c[0] == "check")
    assert check_call[1:] == ["--base", "$BASE", "--verify-objects"]
    assert workflow["jobs"]["check"]["env"]["BASE"] == "origin/${{ github.base_ref }}"


def test_pre_commit_hooks_yaml_shape() -> None:
    spec = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in spec}
    assert by_id["gitmodel-check"]["stages"] == ["pre-commit", "pre-merge-commit"]
    assert by_id["gitmodel-pre-push"]["stages"] == ["pre-push"]
    for hook in spec:
        assert hook["pass_filenames"] is False
        assert hook["language"] == "python"
        assert hook["minimum_pre_commit_version"] == "3.2.0"
        assert hook["entry"].split()[0] == "gitmodel-hook"
    assert by_id["gitmodel-check"]["always_run"] is True
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    assert 'gitmodel-hook = "gitmodel.hook:main"' in pyproject


# ------------------------------------------------------------------------------ pre-commit framework


def test_refs_from_pre_commit_framework_environment() -> None:
    from gitmodel.gate.prepush import refs_from_pre_commit_framework

    sha, old = "a" * 40, "b" * 40
    env = {"PRE_COMMIT_TO_REF": sha, "PRE_COMMIT_FROM_REF": old, "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
           "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main"}
    assert refs_from_pre_commit_framework(env) == [PushedRef("refs/heads/main", sha, "refs/heads/main", old)]
    assert refs_from_pre_commit_framework({}) == []


@pytest.mark.slow
def test_pre_commit_framework_runs_gitmodel_check(repo: Path) -> None:
    """`pre-commit try-repo` pip-installs this checkout into its own venv and runs the hook id (~2 min)."""
    init_repo(repo, dvc=False, hooks=False)
    add_sentiment(repo)
    git(repo, "commit", "-q", "-m", "add")
    (repo / "prompts" / "sentiment.txt").write_text("edited, not bumped\n")
    git(repo, "add", "-A")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the framework's venv, not this checkout
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(REPO_ROOT), "gitmodel-check",
                           "--all-files"], cwd=repo, text=True, capture_output=True, env=env, timeout=900)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gitmodel check (staged models fresh and versioned)" in proc.stdout
    assert "Failed" in proc.stdout
    assert "sentiment: prompts/sentiment.txt: prompts changed" in proc.stdout
    assert "run `gitmodel bump sentiment`" in proc.stdout


def test_check_base_catches_a_lowered_version_and_tolerates_a_broken_base(gmrepo: Path) -> None:
    add_sentiment(gmrepo)
    manifest = gmrepo / "models" / "sentiment.yaml"
    manifest.write_text(manifest.read_text().replace("version: 0.1.0", "version: 0.3.0"))
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "add at 0.3.0").returncode == 0
    git(gmrepo, "branch", "base")
    manifest.write_text(manifest.read_text().replace("version: 0.3.0", "version: 0.2.0"))
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "lower it", "--no-verify").returncode == 0
    caught = gm(gmrepo, "check", "--base", "base")
    assert caught.returncode == 1
    assert "version lowered since base (0.3.0 → 0.2.0)" in caught.stderr

    good = manifest.read_text()
    manifest.write_text("name: [broken\n")
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "break it", "--no-verify").returncode == 0
    git(gmrepo, "branch", "-f", "base")
    manifest.write_text(good)
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "fix it").returncode == 0
    assert gm(gmrepo, "check", "--base", "base").returncode == 0


def test_parse_memo_returns_copies_and_skips_non_json_documents(tmp_path: Path) -> None:
    from gitmodel.infra import fileio

    memo: dict[str, str] = {}
    new = fileio.use_parse_memo(memo)
    try:
        first = fileio.parse_yaml(b"a: [1, 2]\n", where="x.yaml")
        first["a"].append(3)  # a caller mutating its document must not change the memo
        assert fileio.parse_yaml(b"a: [1, 2]\n", where="x.yaml") == {"a": [1, 2]}
        assert new == {fileio.blob_id(b"a: [1, 2]\n"): '{"a":[1,2]}'}  # kept as JSON text
        fileio.parse_yaml(b"x: .nan\n", where="d.yaml")  # NaN: JSON cannot hold it (dates are text in YAML 1.2)
        assert len(new) == 1
        memo[fileio.blob_id(b"b: 1\n")] = '{"b": "from the memo"}'
        assert fileio.parse_yaml("b: 1\n", where="y.yaml") == {"b": "from the memo"}
    finally:
        fileio.use_parse_memo(None)
    assert fileio.parse_yaml("b: 1\n", where="y.yaml") == {"b": 1}
    blob = tmp_path / "blob"
    blob.write_bytes(b"a: [1, 2]\n")
    assert fileio.blob_id(b"a: [1, 2]\n") == git(tmp_path, "hash-object", str(blob)).stdout.strip()


def test_init_reports_a_hook_conflict_instead_of_failing(repo: Path) -> None:
    directory = repo / ".git" / "hooks"
    (directory / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    (directory / "pre-commit.legacy").write_text("#!/bin/sh\nexit 0\n")
    result = init_repo(repo, dvc=False)
    assert ".gitmodel.yaml" in result.created
    assert any(n.startswith("hooks not installed: ") and "--force" in n for n in result.notes)
    assert (directory / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"


def test_release_tag_without_a_dvc_repo_is_refused_with_a_reason(gmrepo: Path) -> None:
    """A manifest pins a DVC file but the repo has no DVC: the push cannot be shown to be fetchable."""
    (gmrepo / "artifacts").mkdir()
    (gmrepo / "artifacts" / "w.bin").write_text("w\n")
    add_model(gmrepo, "sentiment", weights=["artifacts/w.bin"], force_git=["artifacts/w.bin"])
    manifest = gmrepo / "models" / "sentiment.yaml"
    doc = yaml.safe_load(manifest.read_text())
    doc["weights"][0].update(storage="dvc", md5="0" * 32)
    manifest.write_text(yaml.safe_dump(doc, sort_keys=False))
    git(gmrepo, "add", "-A")
    assert commit(gmrepo, "pretend dvc", "--no-verify").returncode == 0
    release(gmrepo, "sentiment", "0.1.0")
    sha = git(gmrepo, "rev-parse", "refs/tags/sentiment@v0.1.0").stdout.strip()
    report = judge_push(gmrepo, [PushedRef("refs/tags/sentiment@v0.1.0", sha, "refs/tags/sentiment@v0.1.0", ZERO)])
    assert not report.ok
    assert report.problems[0].startswith("sentiment@v0.1.0: cannot confirm its DVC objects are in the default "
                                         "DVC remote: ")
    assert "not a DVC repository" in report.problems[0]


def test_warm_imports_stop_when_git_is_done() -> None:
    from gitmodel.gate.hook import WARM, warm_while

    answers = iter([True, True, False, True])
    assert warm_while(lambda: next(answers), ("json", "json.decoder", "pathlib", "fnmatch")) == ["json",
                                                                                                  "json.decoder"]
    assert warm_while(lambda: False) == []
    assert WARM[-1] == "gitmodel.gate.check"  # what a staged model's check imports, loaded last


def test_a_large_index_warms_the_check_and_judges_the_same(gmrepo: Path) -> None:
    """Over WARM_INDEX_BYTES of index, the hook loads the check's modules while git's diff runs: a commit that
    concerns no model still passes and an unversioned prompt edit is still refused."""
    from gitmodel.gate.hook import WARM_INDEX_BYTES

    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=gmrepo, input="filler\n", text=True,
                          capture_output=True, check=True).stdout.strip()
    lines = "".join(f"100644 {blob}\tfiller/entry-{i:06d}-named-long-enough-to-grow-the-index\n" for i in range(12_000))
    subprocess.run(["git", "update-index", "--index-info"], cwd=gmrepo, input=lines, text=True, check=True)
    assert commit(gmrepo, "filler", "--no-verify").returncode == 0
    git(gmrepo, "checkout", "-q", "--", "filler")  # the work tree holds them too
    assert (gmrepo / ".git" / "index").stat().st_size >= WARM_INDEX_BYTES
    (gmrepo / "src.py").write_text("x = 1\n")
    git(gmrepo, "add", "src.py")
    assert commit(gmrepo, "unrelated").returncode == 0
    an_unbumped_prompt_edit_is_refused(gmrepo, "edited, not bumped\n")


def test_the_hook_run_by_hand_from_a_subdirectory_finds_the_repository(gmrepo: Path) -> None:
    """A `.git` directory where the hook starts answers without git; from a subdirectory git is asked."""
    add_sentiment(gmrepo)
    assert commit(gmrepo, "add").returncode == 0
    (gmrepo / "prompts" / "sentiment.txt").write_text("edited, not bumped\n")
    git(gmrepo, "add", "prompts")
    expected = git(gmrepo, "rev-parse", "--show-toplevel", "--absolute-git-dir").stdout.split("\n")[:2]
    for where in (gmrepo, gmrepo / "prompts"):
        done = subprocess.run([sys.executable, "-m", "gitmodel.hook", "pre-commit"], cwd=where, text=True,
                              capture_output=True)
        assert done.returncode == 1, done.stderr
        assert "prompts changed" in done.stderr
        probe = subprocess.run([sys.executable, "-c", "from gitmodel.gate.hook import _repo; print(*_repo())"],
                               cwd=where, text=True, capture_output=True, check=True)
        assert probe.stdout.split() == expected
