"""What the tests download or build once and keep between runs: the wheelhouse, the template
venvs, the real sdists, the venvs of test tools that scripts/_envs.py copies the test venvs
from. They are kept per user, not per clone (``$SAFEPIP_TEST_CACHE``, else
``$XDG_CACHE_HOME/safepip-tests``, else ``~/.cache/safepip-tests``), as pip keeps its own cache:
a new clone or worktree finds them made (170 MB, about 25 s of downloads and 20 s of CPU on a
fresh clone otherwise). Each entry is named by what it holds (the interpreter, the wheel list,
the sdist's sha256), so clones of different versions share the folder without seeing each
other's entries. Without a writable home they stay in the checkout's .cache/.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from testing.paths import ROOT


def _cache_folder() -> Path:
    chosen = os.environ.get("SAFEPIP_TEST_CACHE")
    if chosen:
        return Path(chosen).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser()
    folder = Path(base).resolve() / "safepip-tests"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    if os.access(folder, os.W_OK | os.X_OK):
        return folder
    return ROOT / ".cache"  # no writable home (a locked-down runner): the checkout's own


CACHE = _cache_folder()


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
