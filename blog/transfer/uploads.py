"""The uploads a backup copies and a restore puts back: in the media folder or in a bucket.

A backup's media/ is the same whichever held them, so a backup of a bucket site restores into
a folder site and back. In a folder every file counts; in a bucket only the objects named as
blog.media names uploads (STORED_NAME), so that a restore never deletes what another program
keeps there, nor puts in a file the site would never serve.

A restore's changes to a bucket are the ones it makes to a folder (blog.transfer.restore): new
names before the switch, bytes replaced and old names deleted after it. Objects are written
whole or not at all, so the live database names an object that is there at every instant.
"""

import hashlib
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from blog.media import STORED_NAME, served_type
from blog.storage import S3Bucket
from blog.transfer.errors import BackupError

Store = Path | S3Bucket  # the media folder, or the bucket


def listing(store: Store) -> dict[str, tuple]:
    """Return every upload's name with what changes when its bytes do."""
    if isinstance(store, S3Bucket):
        return {name: tag for name, tag in store.listing().items() if STORED_NAME.fullmatch(name)}
    found = {}
    for path in store.rglob("*") if store.is_dir() else ():
        try:
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                found[path.relative_to(store).as_posix()] = (stat.st_size, stat.st_mtime_ns)
        except FileNotFoundError:
            continue  # deleted meanwhile, so is its row
    return found


def copy_new(store: Store, into: Path, copied: dict[str, tuple]) -> None:
    """Copy the uploads that are new or changed since the last pass into the folder into."""
    into.mkdir(exist_ok=True)
    wanted = [
        (name, seen) for name, seen in sorted(listing(store).items()) if copied.get(name) != seen
    ]

    def copy(name: str) -> bool:
        (into / name).parent.mkdir(parents=True, exist_ok=True)
        try:
            if isinstance(store, S3Bucket):
                (into / name).write_bytes(store.read(name))
            else:
                shutil.copyfile(store / name, into / name)
        except FileNotFoundError:
            return False  # deleted meanwhile, so is its row
        return True

    names = [name for name, _ in wanted]
    if isinstance(store, S3Bucket) and names:
        # Several objects at once: a GET waits on the network far longer than it works. The
        # first alone, as in S3Bucket.sizes: it makes the client, which threads cannot share.
        done = [copy(names[0])]
        with ThreadPoolExecutor(max_workers=8) as pool:
            done += pool.map(copy, names[1:])
    else:
        done = [copy(name) for name in names]
    for (name, seen), copied_now in zip(wanted, done, strict=True):
        if copied_now:
            copied[name] = seen


def changes(staged: Path, store: Store) -> dict[str, list[str]]:
    """Return the uploads a restore adds, replaces (other bytes, same name) and removes."""
    new, old = listing(staged), listing(store)
    if isinstance(store, S3Bucket):
        new = {name: tag for name, tag in new.items() if STORED_NAME.fullmatch(name)}
    both = sorted(new.keys() & old.keys())
    return {
        "add": sorted(new.keys() - old.keys()),
        # Sizes first (both listings start with one): only files of equal sizes are compared.
        "replace": [
            name
            for name in both
            if new[name][0] != old[name][0] or _differs(staged, store, name, old[name])
        ],
        "remove": sorted(old.keys() - new.keys()),
    }


def _differs(staged: Path, store: Store, name: str, held: tuple) -> bool:
    """Tell whether the store's upload has other bytes than the archive's; held: its listing."""
    if isinstance(store, S3Bucket) and held[1] == _md5(staged / name):
        # A single PUT's ETag is its bytes' MD5 (as save_upload and restore put them): equal,
        # the same bytes, with no download. Else (another ETag scheme too) the bytes tell.
        return False
    try:
        bytes_ = store.read(name) if isinstance(store, S3Bucket) else (store / name).read_bytes()
    except FileNotFoundError:
        return True
    return bytes_ != (staged / name).read_bytes()


def _md5(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()


def add(staged: Path, store: Store, name: str) -> None:
    """Put a new upload in, under a name no live row uses (save_upload's names are random)."""
    if isinstance(store, S3Bucket):
        if store.size(name) is not None:
            raise BackupError(f"An upload named {name} appeared during the restore.")
        store.put(name, (staged / name).read_bytes(), served_type(name))
        return
    path = store / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(staged / name, path)  # the same file system: no copy
    except FileExistsError:
        raise BackupError(f"An upload named {name} appeared during the restore.") from None
    except OSError:
        shutil.copyfile(staged / name, path)


def replace(staged: Path, store: Store, name: str) -> None:
    """Put the archive's bytes in under a name both databases use, in one step; again is fine."""
    if isinstance(store, S3Bucket):
        store.put(name, (staged / name).read_bytes(), served_type(name))
    elif (staged / name).exists():  # not moved yet
        os.replace(staged / name, store / name)


def remove(store: Store, name: str) -> None:
    if isinstance(store, S3Bucket):
        store.delete(name)
    else:
        (store / name).unlink(missing_ok=True)
