"""Where media files are kept: a folder on this machine (the default) or an S3-compatible bucket.

BLOG_S3_BUCKET chooses the bucket, BLOG_S3_ENDPOINT_URL a server other than AWS's (MinIO,
Ceph, R2); boto3 reads the credentials and region from the usual AWS_* variables. Both kinds
hold flat names (the ones blog.media gives) and answer the same few calls; what is written and
when (the files follow the database transaction) is blog.media's business, not theirs.
"""

import functools
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from io import RawIOBase
from pathlib import Path
from typing import IO, NamedTuple

from flask import current_app


class StorageError(OSError):
    """The bucket refused a request or could not be reached."""


class Stored(NamedTuple):
    """A bucket's object, ready to send: its bytes and what HTTP says of them."""

    stream: IO[bytes]
    size: int
    etag: str
    modified: datetime


def _checked(name: str) -> str:
    # Names come from blog.media (a random stem); anything with a folder in it is a bug.
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"not a media file name: {name!r}")
    return name


class LocalFolder:
    """Media files in a folder of this machine (MEDIA_FOLDER, instance/media by default)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def __str__(self) -> str:
        return str(self.folder)

    def put(self, name: str, data: bytes, content_type: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / _checked(name)).write_bytes(data)

    def read(self, name: str) -> bytes:
        """Return a file's bytes; FileNotFoundError if there is none."""
        return (self.folder / _checked(name)).read_bytes()

    def size(self, name: str) -> int | None:
        """Return a file's size in bytes, or None if there is none."""
        try:
            return (self.folder / _checked(name)).stat().st_size
        except FileNotFoundError:
            return None

    def sizes(self, names: list[str]) -> list[int | None]:
        """Return each file's size, None where it is missing or cannot be read."""
        return [_size_or_none(self, name) for name in names]

    def delete(self, name: str) -> None:
        (self.folder / _checked(name)).unlink(missing_ok=True)


