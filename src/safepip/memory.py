"""The store of fixed wheels: what finished an install once, kept to be offered to pip next time.

When safepip built a wheel from a patched copy of an sdist the user does not control, and the
command then succeeded, the wheel is kept with a record of the fix (the distribution, its version,
the sha256 of the sdist safepip unpacked, the index it came from, masked, the fix and the date).
The next building command gets it through a ``--find-links`` folder of exactly the matching
wheels (``safepip.applying.reuse``), and pip's own resolver chooses it.

What is stored is code that will be installed: the store is in the user's cache folder
(``$SAFEPIP_CACHE_DIR``, else platformdirs' ``user_cache_dir("safepip")``), made owner-only
(0700 folders, 0600 files), refused when another user owns it or may write in it or in a folder
above it, and every file is created new (``O_CREAT|O_EXCL|O_NOFOLLOW``) relative to a folder
descriptor; an entry appears whole (made under a temporary name, then renamed) or not at all.

Imports nothing beyond ``os`` and ``stat`` at start-up: the building path asks
:func:`store_exists` (one ``stat``, or one listing) before every command.
"""

from __future__ import annotations

import os
import stat

from safepip.folders import NEW_FILE, private_folder_refusal, unsafe_parent
from safepip.options import env_flag
from safepip.places import user_cache_dir

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import Any

CACHE_VARIABLE = "SAFEPIP_CACHE_DIR"
OFF_VARIABLE = "SAFEPIP_NO_MEMORY"
#: The store's bound: storing evicts the oldest entries beyond it.
MAX_BYTES = 500 * 1024 * 1024
WHEELS = "wheels"
RECORD = "record.json"
_TEMPORARY = ".new-"
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
#: The store is made only where files can be created relative to a folder descriptor.
_DIR_FD = {
    os.open,
    os.mkdir,
    os.stat,
    os.rename,
    os.unlink,
    os.rmdir,
    os.link,
} <= os.supports_dir_fd
#: A record larger than this is not one of ours.
_MAX_RECORD = 64 * 1024


class StoreError(OSError):
    """The store cannot be used safely (one line)."""


def store_dir(environ: Mapping[str, str]) -> str:
    """Where the store is: ``$SAFEPIP_CACHE_DIR``, else the platform's user cache folder."""
    explicit = environ.get(CACHE_VARIABLE)
    if explicit:
        return os.path.expanduser(explicit)
    return user_cache_dir(environ)


def turned_off(environ: Mapping[str, str], configured: bool | None) -> str | None:
    """Why nothing is stored or offered (``SAFEPIP_NO_MEMORY``, ``memory = false``), or None;
    SafepipError when the variable is not a boolean (as every ``SAFEPIP_*`` flag)."""
    if env_flag(environ, OFF_VARIABLE):
        return OFF_VARIABLE
    if not _DIR_FD:
        return "this platform"  # Windows: no writes relative to a folder descriptor (yet)
    if configured is False:
        return "memory = false"
    return None


def store_exists(environ: Mapping[str, str]) -> bool:
    """Whether anything may be remembered: one ``stat`` when there is no store, one listing
    when it is empty (nothing imported either way)."""
    try:
        names = os.listdir(os.path.join(store_dir(environ), WHEELS))
    except OSError:
        return False  # none yet (or unreadable: then the offer would say nothing either)
    return any(not name.startswith(".") for name in names)


class Entry:
    """One remembered wheel and the record of its fix."""

    def __init__(self, folder: str, record: Mapping[str, Any], size: int) -> None:
        #: The entry's folder name in the store.
        self.folder = folder
        self.name = str(record.get("distribution", ""))
        self.version = str(record.get("version", ""))
        self.sdist = str(record.get("sdist", ""))
        self.sdist_sha256 = str(record.get("sdist_sha256", ""))
        index = record.get("index")
        self.index = index if isinstance(index, str) else None
        self.fix = str(record.get("fix", ""))
        self.kind = str(record.get("kind", ""))
        self.created = str(record.get("created", ""))
        self.wheel = str(record.get("wheel", ""))
        self.size = size

    def to_json(self) -> dict[str, Any]:
        return {
            "distribution": self.name,
            "version": self.version,
            "wheel": self.wheel,
            "sdist": self.sdist,
            "sdist_sha256": self.sdist_sha256,
            "index": self.index,
            "fix": self.fix,
            "kind": self.kind,
            "created": self.created,
        }

    def describe(self) -> str:
        return f"{self.name} {self.version} (fixed by: {self.fix}; made {self.created})"


