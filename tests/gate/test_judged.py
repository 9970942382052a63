"""The judged-models index (`gitmodel/gate/judged.py`) is never wrong: whatever moved, `status`, `ls` and `check`
answer with it exactly as they answer without it (the index deleted), and the answer does change."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from gitmodel.gate import judged
from gitmodel.infra import cache
from tests.kit.cli import gitmodel_argv, gm, gm_subprocess
from tests.kit.files import write
from tests.kit.git import git, release
from tests.kit.manifests import manifest_path, set_version
from tests.kit.repos import model_repo

OLD = 1_600_000_000  # files older than the racy window, as in a checkout of yesterday


def index_file(root: Path) -> Path:
    return Path(cache.cache_file(root / ".git", judged.FILE))


def age(root: Path) -> None:
    for path in root.rglob("*"):
        if ".git" not in path.relative_to(root).parts and path.is_file():
            os.utime(path, (OLD, OLD))


def answers(root: Path) -> list[tuple[int, str, str]]:
    out = []
    for command in (["status", "--json"], ["ls", "--json"], ["check", "--json"], ["status"]):
        done = gm(root, *command)
        out.append((done.returncode, done.stdout, done.stderr))
    return out


def without_index(root: Path) -> list[tuple[int, str, str]]:
    index_file(root).unlink(missing_ok=True)
    return answers(root)


def entries(root: Path) -> dict[str, object]:
    models = cache.load(index_file(root), judged.FORMAT).get("models")
    assert isinstance(models, dict)
    return models


def released_repo(repo: Path, models: int = 1) -> Path:
    """sentiment (git-stored files) released as 0.1.0, plus `models - 1` unreleased ones, all aged."""
    model_repo(repo, dvc=False)
    for i in range(1, models):
        write(repo, f"artifacts/m{i}/weights.bin", f"weights {i}\n")
        done = gm(repo, "add", f"m{i}", "--weights", f"artifacts/m{i}/weights.bin",
                "--git", f"artifacts/m{i}/weights.bin")
        assert done.returncode == 0, done.stderr
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "models")
    release(repo, "sentiment", "0.1.0")
    age(repo)
    return repo


def built(repo: Path) -> list[tuple[int, str, str]]:
    """The answers of a first run, after which the index holds every model."""
    first = answers(repo)
    assert "models/sentiment.yaml" in entries(repo)
    return first


def test_a_pinned_file_changed_with_its_size_and_mtime_kept_is_seen(repo: Path) -> None:
    released_repo(repo)
    before = built(repo)
    prompt = repo / "prompts" / "system.txt"
    info = prompt.stat()
    text = prompt.read_bytes()
    prompt.write_bytes(text.replace(b"a", b"b", 1))  # same size
    os.utime(prompt, ns=(info.st_atime_ns, info.st_mtime_ns))  # same mtime, to the nanosecond
    assert prompt.stat().st_size == info.st_size
    after = answers(repo)
    assert after != before
    assert '"prompts/system.txt"' in after[0][1]
    assert after == without_index(repo)


def test_a_manifest_edited_behind_the_index_is_seen(repo: Path) -> None:
    released_repo(repo)
    before = built(repo)
    path = manifest_path(repo, "sentiment")
    info = path.stat()
    set_version(repo, "sentiment", "0.1.1")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    after = answers(repo)
    assert after != before
    assert '"version": "0.1.1"' in after[1][1]
    assert after == without_index(repo)


def test_a_config_change_is_seen(repo: Path) -> None:
    released_repo(repo)
    write(repo, "prompts/system.txt", "You label tickets, politely.\n")
    from gitmodel.workspace.edit import bump_model

    bump_model(repo, "sentiment")  # 0.2.0: a prompt is a minor change by default
    age(repo)
    before = built(repo)
    assert before[2][0] == 0
    config = repo / ".gitmodel.yaml"
    config.write_text(config.read_text().replace("prompts: minor", "prompts: major"))
    os.utime(config, (OLD, OLD))
    after = answers(repo)
    assert after[2][0] == 1  # 0.2.0 is no longer enough
    assert "major" in after[2][1]
    assert after == without_index(repo)


def test_a_tag_added_then_deleted_is_seen(repo: Path) -> None:
    released_repo(repo, models=3)
    before = built(repo)
    assert set(entries(repo)) == {"models/sentiment.yaml", "models/m1.yaml", "models/m2.yaml"}
    release(repo, "m1", "0.1.0")
    tagged = answers(repo)
    assert tagged != before
    assert json.loads(tagged[1][1])[0]["latest_release"] == "0.1.0"  # ls is sorted: m1 first
    assert tagged == without_index(repo)
    answers(repo)  # the index now holds the release
    git(repo, "tag", "-d", "m1@v0.1.0")
    assert answers(repo) == before
    assert before == without_index(repo)


def test_two_status_runs_at_once_agree_and_leave_a_whole_index(repo: Path) -> None:
    released_repo(repo, models=12)
    expected = without_index(repo)[0]
    index_file(repo).unlink()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    runs = [subprocess.Popen(gitmodel_argv("status", "--json"), cwd=repo, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [(p.wait(), *p.communicate()) for p in runs]
    assert outputs == [expected, expected]
    assert len(entries(repo)) == 12  # one writer's whole file, never a mix or half of one
    assert answers(repo)[0] == expected


def test_a_truncated_or_corrupt_index_is_rebuilt(repo: Path) -> None:
    released_repo(repo, models=3)
    write(repo, "prompts/system.txt", "changed\n")
    age(repo)
    expected = built(repo)
    data = index_file(repo).read_bytes()
    for broken in (data[: len(data) // 2], b"\x00garbage", b"[]", json.dumps({"format": judged.FORMAT}).encode()):
        index_file(repo).write_bytes(broken)
        assert answers(repo) == expected
        assert len(entries(repo)) == 3


def test_an_index_written_by_another_version_or_for_another_config_is_not_served(repo: Path) -> None:
    released_repo(repo)
    expected = built(repo)
    doc = json.loads(index_file(repo).read_bytes())
    # a lying entry: the model judged fresh at another version; served, it would change every answer
    doc["models"]["models/sentiment.yaml"][7][6] = "9.9.9"  # the kept state's version, which ls and status show
    for stamp in ({"gitmodel": "0.0.1"}, {"format": judged.FORMAT + 1}, {"scope": "another config"}):
        index_file(repo).write_text(json.dumps({**doc, **stamp}))
        assert answers(repo) == expected
    index_file(repo).write_text(json.dumps(doc))
    assert "9.9.9" in answers(repo)[1][1]  # the same file, stamped by this version, is served: the test can fail


def test_a_new_gitattributes_that_changes_what_git_stores_is_seen(repo: Path) -> None:
    released_repo(repo)
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")  # defined before the index is built: not the change
    before = built(repo)
    assert before[2][0] == 0
    attributes = write(repo, "prompts/.gitattributes", "system.txt filter=upper\n")  # untracked, in a subdirectory
    os.utime(attributes, (OLD, OLD))
    after = answers(repo)
    assert after != before
    assert after[2][0] == 1
    assert "prompts/system.txt" in after[2][1]  # the stored blob is no longer the pinned one
    assert after == without_index(repo)


def test_a_gitattributes_added_behind_an_aged_directory_is_seen(repo: Path) -> None:
    """The index keeps, per directory, that it held no `.gitattributes` at its signature (and then does not
    look); adding one and putting the directory's and the file's mtimes back still changes its ctime."""
    released_repo(repo)
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    os.utime(repo / "prompts", (OLD, OLD))
    before = built(repo)
    dirs = cache.load(index_file(repo), judged.FORMAT)["dirs"]
    assert dirs["prompts"].count(",") == 3  # remembered at its signature: no attributes file there
    assert answers(repo) == before    # and served from it
    attributes = write(repo, "prompts/.gitattributes", "system.txt filter=upper\n")
    os.utime(attributes, (OLD, OLD))
    os.utime(repo / "prompts", (OLD, OLD))  # the directory's mtime put back; its ctime cannot be
    after = answers(repo)
    assert after[2][0] == 1
    assert "prompts/system.txt" in after[2][1]
    assert after == without_index(repo)


def test_a_gitattributes_edited_in_place_is_seen(repo: Path) -> None:
    """An attributes file that was there when the index was built is looked at on every run (editing it in
    place does not touch its directory)."""
    released_repo(repo)
    git(repo, "config", "filter.upper.clean", "tr a-z A-Z")
    attributes = write(repo, "prompts/.gitattributes", "other.txt filter=upper\n")
    os.utime(attributes, (OLD, OLD))
    os.utime(repo / "prompts", (OLD, OLD))
    before = built(repo)
    assert before[2][0] == 0
    assert "prompts" not in cache.load(index_file(repo), judged.FORMAT)["dirs"]
    with open(attributes, "r+") as stream:   # same size, same directory entry
        stream.write("system.txt filter=upper\n"[: len("other.txt filter=upper\n")])
    os.utime(attributes, (OLD, OLD))
    after = answers(repo)
    assert after != before
    assert after == without_index(repo)


def test_a_commit_that_moves_head_judges_the_manifest_it_committed_again(repo: Path) -> None:
    released_repo(repo)
    set_version(repo, "sentiment", "0.1.1")
    age(repo)
    before = built(repo)  # the manifest differs from HEAD: validated fully
    git(repo, "commit", "-q", "-am", "0.1.1")
    after = answers(repo)
    assert after == before  # the verdict does not depend on HEAD ...
    assert after == without_index(repo)  # ... and the entry judged with the other validation was not served blindly
    assert entries(repo)["models/sentiment.yaml"][1] is False  # type: ignore[index]  # [name, full, ...]


def add_schema_only_problem(repo: Path, name: str) -> None:
    """A metric given as a list: a manifest only JSON Schema validation refuses (a full check says so)."""
    import yaml

    path = manifest_path(repo, name)
    doc = yaml.safe_load(path.read_text())
    doc["metrics"] = {**(doc.get("metrics") or {}), "bogus_metric": [1]}
    path.write_text(json.dumps(doc))  # JSON is YAML
    os.utime(path, (OLD, OLD))


def test_a_run_where_every_model_is_kept_asks_git_nothing_about_the_manifests(repo: Path, tmp_path: Path) -> None:
    released_repo(repo, models=3)
    before = built(repo)
    trace = tmp_path / "trace"
    done = gm_subprocess(repo, "status", env={"GIT_TRACE": str(trace)})
    assert done.returncode == 0, done.stderr
    calls = trace.read_text()
    assert "rev-parse" in calls  # HEAD's manifests tree: the one question asked ...
    assert " diff " not in calls  # ... and not which manifests differ from HEAD
    assert "--others" not in calls
    assert answers(repo) == before


def test_head_moved_back_under_an_unchanged_manifest_makes_it_validated_fully_again(repo: Path) -> None:
    """Whether a manifest pays for JSON Schema validation depends on HEAD's copy: kept entries are trusted only
    while HEAD's manifests tree is the one they were judged against."""
    released_repo(repo)
    add_schema_only_problem(repo, "sentiment")
    git(repo, "commit", "-q", "--no-verify", "-am", "unknown field, past the hook")
    before = built(repo)  # equal to HEAD: not validated fully, so the field goes unremarked
    assert "bogus_metric" not in before[2][1] + before[2][2]
    git(repo, "reset", "-q", "--soft", "HEAD~1")  # the work tree's bytes stay; HEAD's copy no longer has it
    after = answers(repo)
    assert "bogus_metric" in after[2][1] + after[2][2]
    assert after == without_index(repo)


