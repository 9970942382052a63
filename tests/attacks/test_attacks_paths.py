"""Attacks on where bytes land: every path that comes from data (a DVC `.dir` listing in the remote, a
pointer, a manifest) is checked before any write, and no command writes through a symlink out of the
work tree or `--out`. Real git, real DVC, a real local DVC remote."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from gitmodel.infra.errors import InvalidInput
from tests.kit.cli import gm
from tests.kit.dvc import hostile_dir_release, make_model_repo
from tests.kit.git import git


def _nowhere(tmp_path: Path, name: str) -> None:
    """No file called `name` exists anywhere below tmp_path (repo, exports, resolve cache) or beside it."""
    found = list(tmp_path.rglob(name)) + [p for p in (tmp_path.parent / name,) if p.exists()]
    assert found == []


@pytest.fixture(params=["absolute", "dotdot"])
def hostile(request: pytest.FixtureRequest, repo: Path, tmp_path: Path) -> tuple[Path, str]:
    """A release whose data directory's listing (in the shared remote) names a file outside it."""
    name = f"evil-{uuid.uuid4().hex}.pth"
    relpath = str(tmp_path / name) if request.param == "absolute" else f"../../../{name}"
    make_model_repo(repo)
    hostile_dir_release(repo, relpath)
    return repo, name


def test_get_refuses_a_dir_listing_that_leaves_the_export(hostile: tuple[Path, str], tmp_path: Path) -> None:
    root, name = hostile
    out = tmp_path / "export"
    result = gm(root, "get", "sentiment@v0.2.0", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert "DVC directory listing" in result.stderr
    _nowhere(tmp_path, name)
    assert not out.exists()  # nothing placed, not even the directory


def test_resolve_refuses_a_dir_listing_that_leaves_its_directory(hostile: tuple[Path, str], tmp_path: Path) -> None:
    from gitmodel.storage.resolve import resolve

    root, name = hostile
    with pytest.raises(InvalidInput, match="DVC directory listing"):
        resolve("sentiment@v0.2.0", repo=root)
    _nowhere(tmp_path, name)


def test_checkout_refuses_a_dir_listing_that_leaves_the_work_tree(hostile: tuple[Path, str], tmp_path: Path
                                                                  ) -> None:
    root, name = hostile
    git(root, "checkout", "-q", "sentiment@v0.1.0")
    result = gm(root, "checkout", "sentiment@v0.2.0", "--force")
    assert result.returncode == 2, result.stderr
    _nowhere(tmp_path, name)
    # checked before git restored anything: the working tree is still the old release
    assert gm(root, "verify", "sentiment@v0.1.0").returncode == 0


def test_pull_refuses_a_dir_listing_that_leaves_the_work_tree(hostile: tuple[Path, str], tmp_path: Path) -> None:
    root, name = hostile
    result = gm(root, "pull", "--force")
    assert result.returncode == 2, result.stderr
    assert "DVC directory listing" in result.stderr
    _nowhere(tmp_path, name)


# ------------------------------------------------------------------ a pointer that names another file


def _hostile_pointer(root: Path) -> str:
    """`artifacts/model.bin.dvc` says `path: ../serve.py` (a git-tracked file), committed as 0.2.0 and
    tagged; returns serve.py's original text."""
    original = "print('serving')\n"
    (root / "serve.py").write_text(original)
    git(root, "add", "serve.py")
    git(root, "commit", "-q", "-m", "serve.py")
    git(root, "tag", "-f", "-a", "sentiment@v0.1.0", "-m", "first release")
    from gitmodel.storage.transfer import push

    push(root)
    pointer = root / "artifacts" / "model.bin.dvc"
    pointer.write_text(pointer.read_text().replace("path: model.bin", "path: ../serve.py"))
    text = (root / "models" / "sentiment.yaml").read_text().replace("version: 0.1.0", "version: 0.2.0")
    (root / "models" / "sentiment.yaml").write_text(text)
    git(root, "commit", "-q", "--no-verify", "-am", "0.2.0")
    git(root, "tag", "-a", "sentiment@v0.2.0", "-m", "hostile")
    return original


def test_pull_refuses_a_pointer_naming_another_file(repo: Path) -> None:
    original = _hostile_pointer(make_model_repo(repo))
    (repo / "artifacts" / "model.bin").write_bytes(b"local edit")
    result = gm(repo, "pull", "--force")
    assert result.returncode == 2, result.stderr
    assert "artifacts/model.bin.dvc: outs[0].path" in result.stderr
    assert (repo / "serve.py").read_text() == original


def test_checkout_refuses_a_release_whose_pointer_names_another_file(repo: Path) -> None:
    original = _hostile_pointer(make_model_repo(repo))
    git(repo, "checkout", "-q", "sentiment@v0.1.0")
    result = gm(repo, "checkout", "sentiment@v0.2.0", "--force")
    assert result.returncode == 2, result.stderr
    assert "outs[0].path" in result.stderr
    assert (repo / "serve.py").read_text() == original
    assert gm(repo, "verify", "sentiment@v0.1.0").returncode == 0  # nothing restored


def test_get_refuses_a_release_whose_pointer_names_another_file(repo: Path, tmp_path: Path) -> None:
    _hostile_pointer(make_model_repo(repo))
    result = gm(repo, "get", "sentiment@v0.2.0", "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "outs[0].path" in result.stderr
    assert not (tmp_path / "out").exists()


def test_check_base_refuses_a_pointer_naming_another_file(repo: Path) -> None:
    _hostile_pointer(make_model_repo(repo))
    result = gm(repo, "check", "--base", "sentiment@v0.1.0")
    assert result.returncode != 0
    assert "artifacts/model.bin.dvc: outs[0].path" in result.stderr + result.stdout


def test_pre_commit_hook_refuses_a_pointer_naming_another_file(repo: Path) -> None:
    make_model_repo(repo)
    assert gm(repo, "hooks", "install").returncode == 0
    pointer = repo / "artifacts" / "model.bin.dvc"
    pointer.write_text(pointer.read_text().replace("path: model.bin", "path: ../serve.py"))
    git(repo, "add", str(pointer))
    result = git(repo, "commit", "-m", "sneaky", check=False)
    assert result.returncode != 0
    assert "outs[0].path" in result.stderr + result.stdout
    assert git(repo, "log", "-1", "--format=%s").stdout.strip() == "sentiment 0.1.0"


# ----------------------------------------------------------------------------------------- symlinks


def test_bump_and_check_refuse_a_pinned_path_through_a_link_out_of_the_repo(repo: Path, tmp_path: Path) -> None:
    import shutil

    make_model_repo(repo)
    outside = tmp_path / "outside"
    shutil.move(repo / "artifacts", outside)
    (repo / "artifacts").symlink_to(outside)
    (outside / "model.bin").write_bytes(b"weights that live outside the repo")
    before = (repo / "models" / "sentiment.yaml").read_bytes()
    bumped = gm(repo, "bump", "sentiment")
    assert bumped.returncode == 2, bumped.stderr
    assert "leads out of" in bumped.stderr
    assert (repo / "models" / "sentiment.yaml").read_bytes() == before
    for command in ("check", "verify", "status"):
        said = gm(repo, command)
        assert said.returncode == 2, (command, said.stderr)
        assert "leads out of" in said.stderr


def test_add_refuses_a_models_dir_that_links_out_before_writing_anything(repo: Path, tmp_path: Path) -> None:
    from gitmodel.workspace.init_repo import init_repo

    init_repo(repo, hooks=False)
    import shutil

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shutil.rmtree(repo / "models", ignore_errors=True)
    (repo / "models").symlink_to(outside)
    (repo / "w.bin").write_bytes(b"\x00weights")
    result = gm(repo, "add", "sentiment", "--weights", "w.bin")
    assert result.returncode == 2, result.stderr
    assert list(outside.iterdir()) == []
    assert not (repo / "w.bin.dvc").exists()  # DVC never ran


def test_get_never_writes_through_a_symlink_in_out(repo: Path, tmp_path: Path) -> None:
    make_model_repo(repo)
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "artifacts").symlink_to(elsewhere)
    result = gm(repo, "get", "sentiment@v0.1.0", "--out", str(out))
    assert result.returncode == 2, result.stderr
    assert "symlink" in result.stderr
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in out.iterdir()) == ["artifacts"]


