"""Keeping what pip prints, to read it only if pip fails (docs/architecture.md, "Read only when
pip fails").

A :class:`LineSpool` is the consumer of a building command's first run. The relay hands it each
read of pip's streams as raw bytes (``feed_raw``; the relay's ``LineFeed`` looks for it), so
while pip runs nothing is decoded or cut into lines; :meth:`LineSpool.replay` then decodes the
same reads, in the same order, into the real readers once pip has exited non-zero, exactly as
the relay would have fed them live. A run that succeeds (almost every run) is never read at all,
so none of the reading, deciding or applying machinery is imported while pip runs.

Memory stays flat: reads are kept in memory up to :data:`MEMORY_BYTES`, then in an anonymous
temporary file (``tempfile.TemporaryFile``: created with ``O_EXCL`` and removed from its folder
at once, so no other user can open or replace it, and it goes when safepip does).

This module is on the building path that needs no fix: it imports nothing until it spills to
the disk or replays.
"""

from __future__ import annotations

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

    from safepip.reading.consumer import LineConsumer

#: What is kept in memory before the reads go to a temporary file.
MEMORY_BYTES = 4 * 1024 * 1024
#: Each record: one byte for the stream (lower case: a read; upper case: the stream's end), four
#: for the length (big-endian), then the bytes read.
_CODES = {"stdout": b"o", "stderr": b"e", "terminal": b"t"}
_STREAMS = {code[0]: stream for stream, code in _CODES.items()}
_HEADER = 5


class LineSpool:
    """A consumer that keeps pip's reads, to :meth:`replay` them as lines later."""

    def __init__(self, memory_bytes: int = MEMORY_BYTES) -> None:
        self._memory_bytes = memory_bytes
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: BinaryIO | None = None
        #: Why some output could not be kept (a full disk), if that happened: then nothing is
        #: replayed.
        self.lost: OSError | None = None

    def feed_raw(self, stream: str, data: bytes) -> None:
        """One read of pip's ``stream``, as the relay wrote it out."""
        self._keep(_CODES.get(stream, b"t") + len(data).to_bytes(4, "big") + data)

    def end_raw(self, stream: str) -> None:
        """``stream`` has ended (its last line may have had no line ending)."""
        self._keep(_CODES.get(stream, b"t").upper() + bytes(4))

    def feed_line(self, stream: str, line: str) -> None:
        """A decoded line (the line-consumer interface, for a caller without raw reads)."""
        self.feed_raw(stream, line.encode("utf-8", "replace") + b"\n")

    def _keep(self, record: bytes) -> None:
        if self.lost is not None:
            return
        try:
            if self._file is None and self._size + len(record) > self._memory_bytes:
                self._spill()
            if self._file is not None:
                self._file.write(record)
            else:
                self._chunks.append(record)
            self._size += len(record)
        except OSError as exc:
            self.lost = exc

    def _spill(self) -> None:
        import tempfile

        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._file.write(b"".join(self._chunks))
        self._chunks = []

    def replay(self, consumer: LineConsumer) -> None:
        """Feed ``consumer`` the lines of every read kept, as the relay would have fed them."""
        from safepip.running.relay import LineFeed

        feeds: dict[str, LineFeed] = {}
        for code, data in self._records():
            stream = _STREAMS.get(code | 0x20, "terminal")  # the lower-case code
            feed = feeds.get(stream)
            if feed is None:
                feed = feeds[stream] = LineFeed(stream, consumer)
            if code & 0x20:
                feed.feed(data)
            else:
                feed.finish()
                del feeds[stream]
        for feed in feeds.values():  # a stream whose end was not seen (a killed relay)
            feed.finish()

    def _records(self) -> Iterator[tuple[int, bytes]]:
        if self._file is None:
            import io

            source: BinaryIO = io.BytesIO(b"".join(self._chunks))
        else:
            self._file.flush()
            self._file.seek(0)
            source = self._file
        while True:
            header = source.read(_HEADER)
            if len(header) < _HEADER:
                return
            yield header[0], source.read(int.from_bytes(header[1:], "big"))

    def close(self) -> None:
        """Forget what was kept (the temporary file, if any, goes with its descriptor)."""
        self._chunks = []
        if self._file is not None:
            self._file.close()
            self._file = None
