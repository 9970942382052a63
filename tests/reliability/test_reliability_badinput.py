"""Bad-input corpus: every case exits with its documented code, prints ONE error line naming the file
and field, never a traceback, and leaves the repository byte-for-byte as it was.

Each case runs the real CLI in a subprocess on a copy of one template repo (`gitmodel init`, a model
`sentiment` with DVC-stored weights and a git-stored prompt, committed). "Unchanged" means: every file
under the repo, `.git/` included (the index too), hashes the same before and after, and so does
`git status --porcelain --ignored`. Left out: `.git/gitmodel/hashcache.json`, a stat cache keyed on
inodes, which a copied repo legitimately rebuilds, `blobcache` (the sha256 of git blobs, which a fresh
clone learns on first use), the judged index, the parsed-YAML memo (documents by blob id, so never stale),
and their directory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.kit.cli import gitmodel, gm, run
from tests.kit.env import home_env
from tests.kit.files import replace_in, snapshot
from tests.kit.files import write as write_file
from tests.kit.git import git
from tests.kit.manifests import MANIFEST

OLD = time.time() - 3600
# the caches a read command may refresh (gitmodel/infra/cache.py): hashes, the judged index of the work tree, and
# the documents it parsed
EXCLUDED = {".git/gitmodel/", ".git/gitmodel/hashcache.json", ".git/gitmodel/blobcache", ".git/gitmodel/judged.json",
            ".git/gitmodel/parsed-yaml12.json"}
CONFIG = ".gitmodel.yaml"


# ------------------------------------------------------------------------------------------- the repo


def _age_worktree(root: Path) -> None:
    """Files an hour old: nothing is racily clean, so git has no reason to rewrite its index later."""
    for dirpath, dirnames, filenames in os.walk(root):
        if ".git" in dirnames and Path(dirpath) == root:
            dirnames.remove(".git")
        for name in filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                os.utime(path, (OLD, OLD))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = home_env(tmp_path_factory.mktemp("template-home"))
    root = tmp_path_factory.mktemp("template") / "repo"
    root.mkdir()
    run(root, "git", "init", "-q", env=env)
    (root / "README.md").write_text("bad-input template\n")
    run(root, "git", "add", "README.md", env=env)
    run(root, "git", "commit", "-q", "-m", "initial", env=env)
    # the real CLI, in-process (tests/kit/clirun.py): set-up, not the subject
    gitmodel(root, "init", "--no-hooks", "--remote", str(root.parent / "remote"), env=env)
    write_file(root, "artifacts/model.bin", bytes(range(256)) * 8)
    write_file(root, "prompts/system.txt", "You are a careful sentiment classifier.\n")
    (root / "schema.yaml").write_text("inputs: {type: object, required: [text], properties: {text: {type: string}}}\n")
    gitmodel(root, "add", "sentiment", "--weights", "artifacts/model.bin", "--prompt", "prompts/system.txt",
             "--schema", "schema.yaml", env=env)
    run(root, "git", "add", "-A", env=env)
    run(root, "git", "commit", "-q", "-m", "sentiment", env=env)
    _age_worktree(root)
    run(root, "git", "update-index", "-q", "--refresh", env=env)
    return root


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# ---------------------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    mentions: tuple[str, ...]  # each must appear in the error line (file, field, option)
    code: int = 2
    setup: Callable[[Path], Path | None] | None = None  # may return another cwd
    requires: tuple[str, ...] = ()  # gitmodel commands that must exist on this commit
    ok: bool = False  # the input is odd but valid: exit `code`, and no error line at all
    extra: dict[str, str] = field(default_factory=dict)


def write(rel: str, content: str | bytes) -> Callable[[Path], None]:
    """A case's set-up: write `content` at `rel`."""

    def setup(root: Path) -> None:
        write_file(root, rel, content)

    return setup


