"""Where backups live: a local directory (a laptop) or S3-compatible storage (Ceph RGW,
AWS S3 with Glacier classes). Blocking I/O: callers run these in a thread.

Layout, under the target's prefix: `<backup_id>/data` (the encrypted chunks, uploaded as
one multipart object in the configured storage class, optionally under Object Lock) and
`<backup_id>/manifest.json` (STANDARD class, written last: a backup without a manifest is
incomplete and not listed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

MANIFEST = "manifest.json"
DATA = "data"
PART_BYTES = 8 * 1024 * 1024  # S3 parts must be >= 5 MiB, except the last
ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"})


class TargetError(Exception):
    """The storage refused or failed an operation (message says which)."""


class ArchivedNotReady(TargetError):
    """The data object is in an archive class and not restored yet: asked, come back."""


class Upload(Protocol):
    def write(self, data: bytes) -> None: ...
    def complete(self) -> None: ...
    def abort(self) -> None: ...


class Target(Protocol):
    @property
    def description(self) -> str: ...

    def upload(self, backup_id: str) -> Upload: ...
    def put_manifest(self, backup_id: str, data: bytes) -> None: ...
    def get_manifest(self, backup_id: str) -> bytes: ...
    def read(self, backup_id: str, offset: int, length: int) -> bytes: ...
    def ensure_readable(self, backup_id: str) -> None: ...
    def backup_ids(self) -> list[str]: ...
    def delete(self, backup_id: str) -> None: ...


# -- a local directory ----------------------------------------------------------------


class _FileUpload:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.partial = path.with_suffix(".partial")
        self.path = path
        self.fh = self.partial.open("wb")

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def complete(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        self.partial.replace(self.path)

    def abort(self) -> None:
        self.fh.close()
        self.partial.unlink(missing_ok=True)


@dataclass
class LocalTarget:
    root: Path

    @property
    def description(self) -> str:
        return f"file://{self.root.resolve()}"

    def upload(self, backup_id: str) -> Upload:
        return _FileUpload(self.root / backup_id / DATA)

    def put_manifest(self, backup_id: str, data: bytes) -> None:
        path = self.root / backup_id / MANIFEST
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get_manifest(self, backup_id: str) -> bytes:
        try:
            return (self.root / backup_id / MANIFEST).read_bytes()
        except FileNotFoundError as exc:
            raise TargetError(f"no backup {backup_id} in {self.description}") from exc

    def read(self, backup_id: str, offset: int, length: int) -> bytes:
        with (self.root / backup_id / DATA).open("rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def ensure_readable(self, backup_id: str) -> None:
        if not (self.root / backup_id / DATA).is_file():
            raise TargetError(f"backup {backup_id} has no data in {self.description}")

    def backup_ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"*/{MANIFEST}"))

    def delete(self, backup_id: str) -> None:
        shutil.rmtree(self.root / backup_id, ignore_errors=True)


# -- S3-compatible storage ----------------------------------------------------------------


@dataclass(frozen=True)
class S3Options:
    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: str | None = None
    ca_file: str | None = None
    storage_class: str = "STANDARD"
    object_lock_days: int | None = None
    restore_days: int = 3
    restore_tier: str = "Standard"


def s3_client(options: S3Options) -> Any:
    """A boto3 client that works on Ceph RGW over HTTP and HTTPS as well as on AWS: SigV4,
    path-style addressing, and checksums only when required (RGW rejects boto3's
    streaming checksum trailers over HTTPS)."""
    import boto3  # noqa: PLC0415 - only backups need it
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 5, "mode": "standard"},
    )
    return boto3.client(
        "s3",
        endpoint_url=options.endpoint_url,
        region_name=options.region,
        aws_access_key_id=options.access_key,
        aws_secret_access_key=options.secret_key,
        verify=options.ca_file if options.ca_file else True,
        config=config,
    )


class _S3Upload:
    def __init__(self, target: S3Target, key: str) -> None:
        self.target = target
        self.key = key
        extra: dict[str, Any] = {"StorageClass": target.options.storage_class}
        if target.options.object_lock_days:
            extra["ObjectLockMode"] = "COMPLIANCE"
            extra["ObjectLockRetainUntilDate"] = datetime.now(UTC) + timedelta(
                days=target.options.object_lock_days
            )
        self.upload_id = target.call(
            "create_multipart_upload", Bucket=target.options.bucket, Key=key, **extra
        )["UploadId"]
        self.buffer = bytearray()
        self.parts: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) >= PART_BYTES:
            self._flush()

    def _flush(self) -> None:
        number = len(self.parts) + 1
        reply = self.target.call(
            "upload_part", Bucket=self.target.options.bucket, Key=self.key,
            UploadId=self.upload_id, PartNumber=number, Body=bytes(self.buffer),
        )  # fmt: skip
        self.parts.append({"PartNumber": number, "ETag": reply["ETag"]})
        self.buffer.clear()

    def complete(self) -> None:
        if self.buffer or not self.parts:
            self._flush()
        self.target.call(
            "complete_multipart_upload", Bucket=self.target.options.bucket, Key=self.key,
            UploadId=self.upload_id, MultipartUpload={"Parts": self.parts},
        )  # fmt: skip

    def abort(self) -> None:
        with contextlib.suppress(TargetError):
            self.target.call(
                "abort_multipart_upload", Bucket=self.target.options.bucket, Key=self.key,
                UploadId=self.upload_id,
            )  # fmt: skip


class S3Target:
    def __init__(self, options: S3Options, client: Any = None) -> None:
        self.options = options
        self.client = client if client is not None else s3_client(options)

    @property
    def description(self) -> str:
        where = self.options.endpoint_url or "aws"
        return f"s3://{self.options.bucket}/{self.options.prefix} at {where}"

    def call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise TargetError(f"{operation}: {code or exc}") from exc
        except BotoCoreError as exc:
            raise TargetError(f"{operation}: {exc}") from exc

    def _key(self, backup_id: str, name: str) -> str:
        return f"{self.options.prefix}{backup_id}/{name}"

    def upload(self, backup_id: str) -> Upload:
        return _S3Upload(self, self._key(backup_id, DATA))

    def put_manifest(self, backup_id: str, data: bytes) -> None:
        self.call(
            "put_object", Bucket=self.options.bucket, Key=self._key(backup_id, MANIFEST),
            Body=data, StorageClass="STANDARD",
        )  # fmt: skip

    def get_manifest(self, backup_id: str) -> bytes:
        reply = self.call(
            "get_object", Bucket=self.options.bucket, Key=self._key(backup_id, MANIFEST)
        )
        return bytes(reply["Body"].read())

    def read(self, backup_id: str, offset: int, length: int) -> bytes:
        reply = self.call(
            "get_object", Bucket=self.options.bucket, Key=self._key(backup_id, DATA),
            Range=f"bytes={offset}-{offset + length - 1}",
        )  # fmt: skip
        return bytes(reply["Body"].read())

    def ensure_readable(self, backup_id: str) -> None:
        """Archive classes: a GET is refused (InvalidObjectState) until the object is
        restored; ask for the restore once and say when to come back. Ceph RGW treats
        GLACIER as a label: the object reads at once and nothing is asked."""
        key = self._key(backup_id, DATA)
        head = self.call("head_object", Bucket=self.options.bucket, Key=key)
        if head.get("StorageClass") not in ARCHIVE_CLASSES:
            return
        restore = head.get("Restore")
        if restore and 'ongoing-request="false"' in restore:
            return  # a restored copy is available
        try:
            self.read(backup_id, 0, 1)
            return  # readable as it is (an RGW label, or GLACIER_IR)
        except TargetError as exc:
            if "InvalidObjectState" not in str(exc):
                raise
        if not restore:
            self.call(
                "restore_object", Bucket=self.options.bucket, Key=key,
                RestoreRequest={"Days": self.options.restore_days,
                                "GlacierJobParameters": {"Tier": self.options.restore_tier}},
            )  # fmt: skip
        hours = "12-48" if head.get("StorageClass") == "DEEP_ARCHIVE" else "3-5"
        raise ArchivedNotReady(
            f"backup {backup_id} is in {head.get('StorageClass')}: a restore was asked "
            f"({self.options.restore_tier} tier); come back in about {hours} hours"
        )

    def backup_ids(self) -> list[str]:
        ids: list[str] = []
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.options.bucket, "Prefix": self.options.prefix}
            if token:
                kwargs["ContinuationToken"] = token
            reply = self.call("list_objects_v2", **kwargs)
            for item in reply.get("Contents", []):
                name = item["Key"][len(self.options.prefix) :]
                if name.endswith(f"/{MANIFEST}") and name.count("/") == 1:
                    ids.append(name.split("/", 1)[0])
            if not reply.get("IsTruncated"):
                return sorted(ids)
            token = reply["NextContinuationToken"]

    def delete(self, backup_id: str) -> None:
        for name in (MANIFEST, DATA):
            self.call("delete_object", Bucket=self.options.bucket, Key=self._key(backup_id, name))


def target_from_settings(settings: Any) -> Target:
    """`backup_target`: `s3://bucket/prefix/` (with the `backup_s3_*` settings), a
    directory, or empty for `data_dir/backups`."""
    spec: str = settings.backup_target
    if spec.startswith("s3://"):
        bucket, _, prefix = spec[len("s3://") :].partition("/")
        if not bucket:
            raise TargetError("backup target s3:// needs a bucket")
        secret = settings.backup_s3_secret_key
        access = settings.backup_s3_access_key
        return S3Target(
            S3Options(
                bucket=bucket,
                prefix=prefix if not prefix or prefix.endswith("/") else prefix + "/",
                endpoint_url=settings.backup_s3_endpoint_url,
                region=settings.backup_s3_region,
                access_key=access.get_secret_value() if access else None,
                secret_key=secret.get_secret_value() if secret else None,
                ca_file=str(settings.backup_s3_ca_file) if settings.backup_s3_ca_file else None,
                storage_class=settings.backup_storage_class,
                object_lock_days=settings.backup_object_lock_days,
            )
        )
    root = Path(spec.removeprefix("file://")) if spec else settings.data_dir / "backups"
    return LocalTarget(root)
