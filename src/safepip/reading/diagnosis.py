"""Recognise the build failures pip only reports: which build failed, and why.

The reader is streaming and bounded: it keeps the package pip is working on, the build step it is
in and the clues seen since that step began, never the lines themselves. Each line is normalised
(:mod:`~safepip.reading.normalise`: ANSI escapes, CI timestamps, spinner backspaces and carriage
returns removed), stripped of its indentation, and then offered only to the rules whose prefix it
starts with (:mod:`~safepip.reading.rules`): a line of compiler noise costs one ``lstrip``, one
slice and one dictionary miss.

A rule only records facts (a package, a step, a clue, a failure signal) in the
:class:`~safepip.reading.recorder.StepRecorder`; when a step ends, the judging
(:mod:`~safepip.reading.judging`) turns its facts into findings, and :meth:`Diagnosis.failures`
completes them from the command line and the project's files. A step that did not fail yields
nothing, and a failed step whose clues do not prove one of the kinds yields nothing either: a
false alarm costs more than a miss.
"""

from __future__ import annotations

from safepip.knowledge import NO_USER_PROVIDERS, UserProviders
from safepip.reading.findings import BuildFailure
from safepip.reading.judging import CommandContext, ProjectFiles, complete, judge_step
from safepip.reading.normalise import normalise
from safepip.reading.projects import DiskProjectFiles
from safepip.reading.recorder import KEY, StepRecorder
from safepip.reading.rules import BLOCK_TABLE, TABLE
from safepip.reading.steps import Step

__all__ = ["Diagnosis", "normalise"]

#: The first characters of a line whose text a colour code or a CI timestamp may hide.
_SLOW_STARTS = frozenset("\x1b0123456789")


def _key(failure: BuildFailure) -> tuple[str | None, str, str | None]:
    return (failure.package, failure.kind, failure.module or failure.requirement)


class Diagnosis:
    """A :class:`~safepip.reading.consumer.LineConsumer` that finds build failures.

    ``files`` is how a local project's files are read (the disk unless told otherwise);
    ``providers`` the user's ``[mapping]`` (``Config.providers()``), consulted before the curated
    table when a build lacks a module.
    """

    def __init__(
        self,
        files: ProjectFiles | None = None,
        providers: UserProviders = NO_USER_PROVIDERS,
    ) -> None:
        self._recorder = StepRecorder(TABLE, BLOCK_TABLE, self._step_closed)
        self._files: ProjectFiles = files if files is not None else DiskProjectFiles()
        self._providers = providers
        self._context: CommandContext | None = None
        self._found: list[BuildFailure] = []
        self._seen: set[tuple[str | None, str, str | None]] = set()

    def feed_line(self, stream: str, line: str) -> None:
        """Read one line of pip's output (``stream`` is "stdout", "stderr" or "terminal")."""
        if "\x1b" in line or "\r" in line or "\b" in line or line[:1].isdigit():
            line = normalise(line)
        text = line.lstrip()
        recorder = self._recorder
        entries = recorder.table.get(text[:KEY])
        if entries is not None:
            text = text.rstrip()
            for prefix, apply in entries:
                if text.startswith(prefix):
                    apply(recorder, text)

    def feed_lines(self, stream: str, lines: list[str]) -> None:
        """Read many lines: the same as :meth:`feed_line` for each, at a fraction of the cost.

        This is the path for long logs: a line that no rule can want costs one ``lstrip``, one
        slice, one dictionary miss and one set look-up. Lines are expected as LineDecoder gives
        them, already split at every ``\r``. (A regular expression over the whole batch was
        tried instead: Python's engine made it two to four times slower.)
        """
        recorder = self._recorder
        table = recorder.table
        slow_starts = _SLOW_STARTS
        for line, text in zip(lines, map(str.lstrip, lines)):
            entries = table.get(text[:KEY])
            if entries is None:
                if text[:1] in slow_starts:  # a colour code or a CI timestamp hides the text
                    self.feed_line(stream, line)
                    table = recorder.table
                continue
            if "\x1b" in text or "\b" in text or "\r" in text:
                self.feed_line(stream, line)
            else:
                for prefix, apply in entries:
                    if text.startswith(prefix):
                        apply(recorder, text.rstrip())
            table = recorder.table

    def set_context(self, pip_args: list[str], cwd: str) -> None:
        """The command line pip was given: lets a live run name the project pip did not name."""
        self._context = CommandContext(list(pip_args), cwd)
        self._recorder.no_isolation = self._context.no_isolation

    def failures(self) -> list[BuildFailure]:
        """Every build failure found so far, including one whose output is still being read."""
        found = list(self._found)
        step = self._recorder.step
        if step is not None:
            isolated = self._recorder.isolation_of(step)
            found += [
                f for f in judge_step(step, isolated, self._providers) if _key(f) not in self._seen
            ]
        completed = [complete(failure, self._context, self._files) for failure in found]
        return [failure for failure in completed if failure is not None]

    def _step_closed(self, step: Step) -> None:
        for failure in judge_step(step, self._recorder.isolation_of(step), self._providers):
            if _key(failure) not in self._seen:
                self._seen.add(_key(failure))
                self._found.append(failure)
