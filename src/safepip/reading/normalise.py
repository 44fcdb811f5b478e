"""Normalising a line of pip's output to the text a person would read.

pip's lines reach the reader as they were printed: with ANSI escapes (colours, the spinner's
cursor moves), a CI service's timestamp before them, backspaces and carriage returns from a
spinner redrawing itself. :func:`normalise` removes all of that, and nothing else.
"""

from __future__ import annotations

import re

#: CSI sequences (colours, cursor moves such as pip's spinner ``ESC[?25l``), OSC sequences
#: (terminal titles, hyperlinks) and the two-character escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")

#: A timestamp that a CI service or a log file put before pip's own text: GitHub Actions and
#: Azure (``2024-05-01T12:34:56.1234567Z``), GitLab (the same, then ``00O``/``01E+``), Jenkins
#: timestamper (``[2024-05-01T12:34:56.789Z]``), pip's ``--log`` (``2024-05-01T12:34:56,123``),
#: and bare ``12:34:56``.
_TIMESTAMP = re.compile(
    r"\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?\]?"
    r"(?: \d\d[OE]\+?)?[ \t]?"
    r"|\[?\d\d:\d\d:\d\d(?:[.,]\d+)?\]?[ \t]"
)


def _apply_backspaces(line: str) -> str:
    # pip's interactive spinner writes "- \b\\ \b| \bdone": replay it as a terminal would.
    out: list[str] = []
    for char in line:
        if char == "\b":
            if out:
                out.pop()
        else:
            out.append(char)
    return "".join(out)


def normalise(line: str) -> str:
    """The text a person would read: no ANSI escapes, CI timestamp, backspaces or ``\\r``."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if "\r" in line:
        # A carriage return redraws the line: what remains visible is what follows the last one.
        line = line.rstrip("\r")
        line = line[line.rfind("\r") + 1 :]
    if "\b" in line:
        line = _apply_backspaces(line)
    if line[:1].isdigit() or line[:1] == "[":
        match = _TIMESTAMP.match(line)
        if match:
            line = line[match.end() :]
            if "\x1b" in line:  # GitLab puts colour codes after its timestamp
                line = _ANSI.sub("", line)
    return line
