"""What every rule is: a reader of the lines that start with one of its prefixes."""

from __future__ import annotations

import re
from typing import ClassVar

from safepip.reading.recorder import StepRecorder


class Rule:
    """A rule reads the lines that start with one of its ``prefixes`` (after indentation).

    It only records facts, through the :class:`~safepip.reading.recorder.StepRecorder` it is
    given: a package, a step, a clue, a failure signal. Its docstring quotes the real pip lines
    it reads.
    """

    prefixes: ClassVar[tuple[str, ...]] = ()

    def apply(self, recorder: StepRecorder, text: str) -> None:
        raise NotImplementedError


_QUOTED = re.compile(r"'([^']+)'")


def quoted(text: str) -> str | None:
    """The first single-quoted word of ``text``."""
    match = _QUOTED.search(text)
    return match.group(1) if match else None
