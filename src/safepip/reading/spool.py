"""Keeping what pip prints, to read it only if pip fails (docs/architecture.md, "Read only when
pip fails").

A :class:`LineSpool` is the line consumer of a building command's first run: it stores each line
and its stream, cheaply, and :meth:`LineSpool.replay` feeds them, in order, to the real readers
once pip has exited non-zero. A run that succeeds (almost every run) is never read at all, so
none of the reading, deciding or applying machinery is imported while pip runs.

Memory stays flat: lines are kept in memory up to :data:`MEMORY_BYTES`, then in an anonymous
temporary file (``tempfile.TemporaryFile``: created with ``O_EXCL``, removed from its folder at
once, so no other user can open or replace it).

This module is on the building path that needs no fix: it imports nothing beyond ``os`` until it
spills to the disk.
"""

from __future__ import annotations

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from typing import BinaryIO

    from safepip.reading.consumer import LineConsumer

#: What is kept in memory before the lines go to a temporary file.
MEMORY_BYTES = 4 * 1024 * 1024
#: Lines are replayed in batches of this many (the readers take batches far faster).
_BATCH = 512
#: The stream of each line, one byte in the record.
_CODES = {"stdout": b"o", "stderr": b"e", "terminal": b"t"}
_STREAMS = {code[0]: stream for stream, code in _CODES.items()}


class LineSpool:
    """A line consumer that keeps every line, to :meth:`replay` it later."""

    def __init__(self, memory_bytes: int = MEMORY_BYTES) -> None:
        self._memory_bytes = memory_bytes
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: BinaryIO | None = None
        #: Why some lines could not be kept (a full disk), if that happened: nothing is replayed.
        self.lost: OSError | None = None

    def feed_line(self, stream: str, line: str) -> None:
        self.feed_lines(stream, [line])

    def feed_lines(self, stream: str, lines: list[str]) -> None:
        if self.lost is not None:
            return
        code = _CODES.get(stream, b"t")
        # One record a line: the stream's code, the line, "\n" (a decoded line holds no "\n").
        data = b"".join(code + line.encode("utf-8", "surrogatepass") + b"\n" for line in lines)
        try:
            if self._file is None and self._size + len(data) > self._memory_bytes:
                self._spill()
            if self._file is not None:
                self._file.write(data)
            else:
                self._chunks.append(data)
            self._size += len(data)
        except OSError as exc:
            self.lost = exc

    def _spill(self) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        for chunk in self._chunks:
            self._file.write(chunk)
        self._chunks = []

    def replay(self, consumer: LineConsumer) -> None:
        """Feed every line kept, in order and with its stream, to ``consumer``."""
        if self._file is None:
            # Split on "\n" only: a line may hold a "\r" (a progress bar in a pty).
            self._feed(consumer, b"".join(self._chunks).split(b"\n")[:-1])
            return
        self._file.flush()
        self._file.seek(0)
        while True:
            records = self._file.readlines(1024 * 1024)
            if not records:
                return
            self._feed(consumer, [record.rstrip(b"\n") for record in records])

    @staticmethod
    def _feed(consumer: LineConsumer, records: list[bytes]) -> None:
        batch: list[str] = []
        stream = ""
        feed_lines = getattr(consumer, "feed_lines", None)
        for record in records:
            this = _STREAMS.get(record[0], "terminal") if record else "terminal"
            if (this != stream or len(batch) >= _BATCH) and batch:
                _send(consumer, feed_lines, stream, batch)
                batch = []
            stream = this
            batch.append(record[1:].decode("utf-8", "surrogatepass"))
        if batch:
            _send(consumer, feed_lines, stream, batch)

    def close(self) -> None:
        """Forget the lines (the temporary file, if any, goes with its descriptor)."""
        self._chunks = []
        if self._file is not None:
            self._file.close()
            self._file = None


def _send(consumer: LineConsumer, feed_lines: object, stream: str, batch: list[str]) -> None:
    if callable(feed_lines):
        feed_lines(stream, batch)
    else:
        for line in batch:
            consumer.feed_line(stream, line)
