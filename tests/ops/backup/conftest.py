"""A real one-node Ceph RGW (deploy/ceph/ceph-rgw-up.sh: monitor, memstore OSD, radosgw)
on free loopback ports, HTTP and HTTPS, started once for these tests; a moto S3 server
(a third party's fake, over real HTTP) for the archive classes RGW only labels."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from ticketsafe.infra.child_process import free_port
from ticketsafe.ops.backup.targets import S3Options, S3Target, s3_client

ROOT = Path(__file__).resolve().parents[3]
UP = ROOT / "deploy" / "ceph" / "ceph-rgw-up.sh"
DOWN = ROOT / "deploy" / "ceph" / "ceph-rgw-down.sh"


@dataclass(frozen=True)
class Rgw:
    http: str
    https: str
    ca_file: str
    access_key: str
    secret_key: str

    def target(self, *, tls: bool, bucket: str, **options: Any) -> S3Target:
        s3 = S3Options(
            bucket=bucket, prefix="ticketsafe/", endpoint_url=self.https if tls else self.http,
            access_key=self.access_key, secret_key=self.secret_key,
            ca_file=self.ca_file if tls else None, **options,
        )  # fmt: skip
        return S3Target(s3)


@pytest.fixture(scope="session")
def rgw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rgw]:
    assert shutil.which("radosgw"), "install Ceph: apt-get install ceph-mon ceph-osd radosgw"
    ceph_dir = tmp_path_factory.mktemp("ceph") / "cluster"
    env = {
        **os.environ,
        "CEPH_DIR": str(ceph_dir),
        "CEPH_MON_PORT": str(free_port()),
        "RGW_PORT": str(free_port()),
        "RGW_TLS_PORT": str(free_port()),
    }
    started = subprocess.run(
        ["bash", str(UP)], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        values = dict(
            line.split("=", 1)
            for line in (ceph_dir / "s3.env").read_text().splitlines()
            if "=" in line
        )
        yield Rgw(
            http=values["S3_ENDPOINT_URL"], https=values["S3_TLS_ENDPOINT_URL"],
            ca_file=values["AWS_CA_BUNDLE"], access_key=values["AWS_ACCESS_KEY_ID"],
            secret_key=values["AWS_SECRET_ACCESS_KEY"],
        )  # fmt: skip
    finally:
        subprocess.run(["bash", str(DOWN)], env=env, timeout=60, check=False)


def make_bucket(target: S3Target) -> None:
    target.call("create_bucket", Bucket=target.options.bucket)


@pytest.fixture
def bucket_name() -> str:
    return f"ts-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_target(moto_endpoint: str, bucket_name: str) -> S3Target:
    options = S3Options(
        bucket=bucket_name, prefix="b/", endpoint_url=moto_endpoint, access_key="testing",
        secret_key="testing", storage_class="GLACIER",
    )  # fmt: skip
    target = S3Target(options, s3_client(options))
    make_bucket(target)
    return target