class S3Bucket:
    """Media files as objects of an S3-compatible bucket, one object per file, named alike."""

    def __init__(self, bucket: str, endpoint_url: str | None = None):
        self.bucket, self.endpoint_url = bucket, endpoint_url or None

    def __str__(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}{where}"

    @functools.cached_property
    def client(self):
        # Imported here: a site without a bucket never pays boto3's import (a fifth of a second).
        import boto3
        from botocore.config import Config

        options = {}
        if self.endpoint_url:
            # MinIO, Ceph and R2 answer path-style addresses without wildcard DNS; and the
            # CRC checksums boto3 adds by default are refused by some of them.
            options = {
                "s3": {"addressing_style": "path"},
                "request_checksum_calculation": "when_required",
                "response_checksum_validation": "when_required",
            }
        # A bucket that does not answer fails the request in seconds, not a minute.
        config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard"}, **options)
        return boto3.client("s3", endpoint_url=self.endpoint_url, config=config)

    @contextmanager
    def _errors(self, name: str) -> Iterator[None]:
        """Turn boto3's errors into FileNotFoundError (no such object) or StorageError."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey"):
                raise FileNotFoundError(f"{self} has no {name}") from None
            raise StorageError(f"{self}: {name}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"{self}: {name}: {error}") from error

    def put(self, name: str, data: bytes, content_type: str) -> None:
        with self._errors(name):
            self.client.put_object(
                Bucket=self.bucket, Key=_checked(name), Body=data, ContentType=content_type
            )

    def read(self, name: str) -> bytes:
        """Return an object's bytes; FileNotFoundError if there is none."""
        with self._errors(name):
            body = self.client.get_object(Bucket=self.bucket, Key=_checked(name))["Body"]
            with body:
                return body.read()

    def size(self, name: str) -> int | None:
        """Return an object's size in bytes, or None if there is none."""
        try:
            with self._errors(name):
                return self.client.head_object(Bucket=self.bucket, Key=_checked(name))[
                    "ContentLength"
                ]
        except FileNotFoundError:
            return None

    def sizes(self, names: list[str]) -> list[int | None]:
        """Return each object's size, None where it is missing or cannot be read.

        A HEAD each, several at once: a page of the library waits for about one, not twenty.
        """
        if not names:
            return []
        # The first alone: it makes the client, which boto3 cannot do from several threads.
        first = _size_or_none(self, names[0])
        with ThreadPoolExecutor(max_workers=8) as pool:
            return [first, *pool.map(functools.partial(_size_or_none, self), names[1:])]

    def delete(self, name: str) -> None:
        with self._errors(name):
            self.client.delete_object(Bucket=self.bucket, Key=_checked(name))

    def listing(self) -> dict[str, tuple[int, str]]:
        """Return every object's name with its size and ETag (which changes with its bytes)."""
        found = {}
        with self._errors("the list of objects"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    found[item["Key"]] = (item["Size"], item["ETag"].strip('"'))
        return found

    def open(self, name: str, whole: bool = False) -> Stored:
        """Return an object to send; FileNotFoundError if there is none.

        whole: the bytes will all be sent, so one GET asks for them and the headers at once.
        Otherwise one HEAD, and the bytes are asked for only when read, from where a seek put
        the stream: a conditional request costs no download, and a Range only its bytes.
        """
        with self._errors(name):
            if whole:
                found = self.client.get_object(Bucket=self.bucket, Key=_checked(name))
            else:
                found = self.client.head_object(Bucket=self.bucket, Key=_checked(name))
        etag, size = found["ETag"].strip('"'), found["ContentLength"]
        stream = _ObjectStream(self, name, size, etag, found.get("Body"))
        return Stored(stream, size, etag, found["LastModified"])


def _size_or_none(store: "LocalFolder | S3Bucket", name: str) -> int | None:
    try:
        return store.size(name)
    except OSError:
        return None


class _ObjectStream(RawIOBase):
    """An object's bytes, fetched from the bucket from the current position on, when read."""

    def __init__(self, bucket: S3Bucket, name: str, size: int, etag: str, body=None):
        self.bucket, self.name, self.size, self.etag = bucket, name, size, etag
        self.position, self.body = 0, body  # body: the object's bytes from the start, if asked

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.position, 2: self.size}[whence]
        position = max(0, base + offset)
        if position != self.position:
            self._drop_body()
            self.position = position
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.size:
            return 0
        if self.body is None:
            bucket = self.bucket
            with bucket._errors(self.name):
                # IfMatch: the bytes of the object the headers described, or an error.
                self.body = bucket.client.get_object(
                    Bucket=bucket.bucket,
                    Key=self.name,
                    Range=f"bytes={self.position}-",
                    IfMatch=f'"{self.etag}"',
                )["Body"]
        with self.bucket._errors(self.name):
            data = self.body.read(len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

    def _drop_body(self) -> None:
        if self.body is not None:
            self.body.close()
            self.body = None

    def close(self) -> None:
        self._drop_body()
        super().close()


def from_config(config) -> LocalFolder | S3Bucket:
    """Return the storage the config names: the bucket if S3_BUCKET is set, else the folder."""
    if config.get("S3_BUCKET"):
        return S3Bucket(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"))
    return LocalFolder(config["MEDIA_FOLDER"])


def media_storage() -> LocalFolder | S3Bucket:
    """Return the current app's media storage, chosen from its config when it was made."""
    return current_app.extensions["media_storage"]


def move_files(
    files: Iterable[tuple[str, str]],
    source: LocalFolder | S3Bucket,
    target: LocalFolder | S3Bucket,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, list[str]]:
    """Move files, given as (name, content type), from source to target, one at a time.

    Each file is removed from the source only once the target holds it, so a move that was
    stopped loses nothing and may be run again. Return how many files were moved and the
    names neither side holds.
    """
    moved, missing = 0, []
    for name, content_type in files:
        try:
            data = source.read(name)
        except FileNotFoundError:
            if target.size(name) is None:
                missing.append(name)
        else:
            target.put(name, data, content_type)
            source.delete(name)
            moved += 1
        if progress:
            progress(1)
    return moved, missing
