"""templates/github-pages.yml and templates/gitlab-pages.yml: they parse, run on release, stage and approval
tags, ship in the wheel's templates, and their build step really builds the site of a registry."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from gitmodel.cli import app
from gitmodel.infra.resources import templates_dir
from tests.kit.demo import demo_registry

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TAGS = ["sentiment@v0.2.0", "team/ranker@v1.0.0", "sentiment#prod#3", "team/ranker#staging!#4",
        "sentiment@v0.2.0#approved-by#ml-lead"]
NOT_TAGS = ["v1.0.0", "release-2026", "nightly"]


def load(name: str) -> dict[Any, Any]:
    doc = yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    assert (templates_dir() / name).read_text() == (TEMPLATES / name).read_text()  # shipped as is
    return doc


def github_glob(pattern: str) -> re.Pattern[str]:
    """GitHub's filter pattern syntax: `**` matches any characters, `*` any but `/`."""
    parts = [".*" if p == "**" else "[^/]*" if p == "*" else re.escape(p) for p in re.split(r"(\*\*|\*)", pattern)]
    return re.compile("".join(parts) + r"\Z")


def site_step(script: str) -> str:
    calls = [line.strip() for line in script.splitlines() if line.strip().startswith("gitmodel site")]
    assert len(calls) == 1, script
    return calls[0]


def options_exist(call: str) -> None:
    argv = shlex.split(call)[1:]
    command = typer.main.get_command(app).commands[argv[0]]  # type: ignore[attr-defined]
    options = {opt for param in command.params for opt in param.opts}
    assert all(a in options for a in argv[1:] if a.startswith("-")), call


def run_step(call: str, root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The template's command line in bash, `gitmodel` being this checkout's CLI."""
    shim = f'gitmodel() {{ {shlex.quote(sys.executable)} -m gitmodel "$@"; }}\n'
    return subprocess.run(["bash", "-c", shim + call], cwd=root, text=True, capture_output=True,
                          env={**os.environ, **env})


def test_github_workflow_publishes_on_release_stage_and_approval_tags(repo: Path, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    doc = load("github-pages.yml")
    triggers = doc[True]  # YAML 1.1 reads the key `on` as true
    patterns = [github_glob(p) for p in triggers["push"]["tags"]]
    for tag in TAGS:
        assert any(p.match(tag) for p in patterns), tag
    for tag in NOT_TAGS:
        assert not any(p.match(tag) for p in patterns), tag
    assert doc["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = doc["jobs"]["build"]["steps"]
    checkout = steps[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0
    build = next(s for s in steps if s.get("name") == "Build the site")
    assert build["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}"
    call = site_step(build["run"])
    options_exist(call)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_site"
    assert "-o _site" in call
    assert doc["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    demo_registry(repo, monkeypatch)
    done = run_step(call, repo, {"BASE_URL": "https://acme.github.io/models"})
    assert done.returncode == 0, done.stderr
    index = (repo / "_site" / "index.html").read_text()
    assert '<link rel="canonical" href="https://acme.github.io/models/index.html">' in index


def test_gitlab_pages_job_publishes_public_on_release_stage_and_approval_tags(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = load("gitlab-pages.yml")["pages"]
    rule = job["rules"][0]["if"]
    match = re.fullmatch(r"\$CI_COMMIT_TAG =~ /(.*)/", rule)
    assert match is not None
    for tag in TAGS:
        assert re.search(match[1], tag), tag
    for tag in NOT_TAGS:
        assert not re.search(match[1], tag), tag
    assert job["artifacts"]["paths"] == ["public"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    call = site_step("\n".join(job["script"]))
    options_exist(call)
    assert "-o public" in call
    for block in job["before_script"] + job["script"]:
        assert subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True).returncode == 0
    demo_registry(repo, monkeypatch)
    done = run_step(call, repo, {"CI_PAGES_URL": "https://acme.gitlab.io/models"})
    assert done.returncode == 0, done.stderr
    page = (repo / "public" / "models" / "sentiment" / "v0.2.0.html").read_text()
    assert '<link rel="canonical" href="https://acme.gitlab.io/models/models/sentiment/v0.2.0.html">' in page
