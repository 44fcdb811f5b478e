"""pip's output for a build whose "Getting requirements to build wheel" hook failed, as pip 26.3
prints it to a pipe (tests/logs/pip26.3-*.log), with the requirement line, the build's own lines
and pip's last line chosen by the test. The text may carry ``str.format`` fields of the test's
own (``{clue}``): they are left as they are."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["TRACEBACK", "get_requires_failed"]

#: The first line of a build's traceback, as pip shows it in the output block.
TRACEBACK = "      Traceback (most recent call last):"

_TEMPLATE = """\
FIRST
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'error'
  error: subprocess-exited-with-error

  × Getting requirements to build wheel did not run successfully.
  │ exit code: 1
  ╰─> [COUNT lines of output]
OUTPUT
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
LAST
"""


def get_requires_failed(
    first: str, output: Sequence[str], last: str, *, count: int | None = None
) -> str:
    """``first``: pip's line for the requirement (``Processing ./proj``, or ``Collecting`` and
    ``Downloading``); ``output``: the build's lines as pip shows them (indented six spaces);
    ``last``: pip's last line; ``count``: what pip says the output's length is (the lines
    given)."""
    return (
        _TEMPLATE.replace("FIRST", first)
        .replace("COUNT", str(len(output) if count is None else count))
        .replace("OUTPUT", "\n".join(output))
        .replace("LAST", last)
    )
