"""Turn a byte stream, read in arbitrary chunks, into decoded lines for the parser.

The user sees pip's bytes untouched; this is only the parser's copy. A line ends at ``\\n``,
``\\r\\n`` or a bare ``\\r`` (a progress bar redrawing itself), wherever the read boundaries fall.
Memory stays bounded: a line that runs across reads is cut at ``max_line`` characters, the rest
dropped; a line within one read is never longer than that read.
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
        ends_in_cr = text.endswith("\r")
        if ends_in_cr:
            text = text[:-1]
        if "\r" in text:  # a scan in C; the two replaces cost more when there is nothing to do
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if ends_in_cr:
            # Added after the replaces, so that it cannot pair with a "\r" before it.
            self._pending_cr = True
            text += "\n"
        pieces = text.split("\n")
        last = pieces.pop()  # after the last newline: the start of the next line
        if pieces:
            # Only a line that spans reads can grow without bound; one within a read is no
            # longer than the read itself, so it is left whole (a per-line check costs time).
            pieces[0] = self._clip(self._partial + pieces[0])
            self._partial = ""
        self._partial = self._clip(self._partial + last)
        return pieces

    def _clip(self, line: str) -> str:
        return line if len(line) <= self._max_line else line[: self._max_line]
