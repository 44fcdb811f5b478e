"""Writing a file safely: under the folder lock, with a backup, through a synced temporary file
renamed into place, so that a kill at any moment leaves the old file or the new one, whole.

``replace_file`` is the write itself (the caller holds :func:`safepip.applying.lock.folder_lock`
and has checked that the file still holds what it expects); ``remove_stray_temporaries`` cleans
up what a run killed mid-write left behind (docs/patching.md).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time

from safepip.errors import SafepipError

__all__ = [
    "BACKUP_SUFFIX",
    "TEMP_PREFIX",
    "PatchError",
    "remove_stray_temporaries",
    "replace_file",
]

#: Temporary files are named ``.pyproject.toml.safepip-<random>.tmp`` in the file's directory, so
#: that a later run can recognise (and remove) what an interrupted run left behind.
TEMP_PREFIX = ".pyproject.toml.safepip-"
#: The backup of the original sits next to it: ``pyproject.toml.safepip-backup`` (then ``.1``...).
BACKUP_SUFFIX = ".safepip-backup"


class PatchError(SafepipError):
    """A pyproject.toml that cannot be patched (unreadable, invalid, read-only): nothing written."""


def replace_file(
    path: str, target: str, new: bytes, *, original: bytes | None, backup: bool
) -> str | None:
    """Replace ``target`` (``path`` as the user named it, symbolic links resolved) with ``new``;
    ``original`` is what it holds now (None: it does not exist yet). Returns the backup's path,
    if one was made.

    Refuses (PatchError, nothing written) when the file or its directory is read-only.
    Read-only means what ``os.access`` says *or* no write bit in the mode at all: root may write
    anywhere, but a file someone made read-only (chmod a-w) is a statement we honour for root too.
    """
    directory = os.path.dirname(target)
    status = os.stat(target) if original is not None else None
    _check_writable(path, target, directory, status)
    # What a run killed mid-write left here goes now, under the lock (docs/patching.md).
    remove_stray_temporaries(directory)
    backup_path = (
        _write_backup(target, original, status)
        if backup and original is not None and status is not None
        else None
    )
    temporary = None
    try:
        temporary = _write_temporary(directory, new, status)
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        if backup_path is not None:  # the original is untouched: its copy is not needed
            _remove_quietly(backup_path)
        raise PatchError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            _remove_quietly(temporary)
    _fsync_directory(directory)
    return backup_path


def _check_writable(path: str, target: str, directory: str, status: os.stat_result | None) -> None:
    if status is not None and (
        not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        or not os.access(target, os.W_OK)
    ):
        raise PatchError(
            f"{path} is read-only: make it writable (chmod u+w) or add the change by hand"
        )
    try:
        directory_mode = os.stat(directory).st_mode
    except OSError as exc:
        raise PatchError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    if not directory_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        directory, os.W_OK | os.X_OK
    ):
        raise PatchError(
            f"cannot write {path}: its directory {directory} is read-only "
            "(safepip writes a new file next to it and renames it into place)"
        )


def _write_backup(target: str, original: bytes, status: os.stat_result) -> str:
    """Copy the original to the first free backup name; never overwrites an existing file.

    The copy is written and synced under a temporary name first, then linked to its name: a
    kill at any moment leaves either no backup or a whole one (and at worst a stray temporary
    file, which remove_stray_temporaries cleans up).
    """
    base = target + BACKUP_SUFFIX
    try:
        temporary = _write_temporary(os.path.dirname(target) or os.curdir, original, status)
    except OSError as exc:
        raise PatchError(f"cannot write a backup of {target}: {exc.strerror}") from None
    try:
        for number in range(1000):
            candidate = base if number == 0 else f"{base}.{number}"
            try:
                os.link(temporary, candidate)  # atomic, and never replaces an existing file
            except FileExistsError:
                continue
            except OSError as exc:
                raise PatchError(f"cannot write the backup {candidate}: {exc.strerror}") from None
            return candidate
    finally:
        _remove_quietly(temporary)
    raise PatchError(f"too many backups of {target}; remove old {BACKUP_SUFFIX}.N files")


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _write_temporary(directory: str, data: bytes, status: os.stat_result | None) -> str:
    """A new file in ``directory`` holding ``data``, synced to disk, with the original's mode."""
    while True:
        path = os.path.join(directory, f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp")
        try:
            # A new pyproject.toml gets the usual 0o666 minus the umask, like any new file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if status is not None:
            os.chmod(path, status.st_mode & 0o7777)
            _keep_owner(path, status)
    except BaseException:
        _remove_quietly(path)
        raise
    return path


def _keep_owner(path: str, status: os.stat_result) -> None:
    """Root patching a user's project must not leave the file owned by root."""
    chown = getattr(os, "chown", None)
    if chown is None or (status.st_uid, status.st_gid) == (os.geteuid(), os.getegid()):
        return
    # Only root may give a file away; anyone else keeps their own ownership.
    with contextlib.suppress(OSError):
        chown(path, status.st_uid, status.st_gid)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable, where directories can be opened (not on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename has still happened
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def remove_stray_temporaries(directory: str, *, min_age: float = 60.0) -> list[str]:
    """Remove temporary files an interrupted run left in ``directory``; return their paths.

    Only files named ``.pyproject.toml.safepip-*`` and at least ``min_age`` seconds old, so a run
    that is writing at this very moment keeps its file.
    """
    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in sorted(names):
        if not name.startswith(TEMP_PREFIX):
            continue
        path = os.path.join(directory, name)
        try:
            status = os.lstat(path)
            if not stat.S_ISREG(status.st_mode) or now - status.st_mtime < min_age:
                continue
            os.remove(path)
        except OSError:
            continue
        removed.append(path)
    return removed