def test_a_run_over_one_model_after_head_moved_leaves_no_entry_trusted_blindly(repo: Path) -> None:
    released_repo(repo, models=2)
    add_schema_only_problem(repo, "m1")
    git(repo, "commit", "-q", "--no-verify", "-am", "unknown field, past the hook")
    built(repo)
    git(repo, "reset", "-q", "--soft", "HEAD~1")
    assert gm(repo, "status", "sentiment").returncode == 0  # judged against the new HEAD: sentiment only
    after = answers(repo)
    assert "bogus_metric" in after[2][1] + after[2][2]  # m1's kept flag was not served under the moved HEAD
    assert after == without_index(repo)


def test_an_ignored_manifest_is_validated_fully(repo: Path) -> None:
    """An ignored manifest differs from HEAD as an untracked one does: validated fully, so whether it is rests
    on its bytes and HEAD's alone (a .gitignore edit moves no tree the index keys on)."""
    released_repo(repo)
    write(repo, "artifacts/extra/weights.bin", "extra\n")
    assert gm(repo, "add", "extra", "--weights", "artifacts/extra/weights.bin",
              "--git", "artifacts/extra/weights.bin").returncode == 0
    add_schema_only_problem(repo, "extra")
    git(repo, "reset", "-q", "--", "models/extra.yaml")  # not in HEAD: untracked, then ignored
    write(repo, ".gitignore", "/models/extra.yaml\n")
    age(repo)
    ignored = answers(repo)
    assert "bogus_metric" in ignored[2][2]
    (repo / ".gitignore").unlink()
    assert answers(repo) == ignored == without_index(repo)


