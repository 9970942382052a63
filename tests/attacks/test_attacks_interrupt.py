"""Interrupted and failed commands leave nothing half-done: `pull` and `get` killed with SIGKILL mid-way
(bounded: each run is killed or given up within a minute), and `add`/`bump` meeting a stale git index
lock or a read-only directory. Real git, real DVC, a real local DVC remote."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gitmodel.workspace.edit import bump_model
from tests.kit.cli import gm
from tests.kit.dvc import make_model_repo
from tests.kit.git import git

FILES = 1500
BOUND_S = 60.0


def kill_when(root: Path, args: list[str], ready: Callable[[], bool]) -> None:
    """Run `gitmodel ARGS`, SIGKILL it as soon as `ready()`; fails if it finished (or hung) first."""
    proc = subprocess.Popen([sys.executable, "-m", "gitmodel", *args], cwd=root, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + BOUND_S
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready():
                proc.kill()
                proc.wait()
                return
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    pytest.fail(f"`gitmodel {' '.join(args)}` was not caught mid-way (exit {proc.returncode})")


@pytest.fixture
def big_data(repo: Path) -> Path:
    """sentiment@v0.2.0 whose data directory holds many files (placing them takes a while), pushed."""
    make_model_repo(repo)
    for i in range(FILES):
        (repo / "data" / "train" / f"part-{i:05}.csv").write_text(f"text,label\nrow {i},pos\n")
    bump_model(repo, "sentiment")
    git(repo, "commit", "-q", "-m", "0.2.0")
    git(repo, "tag", "-a", "sentiment@v0.2.0", "-m", "more data")
    assert gm(repo, "push").returncode == 0
    return repo


def _mid_copy(directory: Path, pattern: str) -> Callable[[], bool]:
    return lambda: any(True for _ in directory.glob(f"{pattern}/*"))


def test_pull_killed_mid_way_leaves_no_half_directory_and_a_rerun_finishes(big_data: Path) -> None:
    import shutil

    root = big_data
    shutil.rmtree(root / "data" / "train")
    staged, placed = _mid_copy(root / "data", ".train.*.tmp"), _mid_copy(root / "data", "train")
    kill_when(root, ["pull"], lambda: staged() or placed())
    assert not (root / "data" / "train").exists()  # never a half-placed directory a rerun would call work
    rerun = gm(root, "pull")
    assert rerun.returncode == 0, rerun.stderr
    assert len(list((root / "data" / "train").iterdir())) == FILES + 2
    assert [p.name for p in (root / "data").iterdir() if p.name.endswith(".tmp")] == []
    assert gm(root, "check").returncode == 0


def test_get_killed_mid_way_leaves_no_hidden_staging_after_the_next_run(big_data: Path, tmp_path: Path) -> None:
    root, out = big_data, tmp_path / "out"
    kill_when(root, ["get", "sentiment@v0.2.0", "--out", str(out)], _mid_copy(out, ".gitmodel-get*/data/train"))
    rerun = gm(root, "get", "sentiment@v0.2.0", "--out", str(out))
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(p.name for p in out.iterdir()) == ["artifacts", "data", "models", "params.yaml", "prompts"]


# ------------------------------------------------------------------------ add/bump that cannot finish


def _leftovers(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.tmp") if ".git/" not in p.as_posix())


def test_add_on_a_stale_index_lock_is_exit_3_naming_it_and_writes_nothing(repo: Path) -> None:
    from gitmodel.workspace.init_repo import init_repo

    init_repo(repo, hooks=False)
    (repo / "w.bin").write_bytes(b"\x00weights")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    before = git(repo, "status", "--porcelain", "--ignored").stdout
    lock = repo / ".git" / "index.lock"
    lock.write_text("")
    result = gm(repo, "add", "sentiment", "--weights", "w.bin")
    assert result.returncode == 3, result.stderr
    assert str(lock) in result.stderr
    assert result.stderr.count("\n") == 1
    lock.unlink()
    assert not (repo / "models" / "sentiment.yaml").exists()
    assert not (repo / "w.bin.dvc").exists()
    assert git(repo, "status", "--porcelain", "--ignored").stdout == before
    assert _leftovers(repo) == []
    assert gm(repo, "add", "sentiment", "--weights", "w.bin").returncode == 0  # the hint, followed


def test_bump_on_a_stale_index_lock_is_exit_3_and_changes_nothing(repo: Path) -> None:
    make_model_repo(repo)
    (repo / "artifacts" / "model.bin").write_bytes(b"\x00retrained")
    manifest = (repo / "models" / "sentiment.yaml").read_bytes()
    pointer = (repo / "artifacts" / "model.bin.dvc").read_bytes()
    dvc_yaml = (repo / "dvc.yaml").read_bytes() if (repo / "dvc.yaml").exists() else None
    lock = repo / ".git" / "index.lock"
    lock.write_text("")
    result = gm(repo, "bump", "sentiment")
    assert result.returncode == 3, result.stderr
    assert str(lock) in result.stderr
    assert (repo / "models" / "sentiment.yaml").read_bytes() == manifest
    assert (repo / "artifacts" / "model.bin.dvc").read_bytes() == pointer
    assert ((repo / "dvc.yaml").read_bytes() if (repo / "dvc.yaml").exists() else None) == dvc_yaml
    assert _leftovers(repo) == []


def test_bump_that_cannot_write_the_manifest_is_exit_3_and_leaves_nothing(repo: Path) -> None:
    """Writes that fail part-way (here the file-size limit, as a full disk would): one line, exit 3, and
    nothing left changed — neither the manifest nor DVC's pointer nor a temp file."""
    import resource

    make_model_repo(repo)
    (repo / "artifacts" / "model.bin").write_bytes(b"\x00retrained")
    manifest = (repo / "models" / "sentiment.yaml").read_bytes()
    pointer = (repo / "artifacts" / "model.bin.dvc").read_bytes()
    limit = len(manifest) // 2

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([sys.executable, "-m", "gitmodel", "bump", "sentiment"], cwd=repo, text=True,
                            capture_output=True, preexec_fn=small_files)
    assert result.returncode == 3, result.stderr
    assert "cannot write" in result.stderr or "dvc add failed" in result.stderr
    assert result.stderr.count("\n") == 1
    assert (repo / "models" / "sentiment.yaml").read_bytes() == manifest
    assert (repo / "artifacts" / "model.bin.dvc").read_bytes() == pointer
    assert _leftovers(repo) == []


