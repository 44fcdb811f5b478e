"""Transcripts: what pip printed in each run that ended in a diagnosis, kept for
``safepip diagnose --last`` and for the user to read.

Each transcript is the decoded lines the parser saw, one per line, in the user's log directory
(``$SAFEPIP_LOG_DIR``, else platformdirs' ``user_log_dir("safepip")``), with a JSON sidecar. It is
bounded three ways: the last :data:`KEEP_RUNS` runs, :data:`MAX_TRANSCRIPT_BYTES` per transcript
(keeping the head and the tail when cut, since the end of a pip log holds the error) and
:data:`MAX_TOTAL_BYTES` overall. Credentials pip prints inside URLs are masked before anything
reaches the disk. Lines are spooled to a file as they arrive, so memory stays flat however much pip
prints.

The directory may be shared (``SAFEPIP_LOG_DIR=/tmp/logs`` on a CI runner): it is used only when
it belongs to the user and nobody else may write in it, and every file is created new and
private (``O_CREAT|O_EXCL|O_NOFOLLOW``, 0600), so no link planted there is written through and
nobody else can read pip's output. Otherwise the transcript is not kept (one line; pip's run and
its exit status are unaffected).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Mapping
from typing import Any, BinaryIO

from safepip.folders import NEW_FILE, private_folder_refusal, unsafe_parent
from safepip.places import user_log_dir
from safepip.redaction import MASK, mask_credentials, redact_json

__all__ = ["MASK", "mask_credentials"]  # re-exported: the masker was here

LOG_DIR_VARIABLE = "SAFEPIP_LOG_DIR"
KEEP_RUNS = 20
MAX_TRANSCRIPT_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 50 * 1024 * 1024
#: A single line longer than this is stored cut (pip never prints one; a broken tool might).
MAX_LINE_CHARS = 64 * 1024
#: Spool files older than this belong to a run that died: rotation removes them.
STALE_SPOOL_SECONDS = 24 * 3600

PREFIX = "transcript-"
SUFFIX = ".log"
SIDECAR_SUFFIX = ".json"
_SPOOL_PREFIX = ".spool-"


def log_dir(environ: Mapping[str, str] | None = None) -> str:
    """Where transcripts go: ``$SAFEPIP_LOG_DIR``, else the platform's user log directory."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(LOG_DIR_VARIABLE)
    if explicit:
        return os.path.expanduser(explicit)
    return user_log_dir(environ)


def _create(path: str) -> BinaryIO:
    """A new private file (0600), never an existing one nor through a link."""
    return os.fdopen(os.open(path, NEW_FILE, 0o600), "wb")


def check_log_dir(directory: str) -> None:
    """Refuse (OSError, one line) a log directory another user owns or may write in: they could
    read pip's output there, or plant links for safepip to write through."""
    if not hasattr(os, "geteuid"):
        return  # Windows: the user's profile folder, with its own access lists
    refusal = private_folder_refusal(
        os.stat(directory),
        directory,
        what="log directory",
        noun="directory",
        variable=LOG_DIR_VARIABLE,
    )
    if refusal is not None:
        raise OSError(refusal)


def check_log_dir_parents(directory: str) -> None:
    """Refuse (OSError, one line) a log directory inside a folder another user could rename it
    out of, or swap for theirs (safepip.folders); checked before anything is made there."""
    folder = unsafe_parent(directory)
    if folder is not None:
        raise OSError(
            f"the log directory {directory} is inside {folder}, which another user owns or "
            f"may write in; set {LOG_DIR_VARIABLE} to a directory of your own"
        )