def edit_manifest(old: str, new: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        replace_in(root / MANIFEST, old, new, 1)

    return setup


def regex_manifest(pattern: str, replacement: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / MANIFEST
        text, count = re.subn(pattern, replacement, path.read_text(), count=1)
        assert count == 1, f"{pattern!r} not in the template manifest"
        path.write_text(text)

    return setup


def edit_config(old: str, new: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        replace_in(root / CONFIG, old, new, 1)

    return setup


def symlink_out(root: Path) -> None:
    (root / "artifacts" / "escape.bin").symlink_to("/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd")


def no_git(root: Path) -> Path:
    plain = root.parent / "plain"
    plain.mkdir()
    (plain / "weights.bin").write_bytes(b"\x00" * 64)
    return plain


def no_dvc(root: Path) -> None:
    (root / "data").mkdir()
    (root / "data" / "binary.bin").write_bytes(b"\x00\x01\x02\xff" * 64)  # binary: goes through DVC
    shutil.rmtree(root / ".dvc")
    (root / ".dvcignore").unlink(missing_ok=True)
    git(root, "rm", "-q", "-r", "--cached", ".dvc", ".dvcignore")
    git(root, "commit", "-q", "-m", "drop dvc")


def detached(root: Path) -> None:
    git(root, "checkout", "-q", "--detach", "HEAD")


def shallow_clone(root: Path) -> Path:
    git(root, "tag", "-a", "sentiment@v0.1.0", "-m", "gitmodel release sentiment v0.1.0")
    (root / "README.md").write_text("second commit\n")
    git(root, "commit", "-q", "-am", "second")
    clone = root.parent / "shallow"
    git(root.parent, "clone", "-q", "--depth", "1", "--no-tags", f"file://{root}", str(clone))
    return clone


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))

W = ("--weights", "artifacts/model.bin")

CASES: list[Case] = [
    # ---- manifests (read by validate, check, status, show)
    Case("manifest-broken-yaml", ("validate",), (MANIFEST, "line"), setup=write(MANIFEST, "name: [unclosed\n")),
    Case("manifest-alias-bomb", ("validate",), (MANIFEST,), setup=write(MANIFEST, BOMB)),
    Case("manifest-over-size-cap", ("check",), (MANIFEST, "limit"),
         setup=write(MANIFEST, "description: " + "x" * (2 * 1024 * 1024) + "\n")),
    Case("manifest-binary", ("status",), (MANIFEST,), setup=write(MANIFEST, b"\x00\x01PK\x03\x04 binary")),
    Case("manifest-not-utf8", ("validate",), (MANIFEST, "UTF-8"),
         setup=write(MANIFEST, b"name: caf\xe9\nversion: 0.1.0\n")),
    Case("manifest-python-tag", ("validate",), (MANIFEST,),
         setup=write(MANIFEST, "schema_version: 1\nname: !!python/object/apply:os.system ['touch PWNED']\n")),
    Case("manifest-top-level-list", ("check",), (MANIFEST,), setup=write(MANIFEST, "- a\n- b\n")),
    Case("manifest-empty", ("status",), (MANIFEST,), setup=write(MANIFEST, "")),
    Case("manifest-schema-version-2", ("validate",), (MANIFEST, "schema_version"),
         setup=edit_manifest("schema_version: 1", "schema_version: 2")),
    Case("manifest-version-float", ("check",), (MANIFEST, "version"),
         setup=edit_manifest("version: 0.1.0", "version: 0.1")),
    Case("manifest-version-leading-zero", ("status",), (MANIFEST, "version"),
         setup=edit_manifest("version: 0.1.0", "version: 0.01.0")),
    Case("manifest-name-dotdot", ("validate",), (MANIFEST, "name"),
         setup=edit_manifest("name: sentiment", "name: ../sentiment")),
    Case("manifest-sha256-not-hex", ("check",), (MANIFEST, "sha256"),
         setup=regex_manifest(r"sha256: [0-9a-f]{64}", "sha256: zzzz")),
    Case("manifest-size-negative", ("validate",), (MANIFEST, "size"),
         setup=regex_manifest(r"size: \d+", "size: -5")),
    Case("manifest-storage-unknown", ("check",), (MANIFEST, "storage"),
         setup=edit_manifest("storage: dvc", "storage: ftp")),
    Case("manifest-path-absolute", ("validate",), (MANIFEST, "path"),
         setup=edit_manifest("path: artifacts/model.bin", "path: /etc/passwd")),
    Case("manifest-path-dotdot", ("check",), (MANIFEST, "path"),
         setup=edit_manifest("path: prompts/system.txt", "path: ../outside.txt")),
    Case("manifest-unknown-field", ("validate",), (MANIFEST, "colour"),
         setup=regex_manifest(r"\Z", "colour: blue\n")),
    Case("manifest-weights-not-list", ("status",), (MANIFEST, "weights"),
         setup=regex_manifest(r"weights:\n(- .*\n|  .*\n)+", "weights: artifacts/model.bin\n")),
    # ---- config
    Case("config-broken-yaml", ("status",), (CONFIG,), setup=write(CONFIG, "policy: {weights: minor\n")),
    Case("config-top-level-list", ("check",), (CONFIG,), setup=write(CONFIG, "- manifests\n")),
    Case("config-bad-level", ("validate",), (CONFIG, "policy"), setup=edit_config("weights: minor", "weights: huge")),
    Case("config-manifests-escape", ("status",), (CONFIG, "manifests"),
         setup=edit_config("manifests: models", "manifests: ../elsewhere")),
    Case("config-bad-gate", ("check",), (CONFIG, "gates"),
         setup=edit_config("gates: {}", "gates: {sentiment: {accuracy: '~= 0.8'}}")),
    Case("config-binary", ("validate",), (CONFIG,), setup=write(CONFIG, b"\xff\xfe\x00\x00")),
    # ---- names (add NAME, show NAME)
    Case("name-dotdot", ("add", "../evil", *W), ("NAME",)),
    Case("name-inner-dotdot", ("add", "a..b", *W), ("NAME",)),
    Case("name-trailing-slash", ("add", "team/", *W), ("NAME",)),
    Case("name-leading-slash", ("add", "/team", *W), ("NAME",)),
    Case("name-space", ("add", "my model", *W), ("NAME",)),
    Case("name-control-char", ("add", "bad\x01name", *W), ("NAME",)),
    Case("name-leading-dash", ("add", *W, "--", "-rm"), ("NAME",)),
    Case("name-ref-peel", ("add", "name^{}", *W), ("NAME",)),
    Case("name-reflog", ("add", "name@{1}", *W), ("NAME",)),
    Case("name-upper-case", ("add", "Sentiment", *W), ("NAME",)),
    Case("name-lock-suffix", ("add", "team.lock", *W), ("NAME",)),
    Case("name-hash", ("add", "a#b", *W), ("NAME",)),
    Case("name-too-long", ("add", "m" * 101, *W), ("NAME",)),
    Case("name-exists", ("add", "sentiment", *W), (MANIFEST,)),
    Case("show-unknown-model", ("show", "nosuch"), ("nosuch",)),
    # ---- versions
    Case("version-leading-zero", ("add", "m1", *W, "--version", "01.2.3"), ("--version",)),
    Case("version-two-parts", ("add", "m1", *W, "--version", "1.2"), ("--version",)),
    Case("version-v-prefix", ("add", "m1", *W, "--version", "v1.2.3"), ("--version",)),
    Case("version-trailing-dash", ("add", "m1", *W, "--version", "1.2.3-"), ("--version",)),
    Case("version-bump-two-levels", ("bump", "sentiment", "--major", "--minor"), ("options",)),
    # ---- paths
    Case("path-absolute-outside", ("add", "m1", "--weights", "/etc/passwd"), ("--weights",)),
    Case("path-dotdot", ("add", "m1", "--weights", "../outside.bin"), ("--weights",)),
    Case("path-symlink-escape", ("add", "m1", "--weights", "artifacts/escape.bin"), ("--weights",),
         setup=symlink_out),
    Case("path-missing", ("add", "m1", "--weights", "artifacts/missing.bin"), ("--weights",)),
    Case("path-directory-as-weights", ("add", "m1", "--weights", "artifacts"), ("--weights",)),
    Case("path-into-git-dir", ("add", "m1", "--weights", ".git/config"), ("--weights",)),
    Case("path-params-broken-yaml", ("add", "m1", *W, "--params", "params.yaml"), ("params.yaml",),
         setup=write("params.yaml", "lr: [0.1\n")),
    Case("path-schema-not-json-schema", ("add", "m1", *W, "--schema", "schema.yaml"), ("schema.yaml",),
         setup=write("schema.yaml", "inputs: {type: 12}\n")),
    Case("path-validate-outside", ("validate", "/etc/passwd"), ("/etc/passwd",)),
    Case("path-validate-missing", ("validate", "models/nosuch.yaml"), ("models/nosuch.yaml",)),
    # ---- tags and release references
    Case("ref-bogus-version", ("show", "sentiment@vbogus"), ("sentiment@vbogus",)),
    Case("ref-peel-syntax", ("show", "sentiment@v0.1.0^{}"), ("sentiment@v0.1.0^{}",)),
    Case("ref-reflog-syntax", ("show", "sentiment@{1}"), ("sentiment@{1}",)),
    Case("ref-unknown-release", ("show", "sentiment@v9.9.9"), ("sentiment@v9.9.9",)),
    Case("ref-empty-stage", ("show", "sentiment#"), ("sentiment#",)),
    Case("ref-empty-version", ("show", "sentiment@"), ("sentiment@",)),
    Case("versions-bad-name", ("versions", "../x"), ("../x",), requires=("versions",)),
    Case("tag-bad-name", ("tag", "-bad"), ("tag",), requires=("tag",)),
    Case("get-bad-ref", ("get", "sentiment@vbogus", "--out", "out"), ("sentiment@vbogus",), requires=("get",)),
    Case("promote-unknown-release", ("promote", "sentiment@v9.9.9", "prod"), ("sentiment@v9.9.9",),
         requires=("promote",)),
    Case("promote-bad-stage", ("promote", "sentiment@v0.1.0", "pro d"), ("STAGE", "pro d"), requires=("promote",)),
    Case("rollback-bad-stage", ("rollback", "sentiment", "bad stage"), ("STAGE", "bad stage"),
         requires=("rollback",)),
    Case("stages-bad-name", ("stages", "../x"), ("NAME",), requires=("stages",)),
    Case("changelog-bad-name", ("changelog", "../x"), ("NAME",), requires=("changelog",)),
    Case("approve-unknown-release", ("approve", "sentiment@v9.9.9", "--role", "lead"), ("sentiment@v9.9.9",),
         requires=("approve",)),
    Case("diff-unknown-revision", ("diff", "nosuchrev"), ("nosuchrev",), requires=("diff",)),
    Case("checkout-bogus-version", ("checkout", "sentiment@vbogus"), ("sentiment@vbogus",), requires=("checkout",)),
    Case("lineage-unknown-release", ("lineage", "sentiment@v9.9.9"), ("sentiment@v9.9.9",), requires=("lineage",)),
    Case("labels-unknown-release", ("labels", "sentiment@v9.9.9"), ("sentiment@v9.9.9",), requires=("labels",)),
    Case("verify-unknown-model", ("verify", "nosuch"), ("models/nosuch.yaml",), requires=("verify",)),
    Case("push-unknown-model", ("push", "nosuch"), ("models/nosuch.yaml",), requires=("push",)),
    Case("card-unknown-model", ("card", "nosuch"), ("models/nosuch.yaml",), requires=("card",)),
    # ---- samples (validate-input)
    Case("samples-broken-jsonl", ("validate-input", "sentiment", "rows.jsonl"), ("rows.jsonl", "line 2"),
         setup=write("rows.jsonl", '{"text": "ok"}\n{"text": \n'), requires=("validate-input",)),
    Case("samples-binary", ("validate-input", "sentiment", "rows.jsonl"), ("rows.jsonl",),
         setup=write("rows.jsonl", b"\x00\xff\x00garbage"), requires=("validate-input",)),
    Case("samples-missing", ("validate-input", "sentiment", "nosuch.jsonl"), ("nosuch.jsonl",),
         requires=("validate-input",)),
    Case("samples-csv-without-header", ("validate-input", "sentiment", "rows.csv"), ("rows.csv",),
         setup=write("rows.csv", ""), requires=("validate-input",)),
    Case("env-check-no-environment", ("env", "check", "sentiment"), (MANIFEST, "environment"),
         requires=("env",)),
    # ---- command arguments and repository state
    Case("args-unknown-option", ("status", "--frobnicate"), ("--frobnicate",)),
    Case("args-missing-argument", ("add",), ("gitmodel add", "name")),
    Case("args-missing-weights", ("add", "m1"), ("--weights",)),
    Case("args-unknown-command", ("frobnicate",), ("frobnicate",)),
    Case("repo-not-git", ("status",), ("not inside a git work tree",), setup=no_git),
    Case("repo-not-git-add", ("add", "m1", "--weights", "weights.bin"), ("git",), setup=no_git),
    Case("repo-not-git-hooks", ("hooks", "install"), ("git",), setup=no_git, requires=("hooks",)),
    Case("repo-no-dvc", ("add", "m1", "--weights", "data/binary.bin"), (".dvc", "gitmodel init"), setup=no_dvc),
    Case("repo-bump-unknown-model", ("bump", "nosuch"), ("models/nosuch.yaml",)),
    Case("repo-detached-head", ("check",), (), code=0, ok=True, setup=detached),
    Case("repo-shallow-no-tags", ("status",), (), code=0, ok=True, setup=shallow_clone),
]


def _available(repo: Path, command: str) -> bool:
    return gm(repo, command, "--help").returncode == 0


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, template: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(template, repo, symlinks=True)
    for command in case.requires:
        if not _available(repo, command):
            pytest.fail(f"`gitmodel {command}` does not exist on this commit")
    cwd = repo
    if case.setup is not None:
        moved = case.setup(repo)
        cwd = moved if isinstance(moved, Path) else repo
    _age_worktree(cwd)
    if (cwd / ".git").exists():
        subprocess.run(["git", "update-index", "-q", "--refresh"], cwd=cwd, capture_output=True)
        subprocess.run(["git", "status", "--porcelain"], cwd=cwd, capture_output=True)
    before = snapshot(cwd, EXCLUDED)

    result = gm(cwd, *case.args)

    after = snapshot(cwd, EXCLUDED)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode == case.code, f"exit {result.returncode}, wanted {case.code}:\n{output}"
    assert changed(before, after) == [], "the command changed the repository"
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    if case.ok:
        assert not [line for line in error_lines if line.startswith("error:")], result.stderr
        return
    assert len(error_lines) == 1, f"wanted one stderr line, got:\n{result.stderr}"
    line = error_lines[0]
    assert line.startswith("error: "), line
    for token in case.mentions:
        assert token in line, f"{token!r} not named in: {line}"
    assert not (cwd / "PWNED").exists()
