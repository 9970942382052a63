"""Storage: remotes, push/pull/get/checkout/verify, every byte verified. Real git, real DVC, local remote."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitmodel.infra.errors import ExternalFailure, InvalidInput, Refused
from gitmodel.model.manifest import load
from gitmodel.storage import dvc as storage
from gitmodel.storage import dvc_transfer
from gitmodel.storage.checkout import checkout
from gitmodel.storage.export import get
from gitmodel.storage.transfer import pull, push
from gitmodel.storage.verify import verify
from tests.kit.cli import gm
from tests.kit.dvc import (
    WEIGHTS_V1,
    WEIGHTS_V2,
    drop_local_copies,
    flip_byte,
    make_model_repo,
    remote_dir,
    remote_object,
    second_version,
)
from tests.kit.git import git
from tests.kit.manifests import entries


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def model_repo(repo: Path) -> Path:
    return make_model_repo(repo)


@dataclass
class CliRun:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """The real CLI entry point (`main`, with its error funnel) in-process: a subprocess costs ~1 s here."""
    from gitmodel.cli import main

    def run(root: Path, *args: str) -> CliRun:
        monkeypatch.chdir(root)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        return CliRun(int(exited.value.code or 0), captured.out, captured.err)

    return run


# ------------------------------------------------------------------------------------------- remotes


def test_init_sets_a_machine_local_default_remote_and_keeps_it(repo: Path, isolated_env: Path) -> None:
    note = storage.init(repo) and storage.ensure_default_remote(repo, None)
    assert note is not None
    assert "config.local" in note
    path = remote_dir()
    assert path.is_dir()
    assert path.is_relative_to(isolated_env)
    assert str(path) in (repo / ".dvc" / "config.local").read_text()
    assert "remote" not in (repo / ".dvc" / "config").read_text()  # per-machine path: not committed
    assert "kept" in (storage.ensure_default_remote(repo, None) or "")


def test_explicit_remote_is_shared_and_shadows_the_local_default(repo: Path, tmp_path: Path) -> None:
    storage.init(repo)
    storage.ensure_default_remote(repo, None)
    note = storage.ensure_default_remote(repo, str(tmp_path / "team-store"))
    assert note is not None
    assert "'storage'" in note
    shared = (repo / ".dvc" / "config").read_text()
    assert str(tmp_path / "team-store") in shared
    assert "remote = storage" in shared
    assert "remote = local" not in (repo / ".dvc" / "config.local").read_text()
    assert storage.remote_info(repo).url == str(tmp_path / "team-store")
    # naming an existing remote makes it the default again
    storage.ensure_default_remote(repo, "local")
    assert storage.remote_info(repo).name == "local"


def test_no_remote_configured_is_exit_2_saying_how(repo: Path, cli: Callable[..., CliRun]) -> None:
    make_model_repo(repo)
    (repo / ".dvc" / "config.local").unlink()
    with pytest.raises(InvalidInput) as caught:
        push(repo)
    assert caught.value.exit_code == 2
    assert "gitmodel init --remote" in str(caught.value)
    result = cli(repo, "push")
    assert result.returncode == 2
    assert "no DVC remote configured" in result.stderr
    assert "Traceback" not in result.stderr


# ------------------------------------------------------------------------------- the judged round trip


def test_push_delete_get_checkout_verify_round_trip(model_repo: Path, tmp_path: Path,
                                                    cli: Callable[..., CliRun]) -> None:
    root = model_repo
    pushed = cli(root, "push")
    assert pushed.returncode == 0, pushed.stderr
    assert "pushed      artifacts/model.bin" in pushed.stdout
    released = load(root / "models" / "sentiment.yaml")
    drop_local_copies(root)

    out = tmp_path / "export"
    got = cli(root, "get", "sentiment@v0.1.0", "--out", str(out))
    assert got.returncode == 0, got.stderr
    exported = load(out / "models" / "sentiment.yaml")
    assert exported == released
    for _, entry in exported.files():
        if entry.storage == "dvc" and entry.md5 and entry.md5.endswith(".dir"):
            from gitmodel.infra.hashing import sha256_dir

            assert sha256_dir(out / entry.path) == entry.sha256
        else:
            assert sha256(out / entry.path) == entry.sha256
    assert sha256(out / "params.yaml") == released.params_file["sha256"]  # type: ignore[index]
    assert not [p for p in out.iterdir() if p.name.startswith(".gitmodel-get-")]  # no temp left

    pull(root)  # weights back at HEAD for the next version
    second_version(root)
    restored = cli(root, "checkout", "sentiment@v0.1.0")
    assert restored.returncode == 0, restored.stderr
    assert (root / "prompts" / "system.txt").read_text() == "You are a sentiment classifier. v1\n"
    assert (root / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V1
    assert load(root / "models" / "sentiment.yaml").version == "0.1.0"
    verified = cli(root, "verify", "sentiment")
    assert verified.returncode == 0, verified.stderr
    assert "4 file(s), ok" in verified.stdout
    assert git(root, "diff", "--cached", "--name-only").stdout == ""  # the index is left alone
    # the working tree now holds a release, not unsaved work: going back to HEAD's needs no --force
    assert checkout(root, "sentiment@v0.2.0").verify.ok
    assert (root / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V2
    assert git(root, "status", "--porcelain").stdout == ""


def test_flipped_byte_in_the_remote_refuses_and_places_nothing(model_repo: Path, tmp_path: Path) -> None:
    root = model_repo
    push(root)
    weights = next(e for e in entries(root) if e.path == "artifacts/model.bin")
    assert weights.md5 is not None
    data = flip_byte(weights.md5, 100).read_bytes()
    drop_local_copies(root)

    out = tmp_path / "export"
    result = gm(root, "get", "sentiment@v0.1.0", "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "artifacts/model.bin: expected sha256 " + weights.sha256 in result.stderr
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert f"got {actual}" in result.stderr
    assert not out.exists()  # nothing placed, not even the directory
    # the corrupt copy did not stay in the local cache to poison the next attempt
    assert not (root / ".dvc" / "cache" / "files" / "md5" / weights.md5[:2] / weights.md5[2:]).exists()
    # an existing out dir stays exactly as it was
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(Refused):
        get(root, "sentiment@v0.1.0", out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_deleted_remote_object_is_exit_3_naming_url_and_file(model_repo: Path, tmp_path: Path,
                                                            cli: Callable[..., CliRun]) -> None:
    root = model_repo
    push(root)
    data = next(e for e in entries(root) if e.path == "data/train")
    assert data.md5 is not None
    drop_local_copies(root)
    remote_object(data.md5).unlink()  # the directory listing itself
    with pytest.raises(ExternalFailure) as caught:
        get(root, "sentiment@v0.1.0", tmp_path / "export")
    assert caught.value.exit_code == 3
    assert "data/train" in str(caught.value)
    assert str(remote_dir()) in str(caught.value)
    assert not (tmp_path / "export").exists()
    result = cli(root, "get", "sentiment@v0.1.0", "--out", str(tmp_path / "export"))
    assert result.returncode == 3
    assert "data/train" in result.stderr
    assert str(remote_dir()) in result.stderr


def test_unreachable_remote_is_exit_3(model_repo: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the remote directory should be")
    storage.ensure_default_remote(model_repo, str(blocker / "store"))
    with pytest.raises(ExternalFailure) as caught:
        push(model_repo)
    assert str(blocker / "store") in str(caught.value)


# ------------------------------------------------------------------------------- the pre-push hook's API


def test_missing_in_remote_sees_files_inside_a_pushed_directory(model_repo: Path) -> None:
    root = model_repo
    assert dvc_transfer.missing_in_remote(root, entries(root)) == ["artifacts/model.bin", "data/train"]
    result = dvc_transfer.push_entries(root, entries(root))
    assert sorted(result.pushed) == ["artifacts/model.bin", "data/train"]
    assert ", ".join(result) == "artifacts/model.bin, data/train"  # the pre-push hook joins the paths
    assert dvc_transfer.missing_in_remote(root, entries(root)) == []
    assert dvc_transfer.push_entries(root, entries(root)).pushed == []
    # one file inside the pushed directory disappears from the remote
    data = next(e for e in entries(root) if e.path == "data/train")
    a_csv_md5 = hashlib.md5((root / "data/train/a.csv").read_bytes(), usedforsecurity=False).hexdigest()
    remote_object(a_csv_md5).unlink()
    assert data.md5
    assert remote_object(data.md5).exists()
    assert dvc_transfer.missing_in_remote(root, entries(root)) == ["data/train"]
    assert dvc_transfer.push_entries(root, entries(root)).pushed == ["data/train"]
    assert remote_object(a_csv_md5).exists()


def test_the_hook_api_names_docs_promise_still_import_from_storage() -> None:
    from gitmodel.storage.dvc import missing_in_remote, push_entries

    assert (missing_in_remote, push_entries) == (dvc_transfer.missing_in_remote, dvc_transfer.push_entries)
    with pytest.raises(AttributeError):
        storage.fetch_entries  # noqa: B018 - only the two documented names are forwarded


def test_push_all_releases_sends_objects_no_longer_in_the_workspace(model_repo: Path) -> None:
    root = model_repo
    second_version(root)
    v1_weights = next(e for e in load(root / "models" / "sentiment.yaml").files() if e[1].storage == "dvc")[1]
    report = push(root)
    assert report.models == {"sentiment": ["workspace"]}
    old_md5 = hashlib.md5(WEIGHTS_V1, usedforsecurity=False).hexdigest()
    assert not remote_object(old_md5).exists()
    assert v1_weights.md5 != old_md5
    report = push(root, all_releases=True)
    assert report.models == {"sentiment": ["workspace", "v0.1.0", "v0.2.0"]}
    assert remote_object(old_md5).exists()


# ------------------------------------------------------------------------------------ pull, checkout


def test_pull_restores_and_verifies(model_repo: Path) -> None:
    root = model_repo
    push(root)
    drop_local_copies(root)
    report = pull(root, ["sentiment"])
    assert report.verify.ok
    assert sorted(report.fetched) == ["artifacts/model.bin", "data/train"]
    assert (root / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V1
    (root / "artifacts" / "model.bin").write_bytes(b"local edit")
    with pytest.raises(Refused, match="pull --force"):
        pull(root)
    assert pull(root, force=True).verify.ok


def test_checkout_refuses_uncommitted_changes_unless_forced(model_repo: Path, cli: Callable[..., CliRun]) -> None:
    root = model_repo
    push(root)
    second_version(root)
    (root / "prompts" / "system.txt").write_text("an unsaved edit\n")
    with pytest.raises(Refused) as caught:
        checkout(root, "sentiment@v0.1.0")
    assert "prompts/system.txt" in str(caught.value)
    assert "--force" in str(caught.value)
    assert (root / "prompts" / "system.txt").read_text() == "an unsaved edit\n"
    git(root, "checkout", "--", "prompts/system.txt")
    (root / "artifacts" / "model.bin").write_bytes(b"retrained, not yet recorded")  # DVC output: git-ignored
    with pytest.raises(Refused, match="artifacts/model.bin"):
        checkout(root, "sentiment@v0.1.0")
    result = cli(root, "checkout", "sentiment@v0.1.0")
    assert result.returncode == 1
    assert "artifacts/model.bin" in result.stderr
    report = checkout(root, "sentiment@v0.1.0", force=True)
    assert report.verify.ok
    assert (root / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V1


def test_verify_lists_each_mismatch(model_repo: Path, cli: Callable[..., CliRun]) -> None:
    root = model_repo
    assert verify(root).ok
    (root / "artifacts" / "model.bin").write_bytes(b"tampered")
    (root / "data" / "train" / "b.csv").unlink()
    (root / "prompts" / "system.txt").unlink()
    report = verify(root, "sentiment@v0.1.0")
    assert {f.path for _, f in report.mismatches()} == {"artifacts/model.bin", "data/train", "prompts/system.txt"}
    result = cli(root, "verify", "--json")
    assert result.returncode == 1
    import json

    data = json.loads(result.stdout)
    assert data["ok"] is False
    bad = [f for f in data["models"][0]["files"] if not f["ok"]]
    assert {f["path"] for f in bad} == {"artifacts/model.bin", "data/train", "prompts/system.txt"}
    missing = next(f for f in bad if f["path"] == "prompts/system.txt")
    assert missing["actual"] is None


# ------------------------------------------------------------------------------------- lock, imports


def test_held_dvc_lock_waits_a_bounded_time_then_says_so(model_repo: Path, monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import sys, time
            from dvc.lock import make_lock
            lock = make_lock(sys.argv[1])
            lock.lock()
            print("locked", flush=True)
            time.sleep(60)
        """), str(model_repo / ".dvc" / "tmp" / "lock")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        monkeypatch.setenv("GITMODEL_LOCK_TIMEOUT", "0")
        (model_repo / "extra.bin").write_bytes(b"\x00" * 10)
        with pytest.raises(ExternalFailure) as caught:
            storage.track(model_repo, ["extra.bin"])
        assert "lock is held by another process" in str(caught.value)
        assert caught.value.exit_code == 3
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_read_commands_never_import_dvc(model_repo: Path) -> None:
    script = textwrap.dedent("""
        import sys
        from gitmodel.cli import main
        for argv in (["--help"], ["ls"], ["status"], ["check"], ["verify"]):
            try:
                main(argv)
            except SystemExit as exc:
                assert exc.code == 0, (argv, exc.code)
        import gitmodel
        assert callable(gitmodel.resolve)
        sys.stderr.write("DVC-LOADED=" + str(sorted(m for m in sys.modules if m == "dvc" or m.startswith("dvc."))))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=model_repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "DVC-LOADED=[]" in result.stderr
