"""Everything a session tells the user, in one place: the session calls a :class:`Reporter` with
values, and the reporter words them.

:class:`TerminalReporter` writes safepip's ``safepip: ...`` lines to stderr (after pip's own
output, which stays unchanged), asks for consent there, and at the end hands the session's record
to its consumers: the GitHub Actions annotations and step summary, and the ``--report`` JSON.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Literal, Protocol, TypeVar

from safepip.deciding import consent
from safepip.deciding.remedies import Remedy
from safepip.errors import say
from safepip.memory import Entry
from safepip.reading.findings import BuildFailure
from safepip.reading.verbosity import pip_verbosity
from safepip.redaction import redact_argv
from safepip.reporting import github, text
from safepip.reporting.records import SessionRecord
from safepip.visible import shown


def _write(lines: str) -> None:
    """safepip's own lines that are not one ``say``: explanations quoting pip's output, the diff,
    the command to run. Like ``say``'s, masked and with control characters made visible: they
    quote what a build printed."""
    sys.stderr.write(shown(lines, lines=True))
    sys.stderr.flush()


class Reporter(Protocol):
    """What a session says, as events with values; an implementation chooses the words."""

    def before_pip(self, failures: Sequence[BuildFailure]) -> None: ...
    def explained(self, failure: BuildFailure, advice: str | None) -> None: ...
    def proposed(self, remedy: Remedy) -> None: ...
    def preview(self, remedy: Remedy, preview: str) -> None: ...
    def alternatives(self, remedies: Sequence[Remedy]) -> None: ...
    def ask(self, *, before_pip: bool) -> bool: ...
    def preapproved(self) -> None: ...
    def explain_only(self) -> None: ...
    def dry_run(self, *, before_pip: bool) -> None: ...
    def trying_alternatives(self, remedies: Sequence[Remedy]) -> None: ...
    def fix_failed(self, error: Exception) -> None: ...
    def cannot_prepare(self, error: Exception) -> None: ...
    def running_again(self, args: Sequence[str], pip_constraint: str | None) -> None: ...
    def stopping(self, rounds: int) -> None: ...
    def transcript_not_kept(self, error: OSError) -> None: ...
    def wheels_unused(self, projects: Sequence[str]) -> None: ...
    def pip_killed(self, signal_name: str) -> None: ...
    def output_unreadable(self, reason: str) -> None: ...
    def not_installed(self, name: str) -> None: ...
    def already_changed(self, path: str) -> None: ...
    def rebased(self, path: str) -> None: ...
    def patched_build_failed(self, sdist_name: str) -> None: ...
    def fetching(self, sdist: str, index: str) -> None: ...
    def reused(self, entries: Sequence[Entry]) -> None: ...
    def remembered(self, lines: Sequence[str]) -> None: ...
    def finished(self, record: SessionRecord) -> None: ...


#: pip's levels, for safepip's own lines (docs/usage.md, "Quiet and verbose"): a line shows when
#: pip's verbosity is at least its level's, as pip's own lines do (``-q`` hides INFO, ``-qq``
#: WARNING too, ``-qqq`` ERROR too). What consent rests on (the proposed fix, its preview, the
#: question) has no level: it always shows.
Level = Literal["info", "warning", "error"]
_LOWEST_VERBOSITY: dict[Level, int] = {"info": 0, "warning": -1, "error": -2}

_Method = TypeVar("_Method", bound=Callable[..., None])


def _at(level: Level) -> Callable[[_Method], _Method]:
    """The reporter method says nothing when pip's verbosity hides ``level``."""

    def wrap(method: _Method) -> _Method:
        @functools.wraps(method)
        def filtered(self: TerminalReporter, *args: object, **kwargs: object) -> None:
            if self.shows(level):
                method(self, *args, **kwargs)

        return filtered  # type: ignore[return-value]

    return wrap