def list_transcripts(directory: str) -> list[str]:
    """The transcripts in ``directory``, oldest first (names sort by time)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [
        os.path.join(directory, name)
        for name in sorted(names)
        if name.startswith(PREFIX) and name.endswith(SUFFIX)
    ]


def latest_transcript(environ: Mapping[str, str] | None = None) -> str | None:
    """The path of the newest transcript, or None when none was kept."""
    found = list_transcripts(log_dir(environ))
    return found[-1] if found else None


def sidecar_path(transcript: str) -> str:
    return transcript[: -len(SUFFIX)] + SIDECAR_SUFFIX


def read_metadata(transcript: str) -> dict[str, Any]:
    """The JSON sidecar of a transcript; empty when it is missing or unreadable."""
    try:
        with open(sidecar_path(transcript), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class TranscriptRecorder:
    """A line consumer (``feed_line``) that spools pip's output to the log directory; then
    either :meth:`keep` (the run ended in a diagnosis) or :meth:`discard`.

    The first half of the size cap is the head; past it, lines go to two alternating tail
    segments of at most the other half each, so that the last half is always on disk. Nothing is
    created until the first line arrives. An OSError while spooling stops the recording (pip's
    output and the run go on); :meth:`keep` then raises it.
    """

    def __init__(
        self,
        directory: str | None = None,
        *,
        max_bytes: int = MAX_TRANSCRIPT_BYTES,
        keep_runs: int = KEEP_RUNS,
        max_total_bytes: int = MAX_TOTAL_BYTES,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.directory = directory
        self.environ = environ
        self.head_limit = max_bytes // 2
        self.tail_limit = max_bytes - self.head_limit
        self.keep_runs = keep_runs
        self.max_total_bytes = max_total_bytes
        self.error: OSError | None = None
        self.lines = 0
        self.bytes_seen = 0
        self._base: str | None = None
        self._head: BinaryIO | None = None
        self._head_bytes = 0
        self._head_full = False
        self._tail: BinaryIO | None = None
        self._tail_paths: list[str] = []  # [older, current] segment paths
        self._tail_bytes = 0  # in the current segment
        self._segments = 0
        self._closed = False

    # -- spooling --------------------------------------------------------------------------------

    def _open(self) -> tuple[BinaryIO, str]:
        if self.directory is None:
            self.directory = log_dir(self.environ)
        check_log_dir_parents(self.directory)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        check_log_dir(self.directory)
        # A fresh name, mode 0600 (pip's output may hold private paths and names).
        while True:
            base = os.path.join(self.directory, _SPOOL_PREFIX + os.urandom(8).hex())
            try:
                self._head = _create(base + ".head")
            except FileExistsError:
                continue
            break
        self._base = base
        return self._head, self._base

    def feed_line(self, stream: str, line: str) -> None:
        if self._closed or self.error is not None:
            return
        if len(line) > MAX_LINE_CHARS:
            line = line[:MAX_LINE_CHARS] + " [safepip: line cut]"
        data = (mask_credentials(line) + "\n").encode("utf-8", "replace")
        self.lines += 1
        self.bytes_seen += len(data)
        try:
            head = self._head if self._head is not None else self._open()[0]
            if not self._head_full:
                if self._head_bytes + len(data) <= self.head_limit:
                    head.write(data)
                    self._head_bytes += len(data)
                    return
                self._head_full = True
            self._write_tail(data)
        except OSError as exc:
            self.error = exc
            self._remove_spool()

    def _write_tail(self, data: bytes) -> None:
        tail = self._tail
        if tail is None or self._tail_bytes + len(data) > self.tail_limit:
            tail = self._next_tail_segment()
        tail.write(data)
        self._tail_bytes += len(data)

    def _next_tail_segment(self) -> BinaryIO:
        if self._tail is not None:
            self._tail.close()
        if len(self._tail_paths) == 2:
            # The older segment is entirely more than tail_limit bytes from the end: drop it.
            _remove(self._tail_paths.pop(0))
        self._segments += 1
        path = f"{self._base}.tail{self._segments}"
        tail = _create(path)  # held open across feed_line calls
        self._tail = tail
        self._tail_paths.append(path)
        self._tail_bytes = 0
        return tail

    # -- ending ----------------------------------------------------------------------------------

    def keep(self, metadata: dict[str, Any]) -> str:
        """Move the transcript into place with its JSON sidecar, rotate, return its path.

        ``metadata`` should hold ``pip_args``, ``exit_status``, ``findings`` (a count) and
        ``cwd``; ``time`` is added when absent. Strings in it are masked like the lines.
        """
        if self._closed:
            raise ValueError("this transcript was already kept or discarded")
        if self.error is not None:
            raise self.error
        try:
            if self._head is None or self._base is None:
                self._open()  # pip printed nothing: an empty transcript still records the run
            head, base = self._head, self._base
            if head is None or base is None:
                raise OSError("the transcript's spool file is missing")
            head.close()
            if self._tail is not None:
                self._tail.close()
            kept_tail = self._append_tail(base)
            now = time.time()
            directory = os.path.dirname(base)
            stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
            name = f"{PREFIX}{stamp}-{int(now * 1e6) % 1000000:06d}-{os.getpid()}{SUFFIX}"
            final = os.path.join(directory, name)
            os.replace(base + ".head", final)
            self._closed = True
            cut = self.bytes_seen - self._head_bytes - kept_tail
            sidecar = {
                "safepip_transcript_version": 1,
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                **redact_json(metadata),
                "transcript": name,
                "lines": self.lines,
                "bytes_seen": self.bytes_seen,
                "bytes_cut": cut,
            }
            temporary = f"{sidecar_path(final)}.{os.urandom(6).hex()}.tmp"
            with _create(temporary) as handle:
                handle.write((json.dumps(sidecar, indent=2) + "\n").encode("utf-8"))
            os.replace(temporary, sidecar_path(final))
        finally:
            self._remove_spool()
        rotate(directory, self.keep_runs, self.max_total_bytes, protect=final)
        return final

    def _append_tail(self, base: str) -> int:
        """Append the marker and the last ``tail_limit`` bytes (whole lines) to the head file.

        Returns how many tail bytes were kept.
        """
        if not self._tail_paths:
            return 0
        # Where the kept tail starts: (segment, offset), at most tail_limit bytes from the end.
        sizes = [os.path.getsize(path) for path in self._tail_paths]
        skip = max(0, sum(sizes) - self.tail_limit)
        starts: list[int | None] = []
        for path, size in zip(self._tail_paths, sizes):
            if skip >= size:
                starts.append(None)
                skip -= size
                continue
            if skip:
                with open(path, "rb") as segment:
                    # Start at a whole line: unless the cut falls just after a newline, drop
                    # the rest of the line it falls in.
                    segment.seek(skip - 1)
                    if segment.read(1) != b"\n":
                        skip += len(segment.readline())
            starts.append(skip)
            skip = 0
        kept = sum(size - start for size, start in zip(sizes, starts) if start is not None)
        cut = self.bytes_seen - self._head_bytes - kept
        with open(base + ".head", "ab") as out:
            if cut:
                note = (
                    f"[safepip: {cut} bytes of pip's output were cut here; the transcript "
                    f"keeps its first {self.head_limit} and last {self.tail_limit} bytes]\n"
                )
                out.write(note.encode())
            for path, start in zip(self._tail_paths, starts):
                if start is None:
                    continue
                with open(path, "rb") as segment:
                    segment.seek(start)
                    shutil.copyfileobj(segment, out)
        return kept

    def discard(self) -> None:
        """Forget this run: remove what was spooled."""
        self._closed = True
        self._remove_spool()

    def _remove_spool(self) -> None:
        for handle in (self._head, self._tail):
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.close()
        if self._base is not None:
            _remove(self._base + ".head")
        for path in self._tail_paths:
            _remove(path)
        self._tail_paths = []


def _remove(path: str) -> None:
    # Already gone (another safepip rotated it), or never made: either way, fine.
    with contextlib.suppress(OSError):
        os.remove(path)


def rotate(
    directory: str,
    keep_runs: int = KEEP_RUNS,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    protect: str | None = None,
) -> list[str]:
    """Remove the oldest transcripts beyond ``keep_runs`` or ``max_total_bytes`` (never
    ``protect``), and spool files left by runs that died. Returns the transcripts removed."""
    transcripts = list_transcripts(directory)
    removed: list[str] = []

    def size(path: str) -> int:
        total = 0
        for each in (path, sidecar_path(path)):
            with contextlib.suppress(OSError):
                total += os.path.getsize(each)
        return total

    sizes = {path: size(path) for path in transcripts}
    total = sum(sizes.values())
    for path in transcripts:
        over_count = len(transcripts) - len(removed) > keep_runs
        if path == protect or not (over_count or total > max_total_bytes):
            continue
        _remove(path)
        _remove(sidecar_path(path))
        total -= sizes[path]
        removed.append(path)
    stale = time.time() - STALE_SPOOL_SECONDS
    try:
        names = os.listdir(directory)
    except OSError:
        names = []
    for name in names:
        path = os.path.join(directory, name)
        with contextlib.suppress(OSError):
            if name.startswith(_SPOOL_PREFIX) and os.path.getmtime(path) < stale:
                os.remove(path)
    return removed
