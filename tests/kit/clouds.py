"""The cloud object stores DVC remotes live in, each a real emulator on 127.0.0.1: S3 (moto's server), Google
Cloud Storage (gcp-storage-emulator), Azure Blob (Azurite, from npm into .test-tools/node). Each gives a DVC
remote URL, the settings a team commits (endpoints: not secret), the credentials a user keeps in their own
environment, and a way to read and overwrite an object as someone with write access to the bucket could."""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.kit.env import REPO_ROOT
from tests.kit.gitserver import free_port

BUCKET = "models"
PREFIX = "team/sentiment"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Azurite's documented development account (public, the same in every Azurite)
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
AZURITE = REPO_ROOT / ".test-tools" / "node" / "node_modules" / ".bin" / "azurite-blob"
AZURITE_INSTALL = ("`sh scripts/ensure-test-tools.sh` (or `npm install --prefix .test-tools/node azurite@3.37.0`; "
                   "needs node and npm)")


@dataclass
class Cloud:
    name: str
    url: str                                          # the DVC remote URL
    committed: dict[str, str] = field(default_factory=dict)   # `dvc remote modify storage KEY VALUE`
    env: dict[str, str] = field(default_factory=dict)          # the user's own credentials
    handle: Any = None

    def object_key(self, md5: str) -> str:
        return f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}"

    def read(self, md5: str) -> bytes:
        return self.handle.read(self.object_key(md5))  # type: ignore[no-any-return]

    def write(self, md5: str, data: bytes) -> None:
        self.handle.write(self.object_key(md5), data)

    def listing(self) -> list[str]:
        """Every object key in the bucket."""
        return self.handle.keys()  # type: ignore[no-any-return]


class _S3:
    def __init__(self, endpoint: str) -> None:
        import boto3

        self.client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                   aws_access_key_id="testing", aws_secret_access_key="testing")

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()  # type: ignore[no-any-return]

    def write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=BUCKET, Key=key, Body=data)

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=BUCKET)
        return sorted(o["Key"] for o in listing.get("Contents", []))


class _GCS:
    def __init__(self, endpoint: str) -> None:
        import gcsfs

        self.fs = gcsfs.GCSFileSystem(endpoint_url=endpoint, token="anon")

    def read(self, key: str) -> bytes:
        return self.fs.cat_file(f"{BUCKET}/{key}")  # type: ignore[no-any-return]

    def write(self, key: str, data: bytes) -> None:
        self.fs.pipe_file(f"{BUCKET}/{key}", data)

    def keys(self) -> list[str]:
        return sorted(p.removeprefix(f"{BUCKET}/") for p in self.fs.find(BUCKET))


class _Azure:
    def __init__(self, connection: str) -> None:
        from azure.storage.blob import BlobServiceClient

        self.container = BlobServiceClient.from_connection_string(connection).get_container_client(BUCKET)

    def read(self, key: str) -> bytes:
        return self.container.download_blob(key).readall()  # type: ignore[no-any-return]

    def write(self, key: str, data: bytes) -> None:
        self.container.upload_blob(key, data, overwrite=True)

    def keys(self) -> list[str]:
        return sorted(b.name for b in self.container.list_blobs())


def _wait_listening(port: int, proc: subprocess.Popen[bytes] | None, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    pytest.fail(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


@contextlib.contextmanager
def s3_cloud(mp: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cloud]:
    pytest.importorskip("dvc_s3")
    from moto.server import ThreadedMotoServer

    for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        mp.delenv(var, raising=False)
    mp.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        handle = _S3(endpoint)
        handle.client.create_bucket(Bucket=BUCKET)
        yield Cloud("s3", f"s3://{BUCKET}/{PREFIX}", {"endpointurl": endpoint}, dict(S3_KEYS), handle)
    finally:
        # moto keeps its buckets in this process's memory across servers: forget them for the next test
        import urllib.request

        with contextlib.suppress(OSError):
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
        server.stop()


@contextlib.contextmanager
def gs_cloud(mp: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cloud]:
    pytest.importorskip("dvc_gs")
    from gcp_storage_emulator.server import create_server

    # gcsfs otherwise asks the bucket's layout over gRPC (hierarchical namespace), which no emulator serves:
    # 60 s of timeouts per call before it falls back to the JSON API every emulator and GCS itself speak
    mp.setenv("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_listening(port, None, "gcp-storage-emulator")
        yield Cloud("gs", f"gs://{BUCKET}/{PREFIX}", {"endpointurl": endpoint, "allow_anonymous_login": "true"},
                    {}, _GCS(endpoint))
    finally:
        server.stop()


@contextlib.contextmanager
def azure_cloud(mp: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cloud]:
    pytest.importorskip("dvc_azure")
    if not AZURITE.exists():
        pytest.fail(f"azurite is not installed in .test-tools/node: {AZURITE_INSTALL}", pytrace=False)
    port = free_port()
    proc = subprocess.Popen([str(AZURITE), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
                             str(tmp_path / "azurite"), "--silent", "--skipApiVersionCheck", "--loose"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc, "azurite")
        connection = (f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};"
                      f"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;")
        from azure.storage.blob import BlobServiceClient

        BlobServiceClient.from_connection_string(connection).create_container(BUCKET)
        yield Cloud("azure", f"azure://{BUCKET}/{PREFIX}", {},
                    {"AZURE_STORAGE_CONNECTION_STRING": connection}, _Azure(connection))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


CLOUDS = {"s3": s3_cloud, "gs": gs_cloud, "azure": azure_cloud}
