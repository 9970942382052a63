"""kill -9 at DVC's worst moment: `dvc add` has removed the working file and not yet copied it back.

The random trials of test_reliability_kill.py hit this window now and then (CI: trial 46 of `bump`); here
real DVC runs inside a real `gitmodel` process that SIGKILLs itself right after DVC's `_remove` of the named
file, so every run lands in it. Before storage/inflight.py the user's new weights were gone from the work
tree and the re-run versioned the model without them.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gitmodel.model import manifest
from tests.kit.cli import gitmodel, run
from tests.kit.templates import copy_repo

pytestmark = pytest.mark.slow

# The gitmodel CLI, with DVC's working-file removal made fatal for one file name (argv[1]).
KILL_AFTER_REMOVE = """
import os, signal, sys
import dvc_data.hashfile.checkout as checkout

target, sys.argv = sys.argv[1], ["gitmodel", *sys.argv[2:]]
real = checkout._remove

def _remove(path, *args, **kwargs):
    real(path, *args, **kwargs)
    if os.path.basename(path) == target and not os.path.lexists(path):
        os.kill(os.getpid(), signal.SIGKILL)

checkout._remove = _remove
from gitmodel.cli import main
main()
"""

NEW_WEIGHTS = bytes(range(256)) * 17
ADD_RANKER = ("add", "ranker", "--weights", "artifacts/ranker/model.bin", "--data", "data/ranker")




def _killed(repo: Path, env: dict[str, str], name: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-c", KILL_AFTER_REMOVE, name, *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, f"the kill did not happen: {done.returncode} {done.stderr}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bump_killed_after_dvc_removed_the_weights_loses_nothing(template: Path, env: dict[str, str],
                                                                 tmp_path: Path) -> None:
    repo = copy_repo(template, tmp_path / "repo")
    weights = repo / "artifacts/sentiment/model.bin"
    weights.write_bytes(NEW_WEIGHTS)
    pointer_before = (repo / "artifacts/sentiment/model.bin.dvc").read_bytes()
    manifest_before = (repo / "models/sentiment.yaml").read_bytes()

    _killed(repo, env, "model.bin", "bump", "sentiment")
    assert not weights.exists()  # DVC had taken the file away: the window this test is about
    assert (repo / "models/sentiment.yaml").read_bytes() == manifest_before

    again = gitmodel(repo, "bump", "sentiment", env=env, check=False)
    assert again.returncode == 0, again.stderr
    assert "put back artifacts/sentiment/model.bin" in again.stderr
    assert weights.read_bytes() == NEW_WEIGHTS
    pinned = manifest.load(repo / "models/sentiment.yaml").weights[0]
    assert (pinned.sha256, pinned.size) == (_sha256(weights), len(NEW_WEIGHTS))
    assert (repo / "artifacts/sentiment/model.bin.dvc").read_bytes() != pointer_before
    assert not list((repo / ".git/gitmodel/inflight").iterdir())  # the journal is gone once used
    assert gitmodel(repo, "check", env=env, check=False).returncode == 0


def test_add_killed_after_dvc_removed_a_directory_file_loses_nothing(template: Path, env: dict[str, str],
                                                                     tmp_path: Path) -> None:
    """In a directory DVC replaces only the files that have other hard links (a plain copy it leaves in
    place): shard-2 has one, outside the repo, so DVC removes it, and the kill lands there."""
    repo = copy_repo(template, tmp_path / "repo")
    (repo / "artifacts/ranker").mkdir(parents=True)
    (repo / "artifacts/ranker/model.bin").write_bytes(NEW_WEIGHTS)
    shards = repo / "data/ranker"
    shards.mkdir(parents=True)
    contents = {f"shard-{i}.bin": os.urandom(2048) for i in range(4)}
    for name, data in contents.items():
        (shards / name).write_bytes(data)
        os.utime(shards / name, ns=(10**18, 10**18))  # 2001: a copy made later would show a new time
    os.link(shards / "shard-2.bin", tmp_path / "elsewhere.bin")
    stats = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards.iterdir()}

    _killed(repo, env, "shard-2.bin", *ADD_RANKER)
    assert not (shards / "shard-2.bin").exists()
    assert not (repo / "models/ranker.yaml").exists()

    again = gitmodel(repo, *ADD_RANKER, env=env, check=False)
    assert again.returncode == 0, again.stderr
    assert "put back data/ranker/shard-2.bin" in again.stderr
    assert {p.name: p.read_bytes() for p in shards.iterdir()} == contents  # and no DVC temp file left in it
    # the plain copies were never journaled, so DVC had no reason to copy them: the same files, untouched
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards.iterdir() if p.name != "shard-2.bin"} \
        == {name: stat for name, stat in stats.items() if name != "shard-2.bin"}
    assert manifest.load(repo / "models/ranker.yaml").data[0].nfiles == len(contents)
    assert gitmodel(repo, "check", env=env, check=False).returncode == 0


def test_a_running_commands_journal_is_left_alone(template: Path, env: dict[str, str], tmp_path: Path) -> None:
    """A journal whose lock is held belongs to a command still running: another command must not take
    it for a dead one's (which would put back files that the running `dvc add` is replacing)."""
    from gitmodel.storage import inflight
    from gitmodel.storage.dvc_pointers import pointer_path

    repo = copy_repo(template, tmp_path / "repo")
    weights = repo / "artifacts/sentiment/model.bin"
    with inflight.guarded(repo, ["artifacts/sentiment/model.bin"], pointer_path):
        weights.unlink()  # as DVC does, mid-add
        other = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                                "from gitmodel.storage import inflight; print(inflight.recover(Path(sys.argv[1])))",
                                str(repo)], env=env, capture_output=True, text=True, check=True)
        assert other.stdout.strip() == "[]"
        assert not weights.exists()
        weights.write_bytes(NEW_WEIGHTS)  # DVC's copy back
    assert not list((repo / ".git/gitmodel/inflight").iterdir())