def test_pull_never_writes_through_a_committed_link_out_of_the_repo(repo: Path, tmp_path: Path) -> None:
    import shutil

    make_model_repo(repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(repo / "data")
    (repo / "data").symlink_to(outside)
    result = gm(repo, "pull", "--force")
    assert result.returncode == 2, result.stderr
    assert list(outside.iterdir()) == []


def test_add_refuses_a_prompt_that_is_a_symlink(repo: Path) -> None:
    from gitmodel.workspace.init_repo import init_repo

    init_repo(repo, hooks=False)
    (repo / "w.bin").write_bytes(b"\x00weights")
    (repo / "prompts").mkdir()
    (repo / "prompts" / "real.txt").write_text("You are helpful.\n")
    (repo / "prompts" / "system.txt").symlink_to("real.txt")
    result = gm(repo, "add", "sentiment", "--weights", "w.bin", "--prompt", "prompts/system.txt")
    assert result.returncode == 2, result.stderr
    assert "is a symlink" in result.stderr
    assert not (repo / "models" / "sentiment.yaml").exists()


def test_card_refuses_a_template_linked_out_of_the_repo(repo: Path, tmp_path: Path) -> None:
    make_model_repo(repo)
    secret = tmp_path / "secret.md"
    secret.write_text("$name token=hunter2\n")
    (repo / ".gitmodel").mkdir(exist_ok=True)
    (repo / ".gitmodel" / "model-card.md").symlink_to(secret)
    result = gm(repo, "card", "sentiment")
    assert result.returncode == 2, result.stderr
    assert "leads out of" in result.stderr
    assert "hunter2" not in result.stdout


def test_the_pointer_hint_followed_restores_a_working_pull(repo: Path) -> None:
    make_model_repo(repo)
    (repo / "serve.py").write_text("print('serving')\n")
    pointer = repo / "artifacts" / "model.bin.dvc"
    pointer.write_text(pointer.read_text().replace("path: model.bin", "path: ../serve.py"))
    refused = gm(repo, "pull", "--force")
    assert refused.returncode == 2
    assert "delete artifacts/model.bin.dvc and re-create it with `gitmodel bump NAME`" in refused.stderr
    pointer.unlink()
    assert gm(repo, "bump", "sentiment").returncode == 0
    assert "path: model.bin" in pointer.read_text()
    assert gm(repo, "pull", "--force").returncode == 0
    assert gm(repo, "check").returncode == 0
    assert (repo / "serve.py").read_text() == "print('serving')\n"
