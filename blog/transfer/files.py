"""File helpers every archive writer shares: private files, whole-or-nothing writes, SHA-256."""

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

CHUNK = 1024 * 1024


def open_private(path: Path, mode: str = "wb", **options) -> IO:
    """Open a file for writing that only this account can read: exports hold drafts.

    Made so from the start, not changed after: a reader who opened it before would keep it.
    """

    def opener(name, flags: int) -> int:
        descriptor = os.open(name, flags, 0o600)
        os.fchmod(descriptor, 0o600)  # a file that was there already keeps its mode otherwise
        return descriptor

    return open(path, mode, opener=opener, **options)


@contextmanager
def written_whole(target: Path) -> Iterator[Path]:
    """Yield a partial file's path beside target; it becomes target only if the block ends well.

    Readers of target see the old file or the new one whole, never half of one; a failed or
    killed write leaves at most the hidden partial file, which the next write replaces.
    """
    partial = target.with_name(f".{target.name}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def sha256(stream: IO[bytes]) -> tuple[int, str]:
    """Return the size and SHA-256 (hex) of what is left to read in a binary stream."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Return the SHA-256 (hex) of a file's bytes."""
    with open(path, "rb") as file:
        return sha256(file)[1]
