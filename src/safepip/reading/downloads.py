"""Which sdist pip fetched for each project: what a patched-sdist fix needs for an index package.

pip logs ``Downloading foo-1.0.tar.gz (12 kB)`` for files on PyPI, the whole URL for other
indexes (``Downloading https://host/packages/foo-1.0.tar.gz (12 kB)``), and ``Using cached ...``
when its HTTP cache had it. (``-q`` hides these lines; the fix then falls back to another way.)
"""

from __future__ import annotations

from safepip.names import canonical_name, sdist_project

_PREFIXES = ("Downloading ", "Using cached ")


class DownloadsReader:
    """A line consumer: project name (normalised) -> the sdist file name or URL pip fetched."""

    def __init__(self) -> None:
        self.sdists: dict[str, str] = {}

    def feed_line(self, stream: str, line: str) -> None:
        text = line.strip()
        if not text.startswith(_PREFIXES):
            return
        words = text.split(" ", 2)
        if len(words) < 2:
            return
        location = words[1] if words[0] == "Downloading" else words[2].split(" ", 1)[0]
        filename = location.rsplit("/", 1)[-1].split("#", 1)[0]
        project = sdist_project(filename)
        if project is not None:
            self.sdists[canonical_name(project)] = location
        if len(self.sdists) > 1000:  # a long requirements file: keep memory bounded
            self.sdists.pop(next(iter(self.sdists)))