def test_a_kept_state_reads_its_manifest_only_when_asked_and_only_the_one_judged(repo: Path) -> None:
    import pytest

    from gitmodel.gate.check import KeptState, ModelState
    from gitmodel.infra.errors import InvalidInput
    from gitmodel.model import manifest as mf
    from gitmodel.model.config import load_config
    from gitmodel.repo.tags import read_tags

    released_repo(repo)
    built(repo)
    path = "models/sentiment.yaml"

    def kept() -> KeptState:
        index = judged.JudgedIndex(repo, repo / ".git", load_config(repo))
        state = index.reuse({path: "sentiment"}, None, read_tags(repo), head=index.head)["sentiment"]
        assert isinstance(state, KeptState)
        return state

    state = kept()
    assert state.__dict__["manifest"] is None  # the index keeps no manifest ...
    loaded = mf.load(repo / path)
    assert state.version == loaded.version
    assert state.weight_formats() == ModelState("sentiment", path, loaded).weight_formats()
    assert state.__dict__["manifest"] is None  # ... and what status, ls and check read needs none
    entry = judged.JudgedIndex(repo, repo / ".git", load_config(repo)).models[path]
    whole = judged._decode(loaded, path, entry[7])
    assert state == whole  # compared, it reads its manifest: equal both ways to the state judged
    assert whole == state
    assert state.manifest == loaded
    stale = kept()
    set_version(repo, "sentiment", "0.9.9")  # the file moves between the run's stat and the read
    with pytest.raises(InvalidInput, match="changed while gitmodel was reading it"):
        stale.manifest  # noqa: B018 - never served: the manifest judged is not this one


