"""templates/gitlab-ci.yml parses, runs on merge requests, and calls only gitmodel commands that exist."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from gitmodel.cli import app
from gitmodel.infra.resources import templates_dir

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "gitlab-ci.yml"
_CALL = re.compile(r"(?:^|[\s;|&({])gitmodel((?:[ \t]+[^\s;|&)]+)+)")


@pytest.fixture(scope="module")
def job() -> dict[str, Any]:
    doc = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc["gitmodel"]


def _scripts(job: dict[str, Any]) -> list[str]:
    return [line for key in ("before_script", "script") for line in job[key]]


def _calls(job: dict[str, Any]) -> list[list[str]]:
    """Each `gitmodel ...` invocation in the job's scripts, as argv after `gitmodel`."""
    calls = []
    for block in _scripts(job):
        for line in block.splitlines():
            match = _CALL.search(line)
            if match:
                calls.append(shlex.split(match.group(1).split(">")[0]))
    return calls


def test_template_ships_and_parses(job: dict[str, Any]) -> None:
    assert (templates_dir() / "gitlab-ci.yml").read_text() == TEMPLATE.read_text()
    assert job["image"].startswith("python:3.11")
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert job["variables"]["GIT_DEPTH"] == "0"          # the merge base and tags are needed
    assert job["variables"]["GIT_LFS_SKIP_SMUDGE"] == "1"  # weights are judged from pointers
    assert job["artifacts"]["paths"] == ["gitmodel-diff.md"]


def test_it_checks_against_the_merge_base_and_posts_the_markdown_diff(job: dict[str, Any]) -> None:
    calls = _calls(job)
    assert ["check", "--base", "$CI_MERGE_REQUEST_DIFF_BASE_SHA", "--verify-objects"] in calls
    assert ["diff", "$CI_MERGE_REQUEST_DIFF_BASE_SHA", "HEAD", "--format", "markdown"] in calls
    scripts = "\n".join(_scripts(job))
    assert "/merge_requests/${CI_MERGE_REQUEST_IID}/notes" in scripts
    assert 'PRIVATE-TOKEN: ${GITMODEL_GITLAB_TOKEN}' in scripts
    assert '--data-urlencode "body@gitmodel-diff.md"' in scripts
    # the gate runs last, so the note is posted even when the check fails the job
    assert job["script"][-1] == 'gitmodel check --base "$CI_MERGE_REQUEST_DIFF_BASE_SHA" --verify-objects'


def test_every_gitmodel_command_it_calls_exists_with_its_options(job: dict[str, Any]) -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    calls = _calls(job)
    assert calls
    for argv in calls:
        name = argv[0]
        assert name in commands, f"templates/gitlab-ci.yml calls `gitmodel {name}`, which does not exist"
        options = {opt for param in commands[name].params for opt in param.opts}
        for arg in argv[1:]:
            if arg.startswith("-"):
                assert arg in options, f"`gitmodel {name}` has no option {arg}"


def test_the_shell_in_every_script_step_parses(job: dict[str, Any]) -> None:
    for block in _scripts(job):
        proc = subprocess.run(["bash", "-n"], input=block, text=True, capture_output=True)
        assert proc.returncode == 0, f"{block!r}: {proc.stderr}"
