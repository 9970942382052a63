"""The round trip against a real S3 API: moto's server on 127.0.0.1, configured through DVC's own config."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitmodel.infra.errors import ExternalFailure
from gitmodel.infra.hashing import sha256_dir
from gitmodel.model.manifest import load
from gitmodel.storage import dvc_transfer
from gitmodel.storage.export import get
from gitmodel.storage.transfer import pull, push
from tests.kit.dvc import WEIGHTS_V1, drop_local_copies, make_model_repo
from tests.kit.git import git
from tests.kit.manifests import entries

pytest.importorskip("moto.server")
pytest.importorskip("dvc_s3")
boto3 = pytest.importorskip("boto3")

BUCKET = "models"
PREFIX = "team/sentiment"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """An S3 API on loopback with one empty bucket; stopped on teardown."""
    from moto.server import ThreadedMotoServer

    # No ambient AWS credentials or config: the DVC remote must work from its own config alone.
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def bucket_keys(endpoint: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS)
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)
    return sorted(obj["Key"] for obj in listing.get("Contents", []))


def configure_with_dvc(root: Path, endpoint: str) -> None:
    """What the docs tell a user to run: the endpoint shared, the secrets in .dvc/config.local."""
    script = (
        "import sys\n"
        "from dvc.cli import main\n"
        f"for argv in ([\"remote\", \"modify\", \"storage\", \"endpointurl\", {endpoint!r}],\n"
        "             [\"remote\", \"modify\", \"--local\", \"storage\", \"access_key_id\", \"testing\"],\n"
        "             [\"remote\", \"modify\", \"--local\", \"storage\", \"secret_access_key\", \"testing\"]):\n"
        "    assert main(argv) == 0, argv\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=root, check=True, capture_output=True, timeout=120)


def test_s3_round_trip_through_dvc_config(repo: Path, s3_endpoint: str, tmp_path: Path) -> None:
    root = make_model_repo(repo, remote=f"s3://{BUCKET}/{PREFIX}")
    configure_with_dvc(root, s3_endpoint)
    assert "testing" not in (root / ".dvc" / "config").read_text()        # secrets stay local
    assert "testing" in (root / ".dvc" / "config.local").read_text()
    assert s3_endpoint in (root / ".dvc" / "config").read_text()
    git(root, "add", ".dvc/config")
    git(root, "commit", "-q", "-m", "S3 remote")

    assert dvc_transfer.missing_in_remote(root, entries(root)) == ["artifacts/model.bin", "data/train"]
    report = push(root)
    assert report.url == f"s3://{BUCKET}/{PREFIX}"
    assert sorted(report.pushed) == ["artifacts/model.bin", "data/train"]
    weights = next(e for e in entries(root) if e.path == "artifacts/model.bin")
    assert weights.md5 is not None
    assert f"{PREFIX}/files/md5/{weights.md5[:2]}/{weights.md5[2:]}" in bucket_keys(s3_endpoint)
    assert dvc_transfer.missing_in_remote(root, entries(root)) == []

    drop_local_copies(root)
    out = tmp_path / "export"
    exported = get(root, "sentiment@v0.1.0", out)
    assert exported.remote == f"s3://{BUCKET}/{PREFIX}"
    assert sorted(exported.fetched) == ["artifacts/model.bin", "data/train"]
    for _, entry in load(out / "models" / "sentiment.yaml").files():
        full = out / entry.path
        digest = sha256_dir(full) if full.is_dir() else hashlib.sha256(full.read_bytes()).hexdigest()
        assert digest == entry.sha256, entry.path

    drop_local_copies(root)
    pulled = pull(root)
    assert pulled.verify.ok
    assert sorted(pulled.fetched) == ["artifacts/model.bin", "data/train"]
    assert (root / "artifacts" / "model.bin").read_bytes() == WEIGHTS_V1

    # an object deleted from the bucket: exit 3 naming the URL and the file, nothing placed
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/files/md5/{weights.md5[:2]}/{weights.md5[2:]}")
    drop_local_copies(root)
    with pytest.raises(ExternalFailure) as caught:
        get(root, "sentiment@v0.1.0", tmp_path / "export2")
    assert caught.value.exit_code == 3
    assert f"s3://{BUCKET}/{PREFIX}" in str(caught.value)
    assert "artifacts/model.bin" in str(caught.value)
    assert not (tmp_path / "export2").exists()


def test_unreachable_endpoint_is_exit_3_in_one_line(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    """Nothing listens on the endpoint (a loopback port just released): push, pull and get each fail with
    exit 3 and one line naming the remote, and nothing is placed. Bounded: one attempt per request."""
    import socket

    from tests.kit.cli import gm

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    root = make_model_repo(repo, remote=f"s3://{BUCKET}/{PREFIX}")
    configure_with_dvc(root, f"http://127.0.0.1:{port}")
    once = {"AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"}  # botocore's default retries take ~6 s

    pushed = gm(root, "push", env=once)
    assert pushed.returncode == 3, pushed.stderr
    drop_local_copies(root)
    pulled = gm(root, "pull", env=once)
    assert pulled.returncode == 3, pulled.stderr
    got = gm(root, "get", "sentiment@v0.1.0", "--out", str(tmp_path / "export"), env=once)
    assert got.returncode == 3, got.stderr
    for result in (pushed, pulled, got):
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert lines[0].startswith(f"error: s3://{BUCKET}/{PREFIX}: ")
        assert "cannot reach the remote" in lines[0]
    assert not (root / "artifacts" / "model.bin").exists()
    assert not (tmp_path / "export").exists()