def test_atomic_write_that_runs_out_of_room_is_exit_3_and_leaves_no_temp(tmp_path: Path) -> None:
    """The one atomic write: a write cut short (the file-size limit stands in for a full disk) raises
    ExternalFailure naming the file, keeps the old content and leaves no `.tmp` behind."""
    import resource

    target = tmp_path / "models" / "sentiment.yaml"
    target.parent.mkdir()
    target.write_text("version: 0.1.0\n")
    code = ("import sys; from pathlib import Path; from gitmodel.infra.fileio import atomic_write\n"
            "from gitmodel.infra.errors import GitmodelError\n"
            "try:\n    atomic_write(Path(sys.argv[1]), b'x' * 100_000)\n"
            "except GitmodelError as exc:\n    print(exc.line(), file=sys.stderr); sys.exit(int(exc.exit_code))\n")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    result = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True,
                            preexec_fn=small_files)
    assert result.returncode == 3, result.stderr
    assert "cannot write" in result.stderr
    assert target.read_text() == "version: 0.1.0\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["sentiment.yaml"]


def test_atomic_write_where_the_path_cannot_be_a_file_is_exit_2_and_leaves_no_temp(tmp_path: Path) -> None:
    from gitmodel.infra.errors import InvalidInput
    from gitmodel.infra.fileio import atomic_write

    (tmp_path / "models").write_text("a file where the manifest directory should be\n")
    with pytest.raises(InvalidInput, match="cannot write"):
        atomic_write(tmp_path / "models" / "sentiment.yaml", "version: 0.1.0\n")
    (tmp_path / "out.md").mkdir()
    with pytest.raises(InvalidInput, match="cannot write"):
        atomic_write(tmp_path / "out.md", "# changelog\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models", "out.md"]
