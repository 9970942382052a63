"""`--repo URL` on the read commands, from a directory that is no git repository, against a real `git daemon`
on 127.0.0.1: list, show, versions, stages, changelog, card, diff between releases, get — and nothing is
written to the current directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.kit.cli import gm
from tests.kit.dvc import WEIGHTS_V1, WEIGHTS_V2
from tests.kit.git import git
from tests.kit.gitserver import GitDaemon, git_daemon  # `source` and `served` are its fixtures


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    here = tmp_path / "serving"
    here.mkdir()
    return here


def ok(result: object) -> str:
    assert result.returncode == 0, result.stderr  # type: ignore[attr-defined]
    return result.stdout  # type: ignore[attr-defined,no-any-return]


def test_read_commands_over_git_daemon(served: GitDaemon, elsewhere: Path) -> None:
    url = served.url()
    versions = json.loads(ok(gm(elsewhere, "versions", "sentiment", "--repo", url, "--json")))
    assert [v["version"] for v in versions["versions"]] == ["0.1.0", "0.2.0"]
    assert "release 0.2.0" in ok(gm(elsewhere, "versions", "sentiment", "--repo", url))
    stages = json.loads(ok(gm(elsewhere, "stages", "sentiment", "--repo", url, "--json")))
    assert "prod" in json.dumps(stages)
    assert "0.1.0" in ok(gm(elsewhere, "stages", "sentiment", "--repo", url))
    shown = json.loads(ok(gm(elsewhere, "show", "sentiment#prod", "--repo", url, "--json")))
    assert shown["release"] == "sentiment@v0.1.0"
    head = json.loads(ok(gm(elsewhere, "show", "sentiment", "--repo", url, "--json")))
    assert head["manifest"]["version"] == "0.2.0"
    listed = json.loads(ok(gm(elsewhere, "ls", "--repo", url, "--json")))
    assert [(m["name"], m["latest_release"], m["fresh"]) for m in listed] == [("sentiment", "0.2.0", True)]
    assert "## " in ok(gm(elsewhere, "changelog", "sentiment", "--repo", url))
    card = ok(gm(elsewhere, "card", "sentiment@v0.2.0", "--repo", url))
    assert "sentiment" in card
    diff = json.loads(ok(gm(elsewhere, "diff", "sentiment@v0.1.0", "sentiment@v0.2.0", "--repo", url, "--json")))
    assert "0.2.0" in json.dumps(diff)
    assert list(elsewhere.iterdir()) == []


def test_get_over_git_daemon(served: GitDaemon, elsewhere: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    ok(gm(elsewhere, "get", "sentiment#prod", "--repo", served.url(), "--out", str(out)))
    assert (out / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V1
    assert (out / "artifacts" / "model.bin").stat().st_nlink == 1  # the user's export is a copy of its own
    assert list(elsewhere.iterdir()) == []


def test_promotion_followed_and_unreachable_remote(source: Path, tmp_path: Path, elsewhere: Path) -> None:
    with git_daemon(tmp_path / "served") as daemon:
        url = daemon.url()
        assert "0.1.0" in ok(gm(elsewhere, "stages", "sentiment", "--repo", url))
        commit = git(source, "rev-parse", "sentiment@v0.2.0^{commit}").stdout.strip()
        git(source, "tag", "-a", "sentiment#prod#2", "-m", "v0.2.0 to prod", commit)
        git(source, "push", "-q", "origin", "sentiment#prod#2")
        shown = json.loads(ok(gm(elsewhere, "show", "sentiment#prod", "--repo", url, "--json")))
        assert shown["release"] == "sentiment@v0.2.0"
        out = tmp_path / "export"
        ok(gm(elsewhere, "get", "sentiment#prod", "--repo", url, "--out", str(out)))
        assert (out / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V2
    down = gm(elsewhere, "stages", "sentiment", "--repo", url)
    assert down.returncode == 3
    lines = down.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot reach the git remote" in lines[0]
    offline = gm(elsewhere, "stages", "sentiment", "--repo", url, env={"GITMODEL_OFFLINE_OK": "1"})
    assert offline.returncode == 0, offline.stderr
    assert "0.2.0" in offline.stdout
    assert "unreachable" in offline.stderr
    again = gm(elsewhere, "get", "sentiment#prod", "--repo", url, "--out", str(tmp_path / "again"),
               env={"GITMODEL_OFFLINE_OK": "1"})
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V2
    assert again.stderr.startswith("warning: git remote")
    assert list(elsewhere.iterdir()) == []


def test_repo_path_inside_a_work_tree_is_local_mode(source: Path, elsewhere: Path) -> None:
    listed = json.loads(ok(gm(elsewhere, "versions", "sentiment", "--repo", str(source), "--json")))
    assert [v["version"] for v in listed["versions"]] == ["0.1.0", "0.2.0"]
    assert not (Path.home() / ".cache" / "gitmodel" / "repos").exists()