def test_a_read_command_keeps_the_config_it_parsed(repo: Path) -> None:
    """`status` stores what it parsed in the parse memo, so the next one needs no YAML parser at all."""
    from gitmodel.infra import parse_cache
    from gitmodel.infra.fileio import blob_id

    released_repo(repo)
    (repo / ".git" / "gitmodel" / parse_cache.DOCS_FILE).unlink(missing_ok=True)
    assert gm(repo, "status").returncode == 0
    assert blob_id((repo / ".gitmodel.yaml").read_bytes()) in parse_cache.load_docs(repo / ".git")
    done = gm_subprocess(repo, "status", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "gitmodel.cli.views" in imported  # the trace is there ...
    assert "yaml" not in imported            # ... and PyYAML is not in it


def test_a_pinned_file_from_before_1970_is_kept_and_served_right(repo: Path) -> None:
    """Signatures are packed as 64-bit integers, the times signed: a file stamped 1960 is kept like any other."""
    released_repo(repo)
    prompt = repo / "prompts" / "system.txt"
    os.utime(prompt, (-300_000_000, -300_000_000))
    before = built(repo)
    assert entries(repo)["models/sentiment.yaml"][3]  # type: ignore[index]  # its pins digest: kept
    assert answers(repo) == before
    prompt.write_text(prompt.read_text() + "edited\n")
    os.utime(prompt, (-300_000_000, -300_000_000))
    after = answers(repo)
    assert after != before
    assert after == without_index(repo)
