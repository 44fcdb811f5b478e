"""Which sdist pip fetched for each project, and which wheels it built: what a patched-sdist fix
needs for an index package, and what a fix made by a build constraint leaves to remember.

pip logs ``Downloading foo-1.0.tar.gz (12 kB)`` for files on PyPI, the whole URL for other
indexes (``Downloading https://host/packages/foo-1.0.tar.gz (12 kB)``), and ``Using cached ...``
when its HTTP cache had it. (``-q`` hides these lines; the fix then falls back to another way.)

pip logs each wheel it built (pip 20 to 26, unchanged)::

      Created wheel for foo: filename=foo-1.0-py3-none-any.whl size=989 sha256=1b73...
      Stored in directory: /home/me/.cache/pip/wheels/0e/fa/49/4119...

Only pip's own lines count: at pip's indentation under ``Collecting ...`` (two spaces), and
never inside a build's output, which prints anything it likes: the captured output pip shows
when a build fails (``[N lines of output]`` ... ``[end of output]``, pip 21's ``Command errored
out`` block, indented further) and a build's output streamed under ``-v`` (``Running command
...`` until pip's next line of its own).
"""

from __future__ import annotations

import os

from safepip.names import canonical_name, sdist_project
from safepip.reading.normalise import normalise

_PREFIXES = ("  Downloading ", "  Using cached ")
_CREATED = "  Created wheel for "
_STORED = "  Stored in directory: "
#: Bounds what is kept of a long requirements file.
_LIMIT = 1000


class DownloadsReader:
    """A line consumer: project name (normalised) -> the sdist file name or URL pip fetched
    (``sdists``), and -> the wheel pip built for it, as (its path, the sha256 pip gave)
    (``built``)."""

    def __init__(self) -> None:
        self.sdists: dict[str, str] = {}
        self.built: dict[str, tuple[str, str]] = {}
        #: The wheel of the last "Created wheel" line, until pip says where it stored it.
        self._created: tuple[str, str, str] | None = None
        #: Inside a subprocess's captured output (blocks nest), or its streamed output (-v).
        self._depth = 0
        self._streaming = False

    def feed_line(self, stream: str, line: str) -> None:
        del stream  # pip says it on either
        text = normalise(line).rstrip()
        if not self._own(text):
            return
        if text.startswith((_CREATED, _STORED)):
            self._read_built(text)
            return
        self._created = None
        if text.startswith(_PREFIXES):
            self._read_fetched(text.lstrip())

    def _own(self, text: str) -> bool:
        """Whether ``text`` is pip's own line, not a build's (captured or streamed)."""
        stripped = text.lstrip()
        if stripped.endswith(" lines of output]"):
            self._depth += 1
            return False
        if stripped.endswith("[end of output]"):
            self._depth = max(self._depth - 1, 0)
            return False
        if stripped.startswith("Running command "):
            self._streaming = True
            return False
        if self._streaming and (": finished with status " in text or text[:1].isalpha()):
            self._streaming = False  # pip's own line again (a step's end, or a top-level line)
        return not (self._depth or self._streaming)

    def _read_fetched(self, stripped: str) -> None:
        words = stripped.split(" ", 2)
        if len(words) < 2:
            return
        location = words[1] if words[0] == "Downloading" else words[2].split(" ", 1)[0]
        filename = location.rsplit("/", 1)[-1].split("#", 1)[0]
        project = sdist_project(filename)
        if project is not None:
            self.sdists[canonical_name(project)] = location
        if len(self.sdists) > _LIMIT:  # a long requirements file: keep memory bounded
            self.sdists.pop(next(iter(self.sdists)))

    def _read_built(self, text: str) -> None:
        if text.startswith(_STORED):
            if self._created is not None:
                project, filename, sha256 = self._created
                folder = text[len(_STORED) :]
                self.built[project] = (os.path.join(folder, filename), sha256)
                if len(self.built) > _LIMIT:
                    self.built.pop(next(iter(self.built)))
            self._created = None
            return
        # The project, then filename=, size= and sha256= fields.
        project, _, rest = text[len(_CREATED) :].partition(": ")
        fields = dict(word.split("=", 1) for word in rest.split() if "=" in word)
        filename, sha256 = fields.get("filename", ""), fields.get("sha256", "")
        if filename.endswith(".whl") and "/" not in filename and len(sha256) == 64:
            self._created = (canonical_name(project), filename, sha256)
        else:
            self._created = None
