"""Recognising a pip too old for the command: the one case where upgrading pip is the fix."""

from __future__ import annotations

from safepip.reading.findings import PIP_TOO_OLD, BuildFailure

#: pip 21.1 to 21.2 (and 19.x-20.x say the same with "setuptools-based build"):
#: ``(A "pyproject.toml" file was found, but editable mode currently requires a setup.py based
#: build.)`` after ``ERROR: File "setup.py" not found. Directory cannot be installed in editable
#: mode: /path/to/project``.
EDITABLE_NEEDS_SETUP_PY = "editable mode currently requires a setup"
DIRECTORY_NOT_EDITABLE = "Directory cannot be installed in editable mode: "


class OldPipReader:
    """A line consumer that notices pip refusing an editable install of a pyproject-only project."""

    def __init__(self) -> None:
        self.project: str | None = None
        self.evidence = ""
        self.found = False

    def feed_line(self, stream: str, line: str) -> None:
        if DIRECTORY_NOT_EDITABLE in line:
            self.project = line.split(DIRECTORY_NOT_EDITABLE, 1)[1].strip()
        elif EDITABLE_NEEDS_SETUP_PY in line:
            self.found = True
            self.evidence = line.strip()

    def failure(self) -> BuildFailure | None:
        if not self.found:
            return None
        return BuildFailure(
            kind=PIP_TOO_OLD,
            package=self.project,
            source="editable",
            distribution="pip",
            requirement="pip>=21.3",
            explanation=(
                "this pip can install a project in editable mode only through setup.py; "
                "pip 21.3 and newer can do it with any build backend (PEP 660)."
            ),
            evidence=self.evidence,
        )
