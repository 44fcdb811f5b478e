"""Turn a byte stream, read in arbitrary chunks, into decoded lines for the parser.

The user sees pip's bytes untouched; this is only the parser's copy. A line ends at ``\\n``,
``\\r\\n`` or a bare ``\\r`` (a progress bar redrawing itself), wherever the read boundaries fall.
Memory stays bounded: a line longer than ``max_line`` characters is cut, the rest dropped.
"""

from __future__ import annotations

import codecs

#: Longest line the parser is given; pip's diagnostics are far shorter, compiler noise may not be.
MAX_LINE_CHARS = 16 * 1024


class LineDecoder:
    """Incremental bytes -> lines, for one stream."""

    def __init__(self, encoding: str = "utf-8", max_line: int = MAX_LINE_CHARS) -> None:
        # errors="replace": invalid UTF-8 must neither crash nor stall the reading.
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._max_line = max_line
        self._partial = ""  # text of the current, unfinished line (at most max_line chars)
        self._pending_cr = False  # the last chunk ended in "\r": it may be half of "\r\n"

    def feed(self, data: bytes) -> list[str]:
        """Decode one chunk and return the lines it completes."""
        return self._split(self._decoder.decode(data))

    def finish(self) -> list[str]:
        """Flush the end of the stream: the last line may have no newline."""
        lines = self._split(self._decoder.decode(b"", final=True))
        self._pending_cr = False
        if self._partial:
            lines.append(self._partial)
            self._partial = ""
        return lines

    def _split(self, text: str) -> list[str]:
        if not text:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if text[0] == "\n":
                text = text[1:]  # the "\n" of a "\r\n" split across two reads
        if text.endswith("\r"):
            self._pending_cr = True
            text = text[:-1] + "\n"
        pieces = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        last = pieces.pop()  # after the last newline: the start of the next line
        lines: list[str] = []
        if pieces:
            lines.append(self._clip(self._partial + pieces[0]))
            lines.extend(self._clip(piece) for piece in pieces[1:])
            self._partial = ""
        self._partial = self._clip(self._partial + last)
        return lines

    def _clip(self, line: str) -> str:
        return line if len(line) <= self._max_line else line[: self._max_line]
