"""What the tests download or build once and keep between runs, under .cache/ (git-ignored)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from testing.paths import ROOT

CACHE = ROOT / ".cache"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """One process at a time: pytest-xdist's workers, and two Pythons run side by side, fill
    the same cache. What is made under the lock is moved into place whole, so a reader that
    takes no lock never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: the move into place keeps each file whole anyway
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_whole(path: Path, data: bytes) -> None:
    """Write ``data`` aside and rename it into place: a reader that takes no lock (another
    xdist worker, the other Python's run) sees the whole file or none."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    partial.replace(path)
