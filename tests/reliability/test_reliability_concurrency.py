"""Concurrency: two `bump` of different models, two `tag` of one version, DVC's lock held by another
process. No corruption, clear errors, bounded waits."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from gitmodel.model import manifest
from tests.kit.cli import gitmodel, gitmodel_argv, run
from tests.kit.templates import copy_repo, has_command

pytestmark = pytest.mark.slow
MODELS = ("sentiment", "ranker")
TEMPLATE_MODELS = MODELS  # conftest.py builds the template with both




def start(repo: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(gitmodel_argv(*args), cwd=repo, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    assert "Traceback" not in out + err, err
    return proc.returncode, err


def change_both(repo: Path) -> None:
    for name in MODELS:
        (repo / "prompts" / name / "system.txt").write_text(f"You are {name}, revised.\n")
        (repo / "artifacts" / name / "model.bin").write_bytes(name.encode() * 1000)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory, template: Path, env: dict[str, str]) -> dict[str, bytes]:
    """The manifests two bumps give when run one after the other."""
    repo = copy_repo(template, tmp_path_factory.mktemp("conc-seq") / "repo")
    change_both(repo)
    for name in MODELS:
        gitmodel(repo, "bump", name, env=env)
    return {name: (repo / "models" / f"{name}.yaml").read_bytes() for name in MODELS}


@pytest.mark.parametrize("round_", range(3))
def test_two_bumps_of_different_models_at_once(round_: int, template: Path, env: dict[str, str],
                                               sequential: dict[str, bytes], tmp_path: Path) -> None:
    repo = copy_repo(template, tmp_path / "repo")
    change_both(repo)
    procs = {name: start(repo, env, "bump", name) for name in MODELS}
    results = {name: finish(proc) for name, proc in procs.items()}
    for name, (code, err) in results.items():
        assert code == 0, f"bump {name} failed while another bump ran: {err}"
        assert (repo / "models" / f"{name}.yaml").read_bytes() == sequential[name]
        manifest.load(repo / "models" / f"{name}.yaml")
    staged = run(repo, "git", "diff", "--cached", "--name-only").stdout.split()
    assert {f"models/{name}.yaml" for name in MODELS} <= set(staged)
    assert not (repo / ".git" / "index.lock").exists()
    check = gitmodel(repo, "check", env=env, check=False)
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("round_", range(3))
def test_two_tags_of_the_same_version_at_once(round_: int, template: Path, env: dict[str, str],
                                              tmp_path: Path) -> None:
    if not has_command(template, "tag"):
        pytest.fail("`gitmodel tag` does not exist on this commit")
    repo = copy_repo(template, tmp_path / "repo")
    procs = [start(repo, env, "tag", "sentiment", "-m", f"attempt {i}") for i in range(2)]
    results = sorted(finish(proc) for proc in procs)
    (ok, _), (refused, err) = results
    assert (ok, refused) == (0, 1), results
    assert "already" in err
    assert len(err.strip().splitlines()) == 1
    tags = run(repo, "git", "tag", "--list", "sentiment@*").stdout.split()
    assert tags == ["sentiment@v0.1.0"]
    assert run(repo, "git", "cat-file", "-t", "sentiment@v0.1.0").stdout.strip() == "tag"


@contextmanager
def dvc_lock_held(repo: Path, env: dict[str, str]) -> Iterator[None]:
    """Hold DVC's repository lock from another process, as a long `dvc add` or `dvc push` would."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom dvc.repo import Repo\nrepo = Repo('.')\n"
         "with repo.lock:\n    print('locked', flush=True)\n    sys.stdin.read()\n"],
        cwd=repo, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        yield
    finally:
        if holder.stdin:
            holder.stdin.close()
        holder.wait(timeout=30)


def _python_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "PATH": str(Path(sys.executable).parent) + ":" + env.get("PATH", "")}


@pytest.mark.parametrize("command", ["add", "push"])
def test_dvc_lock_held_means_a_bounded_wait_then_a_clear_error(command: str, template: Path, env: dict[str, str],
                                                                tmp_path: Path) -> None:
    if not has_command(template, command):
        pytest.fail(f"`gitmodel {command}` does not exist on this commit")
    repo = copy_repo(template, tmp_path / "repo")
    (repo / "artifacts" / "extra").mkdir()
    (repo / "artifacts" / "extra" / "model.bin").write_bytes(b"\x00extra" * 1000)
    args = ("add", "extra", "--weights", "artifacts/extra/model.bin") if command == "add" else ("push",)
    local_env = {**_python_env(env), "GITMODEL_LOCK_TIMEOUT": "3"}
    before = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git/" not in p.as_posix()
                    and "/.dvc/tmp" not in "/" + p.relative_to(repo).as_posix())
    with dvc_lock_held(repo, env):
        started = time.monotonic()
        code, err = finish(start(repo, local_env, *args))
        waited = time.monotonic() - started
    assert waited < 30, f"waited {waited:.0f} s with a 3 s lock timeout"
    if command == "push" and code == 0:
        # push reads the cache and writes the remote without DVC's repository lock: no wait is needed,
        # and the objects must be there.
        assert any(p.is_file() for p in (repo.parent / "remote").rglob("*")), "push succeeded but sent nothing"
        return
    assert code == 3, err
    assert "lock" in err
    assert len(err.strip().splitlines()) == 1, err
    after = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git/" not in p.as_posix()
                   and "/.dvc/tmp" not in "/" + p.relative_to(repo).as_posix())
    assert after == before, "a refused command left files behind"
    # Once the lock is free, the same command succeeds.
    code, err = finish(start(repo, local_env, *args))
    assert code == 0, err


def test_push_while_add_runs(template: Path, env: dict[str, str], tmp_path: Path) -> None:
    if not has_command(template, "push"):
        pytest.fail("`gitmodel push` does not exist on this commit")
    repo = copy_repo(template, tmp_path / "repo")
    (repo / "artifacts" / "big").mkdir()
    (repo / "artifacts" / "big" / "model.bin").write_bytes(b"\x01" * (64 << 20))
    add = start(repo, env, "add", "big", "--weights", "artifacts/big/model.bin")
    time.sleep(0.5)
    push = start(repo, env, "push", "sentiment")
    (add_code, add_err), (push_code, push_err) = finish(add), finish(push)
    assert add_code == 0, add_err
    assert push_code == 0, push_err  # DVC's lock is waited for, not failed on
    manifest.load(repo / "models" / "big.yaml")
    check = gitmodel(repo, "check", env=env, check=False)
    assert check.returncode == 0, check.stderr
