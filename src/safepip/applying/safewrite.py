"""Writing a file safely: under the folder lock, with a backup, through a synced temporary file
renamed into place, so that a kill at any moment leaves the old file or the new one, whole.

``replace_file`` is the write itself (the caller holds :func:`safepip.applying.lock.folder_lock`
and has checked that the file still holds what it expects); ``remove_stray_temporaries`` cleans
up what a run killed mid-write left behind (docs/patching.md).

Every name is used relative to a descriptor of the folder opened without following a symbolic
link, every file safepip makes is created new (``O_EXCL|O_NOFOLLOW``, mode 0600) and its mode
and owner are set on the descriptor, never by name: what another user renames or links in the
folder meanwhile cannot redirect a write, a chmod or a chown to a file of theirs choosing. The
file replaced is checked just before the rename (the same regular file, the same owner), and
the result after it. Root refuses a folder that another user owns or may write in, where no such
check can be made race-free (docs/security.md, "Files safepip writes").
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
    "held_by_git",
    "remove_stray_temporaries",
    "replace_file",
    "undo_hint",
]

#: Temporary files are named ``.pyproject.toml.safepip-<random>.tmp`` in the file's directory, so
#: that a later run can recognise (and remove) what an interrupted run left behind.
TEMP_PREFIX = ".pyproject.toml.safepip-"
#: The backup of the original sits next to it: ``pyproject.toml.safepip-backup`` (then ``.1``...).
BACKUP_SUFFIX = ".safepip-backup"

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
#: Whether names can be used relative to a folder's descriptor (not on Windows).
_AT = {os.open, os.stat, os.rename, os.link, os.unlink} <= os.supports_dir_fd


class PatchError(SafepipError):
    """A pyproject.toml that cannot be patched (unreadable, invalid, read-only): nothing written."""


class _ReplacedAfterwardsError(PatchError):
    """The file was written, then found replaced by another one."""


class _Folder:
    """A folder opened once; names inside it are used relative to its descriptor."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fd: int | None = None
        if _AT:
            self.fd = os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def status(self) -> os.stat_result:
        return os.fstat(self.fd) if self.fd is not None else os.stat(self.path)

    def _name(self, name: str) -> str:
        return name if self.fd is not None else os.path.join(self.path, name)

    def open(self, name: str, flags: int, mode: int = 0o600) -> int:
        return os.open(self._name(name), flags | _O_NOFOLLOW | _O_CLOEXEC, mode, dir_fd=self.fd)

    def lstat(self, name: str) -> os.stat_result:
        return os.stat(self._name(name), dir_fd=self.fd, follow_symlinks=False)

    def rename(self, source: str, destination: str) -> None:
        if self.fd is None:
            os.replace(self._name(source), self._name(destination))
        else:
            os.rename(source, destination, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def link(self, source: str, destination: str) -> None:
        os.link(
            self._name(source),
            self._name(destination),
            src_dir_fd=self.fd,
            dst_dir_fd=self.fd,
            follow_symlinks=False,
        )

    def remove(self, name: str) -> None:
        os.unlink(self._name(name), dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        """Remove ``name`` if it can be: cleaning up must not hide what went wrong."""
        with contextlib.suppress(OSError):
            self.remove(name)

    def fsync(self) -> None:
        """Make a rename durable, where directories can be opened (not on Windows)."""
        if self.fd is not None:
            with contextlib.suppress(OSError):  # some filesystems refuse fsync on a directory
                os.fsync(self.fd)


def replace_file(
    path: str, target: str, new: bytes, *, original: bytes | None, backup: bool
) -> str | None:
    """Replace ``target`` (``path`` as the user named it, symbolic links resolved) with ``new``;
    ``original`` is what it holds now (None: it does not exist yet). Returns the backup's path,
    if one was made.

    Refuses (PatchError, nothing written) when the file or its directory is read-only, when the
    file is not the regular file holding ``original``, or when root would write in a folder
    another user could change meanwhile.
    Read-only means what ``os.access`` says *or* no write bit in the mode at all: root may write
    anywhere, but a file someone made read-only (chmod a-w) is a statement we honour for root too.
    """
    directory = os.path.dirname(target) or os.curdir
    name = os.path.basename(target)
    try:
        folder = _Folder(directory)
    except OSError as exc:
        raise PatchError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    try:
        _check_folder(path, folder)
        status = _check_target(path, folder, name, original)
        _check_writable(path, target, folder, status)
        # What a run killed mid-write left here goes now, under the lock (docs/patching.md).
        _remove_strays(folder, min_age=60.0)
        backup_path = (
            _write_backup(path, folder, name, original, status)
            if backup and original is not None and status is not None
            else None
        )
        try:
            _replace(path, folder, name, new, status)
        except _ReplacedAfterwardsError:
            raise  # the write happened: its backup is kept
        except BaseException:
            if backup_path is not None:  # the original is untouched: its copy is not needed
                folder.unlink(os.path.basename(backup_path))
            raise
        folder.fsync()
    finally:
        folder.close()
    return backup_path


def _check_folder(path: str, folder: _Folder) -> None:
    """Root writes only in a folder nobody else can change: one owned by root, and writable by
    nobody else (or sticky, where nobody else may rename or remove root's files)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    status = folder.status()
    if status.st_uid != 0:
        name = _user_name(status.st_uid)
        owner = name or f"uid {status.st_uid}"
        sudo = name or f"'#{status.st_uid}'"  # sudo's spelling of a user by number
        raise PatchError(
            f"not writing {path} as root: its folder {folder.path} belongs to {owner}, who could "
            f"redirect the write; run safepip as {owner} (sudo -u {sudo} ...), or copy the "
            "project to a folder of root's; nothing written"
        )
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not status.st_mode & stat.S_ISVTX:
        raise PatchError(
            f"not writing {path} as root: its folder {folder.path} is writable by other users, "
            "who could redirect the write; remove their write access (chmod go-w), or copy the "
            "project to a folder of root's; nothing written"
        )


def _user_name(uid: int) -> str | None:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return None


def _check_target(
    path: str, folder: _Folder, name: str, original: bytes | None
) -> os.stat_result | None:
    """The file to replace, as it is now: a regular file holding ``original`` (or nothing at
    all when ``original`` is None). Anything else was put there since the plan read it."""
    try:
        status = folder.lstat(name)
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise PatchError(f"cannot write {path}: {exc.strerror or exc}") from None
    if original is None:
        if status is not None:
            raise PatchError(f"{path} appeared since it was read; nothing written")
        return None
    if status is None or not stat.S_ISREG(status.st_mode):
        raise PatchError(f"{path} is no longer the regular file it was; nothing written")
    try:
        fd = folder.open(name, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)
    except OSError as exc:
        raise PatchError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        opened = os.fstat(fd)
        with os.fdopen(os.dup(fd), "rb") as file:
            current = file.read(len(original) + 1)
    finally:
        os.close(fd)
    if not _same_file(opened, status) or current != original:
        raise PatchError(f"{path} changed since it was read; nothing written, please run again")
    return status


def _same_file(one: os.stat_result, other: os.stat_result) -> bool:
    return (one.st_dev, one.st_ino, one.st_uid) == (other.st_dev, other.st_ino, other.st_uid)


def _check_writable(path: str, target: str, folder: _Folder, status: os.stat_result | None) -> None:
    if status is not None and (
        not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        or not os.access(target, os.W_OK)
    ):
        raise PatchError(
            f"{path} is read-only: make it writable (chmod u+w) or add the change by hand"
        )
    directory_mode = folder.status().st_mode
    if not directory_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        folder.path, os.W_OK | os.X_OK
    ):
        raise PatchError(
            f"cannot write {path}: its directory {folder.path} is read-only "
            "(safepip writes a new file next to it and renames it into place)"
        )


def _replace(
    path: str, folder: _Folder, name: str, new: bytes, status: os.stat_result | None
) -> None:
    """Write ``new`` to a temporary file and rename it over ``name``, checking both names just
    before the rename and the result after it."""
    try:
        temporary: str | None
        temporary, fd = _create_temporary(folder, new, status)
    except OSError as exc:
        raise PatchError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        mine = os.fstat(fd)
        if not _same_file(folder.lstat(temporary), mine):
            raise PatchError(f"cannot write {path}: its temporary file was replaced")
        _check_unchanged(path, folder, name, status)
        folder.rename(temporary, name)
        temporary = None
        if not _same_file(folder.lstat(name), mine):
            raise _ReplacedAfterwardsError(
                f"{path} was replaced by another file just after safepip wrote it"
            )
    except OSError as exc:
        raise PatchError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
        if temporary is not None:
            folder.unlink(temporary)


def _check_unchanged(path: str, folder: _Folder, name: str, status: os.stat_result | None) -> None:
    """``name`` is still the file ``_check_target`` saw (or still absent)."""
    try:
        now: os.stat_result | None = folder.lstat(name)
    except FileNotFoundError:
        now = None
    if status is None and now is None:
        return
    if (
        status is None
        or now is None
        or not stat.S_ISREG(now.st_mode)
        or not _same_file(now, status)
    ):
        raise PatchError(f"{path} was replaced while safepip wrote it; nothing written")


def _write_backup(
    path: str, folder: _Folder, name: str, original: bytes, status: os.stat_result
) -> str:
    """Copy the original to the first free backup name; never overwrites an existing file.

    The copy is written and synced under a temporary name first, then linked to its name: a
    kill at any moment leaves either no backup or a whole one (and at worst a stray temporary
    file, which remove_stray_temporaries cleans up).
    """
    base = name + BACKUP_SUFFIX
    try:
        temporary, fd = _create_temporary(folder, original, status)
    except OSError as exc:
        raise PatchError(f"cannot write a backup of {path}: {exc.strerror}") from None
    try:
        for number in range(1000):
            candidate = base if number == 0 else f"{base}.{number}"
            try:
                folder.link(temporary, candidate)  # atomic, and never replaces an existing file
            except FileExistsError:
                continue
            except OSError as exc:
                raise PatchError(
                    f"cannot write the backup {os.path.join(folder.path, candidate)}: "
                    f"{exc.strerror}"
                ) from None
            return os.path.join(folder.path, candidate)
    finally:
        os.close(fd)
        folder.unlink(temporary)
    raise PatchError(f"too many backups of {path}; remove old {BACKUP_SUFFIX}.N files")


def _create_temporary(
    folder: _Folder, data: bytes, status: os.stat_result | None
) -> tuple[str, int]:
    """A new file in ``folder`` holding ``data``, synced to disk, with the original's mode and
    owner (set on the descriptor); returns its name and its open descriptor."""
    while True:
        name = f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp"
        try:
            # Created new and private: nobody else can have it open, or have put a link there.
            fd = folder.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        except FileExistsError:
            continue
        break
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        _sync(fd)
        if status is not None:
            _keep_owner(fd, status)  # first: a chown clears the set-id bits of the mode
            _chmod(fd, folder, name, status.st_mode & 0o7777)
        else:
            # A new pyproject.toml gets the usual 0o666 minus the umask, like any new file.
            _chmod(fd, folder, name, 0o666 & ~_umask())
    except BaseException:
        os.close(fd)
        folder.unlink(name)
        raise
    return name, fd


def _sync(fd: int) -> None:
    """The written bytes reach the disk before the file gets its name (tests interpose here)."""
    os.fsync(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _chmod(fd: int, folder: _Folder, name: str, mode: int) -> None:
    fchmod = getattr(os, "fchmod", None)
    if fchmod is not None:
        fchmod(fd, mode)
    else:  # Windows before Python 3.13: only the read-only bit, by name
        os.chmod(os.path.join(folder.path, name), mode)


def _keep_owner(fd: int, status: os.stat_result) -> None:
    """Root patching a user's file must not leave it owned by root."""
    fchown = getattr(os, "fchown", None)
    if fchown is None or (status.st_uid, status.st_gid) == (os.geteuid(), os.getegid()):
        return
    # Only root may give a file away; anyone else keeps their own ownership.
    with contextlib.suppress(OSError):
        fchown(fd, status.st_uid, status.st_gid)


def held_by_git(path: str) -> bool:
    """Whether git tracks ``path`` and holds its content (the file matches the index: committed,
    or staged as under a pre-commit hook). Such a file needs no backup: git has the original,
    and a stray ``pyproject.toml.safepip-backup`` would be committed by the next ``git add -A``.
    """
    import subprocess

    folder, name = os.path.split(os.path.abspath(path))
    try:
        for check in (["ls-files", "--error-unmatch", "--", name], ["diff", "--quiet", "--", name]):
            result = subprocess.run(
                ["git", "-C", folder, *check],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            if result.returncode != 0:
                return False
    except OSError:  # no git: keep the backup
        return False
    return True


def undo_hint(path: str) -> str:
    """How to see and undo a change to ``path`` that git holds the original of."""
    return (
        f"no backup: git has the original; `git diff -- {path}` shows the change, "
        f"`git checkout -- {path}` undoes it"
    )


def remove_stray_temporaries(directory: str, *, min_age: float = 60.0) -> list[str]:
    """Remove temporary files an interrupted run left in ``directory``; return their paths.

    Only files named ``.pyproject.toml.safepip-*`` and at least ``min_age`` seconds old, so a run
    that is writing at this very moment keeps its file.
    """
    try:
        folder = _Folder(directory)
    except OSError:
        return []
    try:
        return [os.path.join(directory, name) for name in _remove_strays(folder, min_age=min_age)]
    finally:
        folder.close()


def _remove_strays(folder: _Folder, *, min_age: float) -> list[str]:
    removed: list[str] = []
    try:
        names = os.listdir(folder.fd if folder.fd is not None else folder.path)
    except OSError:
        return removed
    now = time.time()
    for name in sorted(names):
        if not name.startswith(TEMP_PREFIX):
            continue
        try:
            status = folder.lstat(name)
            if not stat.S_ISREG(status.st_mode) or now - status.st_mtime < min_age:
                continue
            folder.remove(name)
        except OSError:
            continue
        removed.append(name)
    return removed
