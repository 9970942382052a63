"""Adoption in an existing repo: weights already committed to git move to DVC (real git, real DVC)."""

from __future__ import annotations

from pathlib import Path

from tests.kit.cli import gm
from tests.kit.git import git
from tests.kit.manifests import manifest_yaml
from tests.kit.repos import initialized

WEIGHTS = b"\x80\x04weights-before-gitmodel\x00" * 64


def _legacy_repo(repo: Path) -> Path:
    """The usual state before adoption: weights and a prompt committed to git, then `gitmodel init`."""
    (repo / "artifacts").mkdir()
    (repo / "artifacts" / "model.pkl").write_bytes(WEIGHTS)
    (repo / "prompt.txt").write_text("Classify the ticket.\n")
    git(repo, "add", "artifacts/model.pkl", "prompt.txt")
    git(repo, "commit", "-q", "-m", "weights in git, as before gitmodel")
    return initialized(repo)


def test_add_moves_committed_weights_to_dvc_and_says_so(repo: Path) -> None:
    _legacy_repo(repo)
    result = gm(repo, "add", "legacy", "--weights", "artifacts/model.pkl", "--prompt", "prompt.txt")
    assert result.returncode == 0, result.stderr
    (weights,) = manifest_yaml(repo, "legacy")["weights"]
    assert weights["storage"] == "dvc"
    assert len(weights["md5"]) == 32
    notes = [line for line in result.stderr.splitlines() if "from git to DVC" in line]
    assert len(notes) == 1, result.stderr
    assert "artifacts/model.pkl" in notes[0]
    assert "git rm --cached" in notes[0]
    assert "--git" in notes[0]
    # the removal from git is staged with the pointer, so the next commit finishes the move
    staged = git(repo, "diff", "--cached", "--name-status").stdout
    assert "D\tartifacts/model.pkl" in staged
    assert "A\tartifacts/model.pkl.dvc" in staged
    assert git(repo, "ls-files", "artifacts/model.pkl").stdout == ""
    assert (repo / "artifacts" / "model.pkl").read_bytes() == WEIGHTS  # the file itself stays
    # the prompt (small text) stays in git, as the README says
    assert manifest_yaml(repo, "legacy")["prompts"][0]["storage"] == "git"
    commit = git(repo, "commit", "-q", "-m", "adopt gitmodel", check=False)
    assert commit.returncode == 0, commit.stderr  # the hook accepts the move
    assert git(repo, "ls-tree", "-r", "--name-only", "HEAD").stdout.count("artifacts/model.pkl.dvc") == 1
    assert "artifacts/model.pkl\n" not in git(repo, "ls-tree", "-r", "--name-only", "HEAD").stdout


def test_moved_weights_come_back_with_pull_and_pull_names_what_git_restores(repo: Path) -> None:
    _legacy_repo(repo)
    assert gm(repo, "add", "legacy", "--weights", "artifacts/model.pkl", "--prompt", "prompt.txt").returncode == 0
    git(repo, "commit", "-q", "-m", "adopt gitmodel")
    pushed = gm(repo, "push", "legacy")
    assert pushed.returncode == 0, pushed.stderr
    (repo / "artifacts" / "model.pkl").unlink()
    pulled = gm(repo, "pull", "legacy")
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    assert (repo / "artifacts" / "model.pkl").read_bytes() == WEIGHTS
    line = next(ln for ln in pulled.stdout.splitlines() if ln.startswith("stored in git"))
    assert "prompt.txt" in line
    assert "git checkout" in line
    assert "model.pkl" not in line
    # the hint, followed, restores the git-stored file
    (repo / "prompt.txt").unlink()
    git(repo, "checkout", "--", "prompt.txt")
    assert gm(repo, "verify", "legacy").returncode == 0


def test_git_flag_keeps_one_committed_file_in_git_while_the_other_moves(repo: Path) -> None:
    _legacy_repo(repo)
    (repo / "artifacts" / "tokenizer.bin").write_bytes(b"\x00tok" * 32)
    git(repo, "add", "artifacts/tokenizer.bin")
    git(repo, "commit", "-q", "-m", "tokenizer in git too")
    result = gm(repo, "add", "legacy", "--weights", "artifacts/model.pkl", "--weights", "artifacts/tokenizer.bin",
                "--git", "artifacts/tokenizer.bin")
    assert result.returncode == 0, result.stderr
    storage = {w["path"]: w["storage"] for w in manifest_yaml(repo, "legacy")["weights"]}
    assert storage == {"artifacts/model.pkl": "dvc", "artifacts/tokenizer.bin": "git"}
    assert git(repo, "ls-files", "artifacts").stdout.split() == ["artifacts/.gitignore", "artifacts/model.pkl.dvc",
                                                                 "artifacts/tokenizer.bin"]
    assert not (repo / "artifacts" / "tokenizer.bin.dvc").exists()
    note = next(ln for ln in result.stderr.splitlines() if "from git to DVC" in ln)
    assert "tokenizer" not in note


def test_committed_data_follows_the_storage_rule_as_if_it_were_new(repo: Path) -> None:
    """Large or binary data and data directories move to DVC; small text data stays in git."""
    _legacy_repo(repo)
    (repo / "data" / "images").mkdir(parents=True)
    (repo / "data" / "images" / "a.png").write_bytes(b"\x89PNG\x00" * 10)
    (repo / "data" / "big.parquet").write_bytes(b"PAR1\x00" * 300_000)  # 1.5 MB, binary
    (repo / "data" / "labels.csv").write_text("text,label\ngood,pos\n")
    git(repo, "add", "data")
    git(repo, "commit", "-q", "-m", "data in git")
    result = gm(repo, "add", "legacy", "--weights", "artifacts/model.pkl", "--data", "data/images",
                "--data", "data/big.parquet", "--data", "data/labels.csv")
    assert result.returncode == 0, result.stderr
    storage = {d["path"]: d["storage"] for d in manifest_yaml(repo, "legacy")["data"]}
    assert storage == {"data/images": "dvc", "data/big.parquet": "dvc", "data/labels.csv": "git"}
    assert git(repo, "ls-files", "data").stdout.split() == [
        "data/.gitignore", "data/big.parquet.dvc", "data/images.dvc", "data/labels.csv"]
    (note,) = [ln for ln in result.stderr.splitlines() if "from git to DVC" in ln]
    for path in ("artifacts/model.pkl", "data/images", "data/big.parquet"):
        assert path in note
    assert "labels.csv" not in note
    assert git(repo, "commit", "-q", "-m", "adopt", check=False).returncode == 0


def test_failed_move_leaves_the_weights_tracked_by_git(repo: Path) -> None:
    """The adversary: DVC refuses the file after git let go of it — git must still track it, nothing staged."""
    _legacy_repo(repo)
    (repo / ".dvcignore").write_text("artifacts/model.pkl\n")
    index_before = git(repo, "ls-files", "--stage").stdout
    result = gm(repo, "add", "legacy", "--weights", "artifacts/model.pkl")
    assert result.returncode in (2, 3), result.stderr
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr
    assert git(repo, "ls-files", "--stage").stdout == index_before
    assert not (repo / "models" / "legacy.yaml").exists()
    assert not (repo / "artifacts" / "model.pkl.dvc").exists()