class Store:
    """The store, opened safely: a descriptor of its ``wheels`` folder, checked."""

    def __init__(self, path: str, *, create: bool) -> None:
        self.path = path
        folder = unsafe_parent(path)
        if folder is not None:
            raise StoreError(
                f"the cache folder {path} is inside {folder}, which another user owns or may "
                f"write in; set {CACHE_VARIABLE} to a folder of your own"
            )
        if create:
            os.makedirs(path, mode=0o700, exist_ok=True)
        top = os.open(path, _DIRECTORY)
        try:
            _check_private(top, path)
            if create:
                import contextlib  # only when storing: not on every building command's path

                with contextlib.suppress(FileExistsError):
                    os.mkdir(WHEELS, 0o700, dir_fd=top)
            self._fd = os.open(WHEELS, _DIRECTORY, dir_fd=top)
        finally:
            os.close(top)
        try:
            _check_private(self._fd, os.path.join(path, WHEELS))
        except BaseException:
            os.close(self._fd)
            raise

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entries(self) -> list[Entry]:
        """Every whole entry, oldest first (unreadable or foreign ones are skipped)."""
        found = []
        for name in sorted(os.listdir(self._fd)):
            if name.startswith("."):
                continue
            entry = self._read(name)
            if entry is not None:
                found.append(entry)
        found.sort(key=lambda entry: entry.created)
        return found

    def _read(self, name: str) -> Entry | None:
        import json

        try:
            with self._entry_fd(name) as fd:
                data = _read_file(fd, RECORD)
                record = json.loads(data.decode("utf-8"))
                if not isinstance(record, dict):
                    return None
                wheel = str(record.get("wheel", ""))
                status = os.stat(wheel, dir_fd=fd, follow_symlinks=False)
                if not stat.S_ISREG(status.st_mode) or os.sep in wheel or wheel.startswith("."):
                    return None
                return Entry(name, record, status.st_size + len(data))
        except (OSError, ValueError):
            return None

    def _entry_fd(self, name: str) -> _Fd:
        fd = os.open(name, _DIRECTORY, dir_fd=self._fd)
        try:
            _check_private(fd, name)
        except BaseException:
            os.close(fd)
            raise
        return _Fd(fd)

    def link_wheel(self, entry: Entry, destination: str) -> str:
        """A hard link (else a copy) of ``entry``'s wheel in the folder ``destination``."""
        target = os.path.join(destination, entry.wheel)
        with self._entry_fd(entry.folder) as fd:
            try:
                os.link(entry.wheel, target, src_dir_fd=fd, follow_symlinks=False)
            except OSError:
                source = os.open(entry.wheel, _READ, dir_fd=fd)
                try:
                    with os.fdopen(os.open(target, NEW_FILE, 0o600), "wb") as out:
                        _copy(source, out.fileno())
                finally:
                    os.close(source)
        return target

    def add(self, wheel: str, record: Mapping[str, Any], *, max_bytes: int = MAX_BYTES) -> bool:
        """Keep ``wheel`` (a path) with ``record``; False when that entry was there already.
        Then the oldest entries go until the store is within ``max_bytes``."""
        import contextlib
        import hashlib
        import json
        import secrets

        name = os.path.basename(wheel)
        key = f"{record['sdist_sha256']}:{name}".encode()
        folder = f"{record['distribution']}-{hashlib.sha256(key).hexdigest()[:24]}"
        with contextlib.suppress(FileNotFoundError):
            os.stat(folder, dir_fd=self._fd, follow_symlinks=False)
            return False  # remembered already
        temporary = _TEMPORARY + secrets.token_hex(8)
        os.mkdir(temporary, 0o700, dir_fd=self._fd)
        try:
            with self._entry_fd(temporary) as fd:
                source = os.open(wheel, _READ)
                try:
                    _write_new(fd, name, lambda out: _copy(source, out))
                finally:
                    os.close(source)
                data = json.dumps({**record, "wheel": name}, indent=2).encode()
                _write_new(fd, RECORD, lambda out: os.write(out, data))
            os.rename(temporary, folder, src_dir_fd=self._fd, dst_dir_fd=self._fd)
        except BaseException:
            self._remove(temporary)
            raise
        self.evict(max_bytes)
        return True

    def evict(self, max_bytes: int) -> list[Entry]:
        """Remove the oldest entries until the store holds at most ``max_bytes``."""
        entries = self.entries()
        total = sum(entry.size for entry in entries)
        removed = []
        for entry in entries:
            if total <= max_bytes:
                break
            self.remove(entry)
            total -= entry.size
            removed.append(entry)
        return removed

    def remove(self, entry: Entry) -> None:
        self._remove(entry.folder)

    def _remove(self, name: str) -> None:
        try:
            fd = os.open(name, _DIRECTORY, dir_fd=self._fd)
        except FileNotFoundError:
            return
        try:
            for member in os.listdir(fd):
                os.unlink(member, dir_fd=fd)
        finally:
            os.close(fd)
        os.rmdir(name, dir_fd=self._fd)


class _Fd:
    """A descriptor closed at the end of a ``with``."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __enter__(self) -> int:
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)


def open_store(environ: Mapping[str, str], *, create: bool = False) -> Store | None:
    """The store, checked; None when there is none yet (and ``create`` is false)."""
    path = store_dir(environ)
    if not create and not os.path.isdir(os.path.join(path, WHEELS)):
        return None
    return Store(path, create=create)


def _check_private(fd: int, path: str) -> None:
    """Refuse a folder of the store another user owns or may write in: they could plant wheels
    for safepip to offer, or swap one."""
    refusal = private_folder_refusal(
        os.fstat(fd), path, what="cache folder", noun="folder", variable=CACHE_VARIABLE
    )
    if refusal is not None:
        raise StoreError(refusal)


def _read_file(folder: int, name: str) -> bytes:
    fd = os.open(name, _READ, dir_fd=folder)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > _MAX_RECORD:
            raise ValueError(name)
        if hasattr(os, "geteuid") and status.st_uid != os.geteuid():
            raise ValueError(name)
        return os.read(fd, _MAX_RECORD + 1)
    finally:
        os.close(fd)


def _write_new(folder: int, name: str, write: Any) -> None:
    fd = os.open(name, NEW_FILE, 0o600, dir_fd=folder)
    try:
        write(fd)
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: int, destination: int) -> None:
    while True:
        chunk = os.read(source, 1 << 20)
        if not chunk:
            return
        view = memoryview(chunk)
        while view:
            view = view[os.write(destination, view) :]


def sha256_of(path: str) -> str:
    """The sha256 of a file, read as a regular file only."""
    import hashlib

    digest = hashlib.sha256()
    fd = os.open(path, _READ)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


def iter_matching(entries: Sequence[Entry], name: str) -> Iterator[Entry]:
    """The entries of the distribution ``name`` (any spelling)."""
    from safepip.names import canonical_name

    wanted = canonical_name(name)
    return (entry for entry in entries if canonical_name(entry.name) == wanted)
