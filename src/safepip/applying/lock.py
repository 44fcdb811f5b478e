"""One safepip at a time patching files in a project folder.

Two runs fixing the same project at once (two terminals, a parallel CI matrix on one checkout)
must not both read the original and write their own version over the other's. The lock is
taken on the folder itself (``flock`` on POSIX): nothing is left in the user's project, and the
kernel releases it when a run dies, even by SIGKILL, so no stale lock ever needs clearing.
Windows locks a ``.safepip-lock`` file in the folder instead (``msvcrt.locking``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import time
from collections.abc import Callable, Iterator

from safepip.errors import SafepipError, say

#: How long a run waits for another one to finish its change before giving up.
DEFAULT_TIMEOUT = 60.0
#: Windows only: the file locked in place of the folder.
WINDOWS_LOCK_NAME = ".safepip-lock"
_POLL_SECONDS = 0.05


class LockTimeoutError(SafepipError):
    """Another run held the folder for longer than we wait."""


@contextlib.contextmanager
def folder_lock(folder: str, *, timeout: float = DEFAULT_TIMEOUT) -> Iterator[None]:
    """Hold the patching lock of ``folder`` for the ``with`` block; wait for it up to ``timeout``.

    A filesystem that cannot lock (some network mounts) gets no lock rather than no fix: the
    patcher's own check (the file must still hold what was read) still refuses a lost update.
    """
    if sys.platform == "win32":
        with _windows_lock(folder, timeout):
            yield
        return
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield  # the patcher reports the unusable folder in its own words
        return
    try:
        _acquire(folder, timeout, lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(folder: str, timeout: float, try_lock: Callable[[], object]) -> bool:
    """Try ``try_lock`` until it succeeds (True) or fails for good (False, no locking here)."""
    deadline = time.monotonic() + timeout
    waiting = False
    while True:
        try:
            try_lock()
        except OSError as exc:
            if exc.errno not in {errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES, errno.EDEADLK}:
                return False
        else:
            return True
        if not waiting:
            say(f"waiting for another safepip run to finish changing files in {folder}")
            waiting = True
        if time.monotonic() >= deadline:
            raise LockTimeoutError(
                f"another safepip run has been changing files in {folder} for over "
                f"{timeout:.0f} s; nothing written, please run safepip again"
            )
        time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def _windows_lock(folder: str, timeout: float) -> Iterator[None]:
    import msvcrt

    path = os.path.join(folder, WINDOWS_LOCK_NAME)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        yield
        return
    try:
        locked = _acquire(folder, timeout, lambda: msvcrt.locking(fd, msvcrt.LK_NBLCK, 1))  # type: ignore[attr-defined]
        try:
            yield
        finally:
            if locked:
                with contextlib.suppress(OSError):
                    os.lseek(fd, 0, os.SEEK_SET)
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):  # another run may hold it open: it stays, harmless
            os.remove(path)