class TerminalReporter:
    """safepip's lines on stderr, the consent question there, and the record's consumers."""

    def __init__(
        self, pip_args: Sequence[str], report: str | None, *, verbosity: int | None = None
    ) -> None:
        self._pip_args = list(pip_args)
        self._report = report
        #: pip's -v/-q count (its environment's too), unless given.
        self._verbosity = pip_verbosity(pip_args, os.environ) if verbosity is None else verbosity

    def shows(self, level: Level) -> bool:
        """Whether a line of ``level`` is shown at this run's verbosity."""
        return self._verbosity >= _LOWEST_VERBOSITY[level]

    def _fix_command(self) -> str:
        own = ["--report", self._report] if self._report else []
        return consent.fix_command("safepip", own, redact_argv(self._pip_args))

    @_at("error")
    def before_pip(self, failures: Sequence[BuildFailure]) -> None:
        for failure in failures:
            say(f"before running pip: {failure.explanation}")

    def explained(self, failure: BuildFailure, advice: str | None) -> None:
        if not self.shows("error"):
            return
        explanation = text.render_failure(failure, advice)
        if not self.shows("warning"):
            explanation = explanation.split("\n", 1)[0]  # -qq: what failed; why is a detail
        _write("\n" + text.prefixed(explanation) + "\n")

    def proposed(self, remedy: Remedy) -> None:
        say(f"proposed fix: {remedy.summary}")
        if remedy.caveat:
            say(f"note: {remedy.caveat}")

    def preview(self, remedy: Remedy, preview: str) -> None:
        """What the user sees before saying yes (the action's preview): the diff, or what gets
        installed where."""
        del remedy  # the preview says it
        if preview:
            _write(preview if preview.endswith("\n") else preview + "\n")

    def alternatives(self, remedies: Sequence[Remedy]) -> None:
        for alternative in remedies:
            say(f"alternative (not applied): {alternative.summary}")

    def ask(self, *, before_pip: bool) -> bool:
        if before_pip:
            return consent.ask("safepip: apply this fix, then run pip?")
        return consent.ask("safepip: apply this fix and run the command again?")

    @_at("warning")
    def preapproved(self) -> None:
        say("applying it without asking: your configuration asks for it")

    @_at("warning")
    def explain_only(self) -> None:
        say("nothing was changed. To apply this fix, run:")
        _write("  " + self._fix_command() + "\n")

    @_at("warning")
    def dry_run(self, *, before_pip: bool) -> None:
        when = " before running pip" if before_pip else " and run pip again"
        say(f"--dry-run: nothing changed; without --dry-run safepip would apply this fix{when}")

    @_at("info")
    def trying_alternatives(self, remedies: Sequence[Remedy]) -> None:
        for remedy in remedies:
            say(f"trying the alternative listed before: {remedy.summary}")

    @_at("error")
    def fix_failed(self, error: Exception) -> None:
        # The fix could not be made (a read-only file...): why; pip's status stands.
        say(f"error: {error}")

    @_at("error")
    def cannot_prepare(self, error: Exception) -> None:
        say(f"cannot prepare this change: {error}")

    @_at("info")
    def running_again(self, args: Sequence[str], pip_constraint: str | None) -> None:
        extra = f" (PIP_CONSTRAINT={pip_constraint})" if pip_constraint else ""
        say("running pip again: " + " ".join(redact_argv(args)) + extra)

    @_at("warning")
    def stopping(self, rounds: int) -> None:
        say(f"stopping after {rounds} rounds of fixes")

    @_at("warning")
    def transcript_not_kept(self, error: OSError) -> None:
        say(f"could not keep the transcript of this run: {error}")

    @_at("warning")
    def wheels_unused(self, projects: Sequence[str]) -> None:
        say("pip did not use the wheel built from the patched copy of " + ", ".join(projects))

    @_at("info")
    def reused(self, entries: Sequence[Entry]) -> None:
        for entry in entries:
            say(f"reused the remembered fixed wheel of {entry.describe()}")

    @_at("info")
    def remembered(self, lines: Sequence[str]) -> None:
        for line in lines:
            say(line)

    @_at("error")
    def pip_killed(self, signal_name: str) -> None:
        say(f"pip was killed by {signal_name}; nothing more is run")

    @_at("warning")
    def output_unreadable(self, reason: str) -> None:
        say(f"could not read pip's output ({reason})")

    @_at("warning")
    def not_installed(self, name: str) -> None:
        say(f"{name} is not installed in the target environment: building against any {name}")

    @_at("warning")
    def already_changed(self, path: str) -> None:
        say(f"{path} already has this change (made meanwhile, by another run)")

    @_at("warning")
    def rebased(self, path: str) -> None:
        say(f"{path} changed while safepip was waiting: the same change was made to it")

    @_at("warning")
    def patched_build_failed(self, sdist_name: str) -> None:
        say(f"building a wheel from the patched copy of {sdist_name} failed: reading why")

    @_at("info")
    def fetching(self, sdist: str, index: str) -> None:
        say(f"fetching {sdist} from {index} (not built: only unpacked)")

    def finished(self, record: SessionRecord) -> None:
        # A fix that did not finish the install: what failed next, and a change to the user's
        # files is theirs to keep or undo (issue 19).
        unfinished = bool(record.fixed) and record.exit_status not in (0, None)
        if unfinished and self.shows("warning"):
            what = f": pip failed next on {record.failed_on}" if record.failed_on else ""
            say(f"the fix did not finish the install{what}")
        if record.changed_files and self.shows("warning"):
            say("changed " + "; ".join(changed.describe() for changed in record.changed_files))
            undo = [hint for hint in (f.undo() for f in record.changed_files) if hint]
            if unfinished and undo:
                say("to undo the change: " + "; ".join(undo))
        self._annotate(record)
        if self._report:
            write_report(self._report, record)

    def _annotate(self, record: SessionRecord) -> None:
        if not github.active(os.environ):
            return
        rows = [
            github.Row(
                item.failure.to_json(),
                item.remedy.summary if item.remedy else None,
                item.remedy is not None and item.remedy.key in record.fixed,
                changed_file=item.remedy.action.changed_file if item.remedy is not None else None,
            )
            for item in record.explained
        ]
        github.emit(
            sys.stderr,  # with safepip's other lines: stdout is pip's (`--report - | jq`)
            os.environ,
            pip_args=self._pip_args,
            rows=rows,
            exit_status=record.exit_status,
            fix_command=self._fix_command(),
        )


def write_report(path: str, record: SessionRecord) -> None:
    """The ``--report`` JSON; a report that cannot be written is one line, never an error."""
    try:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(record.to_json(), handle, indent=2)
            handle.write("\n")
    except OSError as exc:
        say(f"could not write the report {path}: {exc.strerror or exc}")