def test_an_error_inside_dvc_add_puts_the_file_back_at_once(template: Path, tmp_path: Path) -> None:
    from gitmodel.storage import inflight
    from gitmodel.storage.dvc_pointers import pointer_path

    repo = copy_repo(template, tmp_path / "repo")
    weights = repo / "artifacts/sentiment/model.bin"
    before = weights.read_bytes()

    def dvc_add_meets_a_full_disk() -> None:
        with inflight.guarded(repo, ["artifacts/sentiment/model.bin"], pointer_path):
            weights.unlink()
            (weights.parent / ".AAAAAAAAAAAAAAAAAAAAAA.tmp").write_bytes(before[:100])  # DVC's half copy
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        dvc_add_meets_a_full_disk()
    assert weights.read_bytes() == before
    assert sorted(p.name for p in weights.parent.iterdir()) == [".gitignore", "model.bin", "model.bin.dvc"]
    assert run(repo, "git", "status", "--porcelain", "--", "artifacts").stdout == ""


def test_pull_after_the_kill_keeps_the_new_weights_rather_than_placing_the_pinned_ones(
        template: Path, env: dict[str, str], tmp_path: Path) -> None:
    """In that state the weights look merely "not pulled" (missing, pointer unchanged), and `pull` would place
    the pinned, older bytes where the user's new ones were. pull puts back what the killed run took first: the
    new weights are then the user's work, kept (pull replaces only a file some commit pinned)."""
    repo = copy_repo(template, tmp_path / "repo")
    weights = repo / "artifacts/sentiment/model.bin"
    weights.write_bytes(NEW_WEIGHTS)
    _killed(repo, env, "model.bin", "bump", "sentiment")
    assert not weights.exists()

    pulled = gitmodel(repo, "pull", "sentiment", env=env, check=False)
    assert "put back artifacts/sentiment/model.bin" in pulled.stderr, pulled.stderr
    assert weights.read_bytes() == NEW_WEIGHTS
    bumped = gitmodel(repo, "bump", "sentiment", env=env, check=False)
    assert bumped.returncode == 0, bumped.stderr
    assert manifest.load(repo / "models/sentiment.yaml").weights[0].sha256 == _sha256(weights)


# A process that opens the journal, does what DVC does mid-add (removes the file, leaves the pointer torn
# or whole), and is SIGKILLed there: argv[1] the repo, argv[2] what to leave in the pointer.
DIE_INSIDE_THE_JOURNAL = """
import os, signal, sys
from pathlib import Path
from gitmodel.storage import inflight
from gitmodel.storage.dvc_pointers import pointer_path

repo, pointer = Path(sys.argv[1]), sys.argv[2].encode()
with inflight.guarded(repo, ["artifacts/sentiment/model.bin"], pointer_path):
    (repo / "artifacts/sentiment/model.bin").unlink()
    (repo / "artifacts/sentiment/model.bin.dvc").write_bytes(pointer)
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("left", ["torn", "whole"])
def test_after_a_kill_a_torn_pointer_goes_back_and_a_whole_one_stays(template: Path, env: dict[str, str],
                                                                     tmp_path: Path, left: str) -> None:
    """A pointer DVC left cut short goes back to its bytes before the run; a whole one (DVC's new one, or one
    written since) is never replaced by older bytes. The file comes back with its mode, through a rename."""
    from gitmodel.storage import inflight

    repo = copy_repo(template, tmp_path / "repo")
    weights, pointer = repo / "artifacts/sentiment/model.bin", repo / "artifacts/sentiment/model.bin.dvc"
    weights.chmod(0o640)
    before, pointer_before = weights.read_bytes(), pointer.read_bytes()
    whole = pointer_before.replace(b"size: 4096", b"size: 4097")
    assert whole != pointer_before
    written = {"torn": pointer_before[:30], "whole": whole}[left]
    died = subprocess.run([sys.executable, "-c", DIE_INSIDE_THE_JOURNAL, str(repo), written.decode()], env=env,
                          capture_output=True, timeout=60, check=False)
    assert died.returncode == -signal.SIGKILL, died.stderr
    assert not weights.exists()

    restored = inflight.recover(repo)
    assert weights.read_bytes() == before
    assert (weights.stat().st_mode & 0o777) == 0o640
    assert pointer.read_bytes() == (pointer_before if left == "torn" else whole)
    assert restored == ["artifacts/sentiment/model.bin", *(["artifacts/sentiment/model.bin.dvc"] if left == "torn" else [])]
    assert sorted(p.name for p in weights.parent.iterdir()) == [".gitignore", "model.bin", "model.bin.dvc"]
    assert inflight.recover(repo) == []  # the journal is gone
