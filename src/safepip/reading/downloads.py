"""Which sdist pip fetched for each project: what a patched-sdist fix needs for an index package.

pip logs ``Downloading foo-1.0.tar.gz (12 kB)`` for files on PyPI, the whole URL for other
indexes (``Downloading https://host/packages/foo-1.0.tar.gz (12 kB)``), and ``Using cached ...``
when its HTTP cache had it. (``-q`` hides these lines; the fix then falls back to another way.)

Only pip's own lines count: at pip's indentation under ``Collecting ...`` (two spaces), and
never inside a build's output, which prints anything it likes: the captured output pip shows
when a build fails (``[N lines of output]`` ... ``[end of output]``, pip 21's ``Command errored
out`` block, indented further) and a build's output streamed under ``-v`` (``Running command
...`` until pip's next line of its own).
"""

from __future__ import annotations

from safepip.names import canonical_name, sdist_project
from safepip.reading.normalise import normalise

_PREFIXES = ("  Downloading ", "  Using cached ")


class DownloadsReader:
    """A line consumer: project name (normalised) -> the sdist file name or URL pip fetched."""

    def __init__(self) -> None:
        self.sdists: dict[str, str] = {}
        #: Inside a subprocess's captured output (blocks nest), or its streamed output (-v).
        self._depth = 0
        self._streaming = False

    def feed_line(self, stream: str, line: str) -> None:
        del stream  # pip says it on either
        text = normalise(line).rstrip()
        stripped = text.lstrip()
        if stripped.endswith(" lines of output]"):
            self._depth += 1
            return
        if stripped.endswith("[end of output]"):
            self._depth = max(self._depth - 1, 0)
            return
        if stripped.startswith("Running command "):
            self._streaming = True
            return
        if self._streaming and (": finished with status " in text or text[:1].isalpha()):
            self._streaming = False  # pip's own line again (a step's end, or a top-level line)
        if self._depth or self._streaming or not text.startswith(_PREFIXES):
            return
        words = stripped.split(" ", 2)
        if len(words) < 2:
            return
        location = words[1] if words[0] == "Downloading" else words[2].split(" ", 1)[0]
        filename = location.rsplit("/", 1)[-1].split("#", 1)[0]
        project = sdist_project(filename)
        if project is not None:
            self.sdists[canonical_name(project)] = location
        if len(self.sdists) > 1000:  # a long requirements file: keep memory bounded
            self.sdists.pop(next(iter(self.sdists)))
