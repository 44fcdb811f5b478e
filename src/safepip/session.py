"""One pip command under safepip's watch: run it, explain a build failure, fix it with consent,
and run it again.

The loop only: what failed comes from reading/, the fixes from ``decide()``, the changes from
applying/, and every word the user sees from the injected :class:`Reporter`. The exit status is
always the last pip run's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from safepip.applying.environment import pip_prefix
from safepip.applying.fixer import Fixer, Runner
from safepip.applying.rerun import Rerun
from safepip.applying.reuse import Built, Offer, built_by_pip, lasting_lines, remember
from safepip.deciding.actions import BuildConstraint
from safepip.deciding.decide import attributable_module, attribute, decide
from safepip.deciding.gather import (
    gather_facts,
    installed_version,
    pip_version,
    providers_in_target,
)
from safepip.deciding.pipsettings import PipSettings, read_pip_settings
from safepip.deciding.remedies import Remedy
from safepip.errors import SafepipError
from safepip.fixmode import APPLY, EXPLAIN
from safepip.knowledge import NO_USER_PROVIDERS
from safepip.names import canonical_name, is_sdist, requirement_name, sdist_project
from safepip.options import Invocation, env_flag
from safepip.reading.command import PipCommand
from safepip.reading.consumer import Fanout
from safepip.reading.findings import BuildFailure
from safepip.reading.piprun import PipRun, read_pip_run
from safepip.reporting.records import ChangedFile, Explained, RunRecord, SessionRecord
from safepip.reporting.reporter import Reporter, TerminalReporter
from safepip.running import run_command
from safepip.running.relay import PipInterrupted
from safepip.target import TargetPython, raise_if_pip_missing
from safepip.transcripts import TranscriptRecorder

if TYPE_CHECKING:  # the protocol exists for mypy only (reading/consumer.py is on the fast path)
    from collections.abc import Sequence

    from safepip.config import Config, FixSetting
    from safepip.reading.consumer import LineConsumer

# The fixing machinery (the patcher with tomlkit and packaging, the sdist fetcher with urllib,
# the static check) is imported where a fix is prepared or made (applying/fixer.py's appliers,
# the pre-flight): a command that needs no fix, such as an install already satisfied, never
# loads it (about 150 ms; tests/test_startup.py).

#: At most this many rounds of fix-and-retry after the first run.
MAX_FIX_ROUNDS = 4


@dataclass
class _Consents:
    """What became of the fixes proposed so far."""

    #: Not to offer again: made, declined, or failed.
    tried: set[str] = field(default_factory=set)
    #: Alternatives the user saw with a fix they agreed to: the same consent covers them.
    agreed: set[str] = field(default_factory=set)
    #: The alternatives shown with each fix proposed, by its key.
    alternatives: dict[str, list[Remedy]] = field(default_factory=dict)


class Session:
    """Runs one pip command, and its retries, and keeps the record the report is made from."""

    def __init__(
        self,
        invocation: Invocation,
        target: TargetPython,
        cwd: str,
        config: Config | None = None,
        *,
        reporter: Reporter | None = None,
        runner: Runner = run_command,
        fix: FixSetting,
        offer: Offer | None = None,
    ) -> None:
        self._invocation = invocation
        #: The remembered fixed wheels offered to pip (building.py), if any.
        self._offer = offer
        #: The projects whose patched wheel the last run did not use (not remembered).
        self._unused: set[str] = set()
        #: The packages a build constraint was applied for (normalised): the constraints.
        self._capped: dict[str, list[str]] = {}
        #: The wheels pip built in its last run (reading/downloads.py).
        self._last_built: dict[str, tuple[str, str]] = {}
        self._target = target
        self._config = config
        #: The user's [mapping], for the diagnosis of every pip run.
        self._providers = config.providers() if config is not None else NO_USER_PROVIDERS
        self._command = PipCommand(invocation.pip_args, cwd)
        #: The fix mode, resolved once for the command (config.resolve_fix).
        self._fix = fix
        self._reporter: Reporter = reporter or TerminalReporter(
            invocation.pip_args, invocation.options.report
        )
        self._runner = runner
        self._record = SessionRecord(list(invocation.pip_args))
        self._consents = _Consents()
        #: The sdists pip fetched from indexes, by project (normalised).
        self._fetched: dict[str, str] = {}
        self._pip_version: tuple[int, ...] | None = None
        self._pip_settings: PipSettings | None = None
        self._rerun = Rerun(
            invocation.pip_args,
            cwd=cwd,
            user_unisolated=self._command.no_build_isolation,
            pip_version=self._target_pip_version,
            user_constraints=self._user_constraints,
        )
        self._fixer = Fixer(
            self._rerun,
            pip_prefix=lambda: pip_prefix(target.executable, invocation.pip_python),
            index_options=self._command.index_options(),
            hashes=self._command.hashes,
            pip_command=self._command.command,
            events=self._reporter,
            runner=runner,
            run_and_read=self._run_and_read,
            changed=lambda path, backup, in_git: self._record.changed_files.append(
                ChangedFile(path, backup, in_git)
            ),
        )

    @property
    def record(self) -> SessionRecord:
        return self._record

    def run(self, *, preflight: bool = True) -> int:
        """Run the command, fix and run it again as agreed; the last pip run's status."""
        status = None
        try:
            status = self._loop(preflight=preflight)
            return status
        finally:
            if status == 0:
                self._remember()
            self._rerun.cleanup()
            if self._invocation.options.report:
                # Asked of a pip program only when needed (it costs a process).
                self._record.python = self._target.executable
            self._reporter.finished(self._record)

    def _remember(self) -> None:
        """Keep the wheels built from patched copies, now that the command succeeded with them;
        and say which remembered ones pip used."""
        if self._offer is not None and self._offer.seen:
            self._reporter.reused(self._offer.seen)
            self._record.reused = [entry.to_json() for entry in self._offer.seen]
        built = [
            self._with_caps(item)
            for item in self._fixer.built
            if item.distribution not in self._unused
        ]
        patched = {item.distribution for item in built}
        built += [
            item for item in self._built_under_constraints() if item.distribution not in patched
        ]
        if not built:
            return  # (under --dry-run nothing is built)
        configured = self._config.memory if self._config is not None else None
        lines = remember(os.environ, built, configured=configured, pip_args=self._command.arguments)
        self._reporter.remembered([*lines, *lasting_lines(built, os.environ)])

    def _with_caps(self, item: Built) -> Built:
        """A patched copy's wheel, built under the build constraints applied for its package
        too (toprammer 0.19: "setuptools<82", then "pyusb" in its requires): the fix is both."""
        caps = [
            cap for cap in self._capped.get(item.distribution, []) if cap not in item.constraints
        ]
        if not caps:
            return item
        words = "; ".join(f'the build constraint "{cap}"' for cap in caps)
        return replace(item, fix=f"{item.fix}; {words}", constraints=(*item.constraints, *caps))

    def _built_under_constraints(self) -> list[Built]:
        """The wheels pip built, in the run that succeeded, for the packages a build constraint
        was applied for (nothing patched: pip's own build, which its output names)."""
        found = []
        for project, constraints in self._capped.items():
            fix = "; ".join(f'the build constraint "{constraint}"' for constraint in constraints)
            item = built_by_pip(
                project,
                self._last_built.get(project),
                fix=fix,
                kind=BuildConstraint.kind,
                pip_args=self._command.pip_args,
                cwd=self._command.cwd,
                fetched=self._fetched,
                environ=os.environ,
                prefix=self._target.prefix,
                constraints=constraints,
            )
            if item is not None:
                found.append(item)
        return found

    def _loop(self, *, preflight: bool) -> int:
        if preflight:
            self._preflight()
        status = 0
        for round_ in range(MAX_FIX_ROUNDS + 1):
            from_patched = bool(self._fixer.pending)
            if self._fixer.pending:
                # safepip's own patched build failed for a reason the diagnosis names: the
                # round starts from that, and the user's command runs once the build succeeds.
                failures, self._fixer.pending = self._fixer.pending, []
            else:
                run = self._run_pip()
                status, failures = run.status, run.failures
                if status == 0 or not failures:
                    return status
            remedies = self._choose(failures, from_patched=from_patched)
            if not remedies:
                return status
            if round_ == MAX_FIX_ROUNDS:
                self._reporter.stopping(MAX_FIX_ROUNDS)
                return status
            self._record.start_round(round_ + 1)
            if not self._consent_and_apply(remedies):
                return status
            if not self._fixer.pending:
                environ = self._rerun.env()
                constraint = environ["PIP_CONSTRAINT"] if environ else None
                self._reporter.running_again(self._rerun.args(), constraint)
        return status

    def _preflight(self) -> None:
        """Before pip runs: fix what a local project's [build-system] plainly gets wrong.

        Only with consent to ask or to apply: in CI (explain only) pip runs as it is and its
        failure is explained afterwards, so nothing is said twice.
        """
        if self._fix.mode == EXPLAIN or not self._command.local_projects:
            return
        if env_flag(os.environ, "SAFEPIP_PREFLIGHT") is False:
            return  # for measuring what the pre-flight saves, and for testing the fixes after pip
        from safepip.deciding.preflight import preflight_remedies

        remedies = preflight_remedies(self._command)
        if not remedies:
            return
        if self._settings().refusal is not None:
            return  # pip will not run this command: nothing changes; pip says why
        self._record.explained += [Explained(remedy.failure, remedy) for remedy in remedies]
        self._reporter.before_pip([remedy.failure for remedy in remedies])
        self._record.propose(remedies)
        if not self._consent_and_apply(remedies, before_pip=True):
            # Declined (or failed): not proposed again when pip then fails the same way.
            self._consents.tried.update(remedy.key for remedy in remedies)

    # --- running and reading pip -----------------------------------------------------------

    def _run_pip(self) -> PipRun:
        """Run the user's command (with the fixes so far) and read it."""
        args = self._rerun.args()
        recorder = TranscriptRecorder()  # creates nothing until pip prints
        pins = self._rerun.wheel_pins
        try:
            consumer: LineConsumer = recorder
            if self._offer is not None:
                consumer = Fanout(recorder, self._offer)
            run = self._run_and_read(args, recorder=consumer, wheel_pins=pins)
            if run.failures:
                metadata = {"pip_args": args, "exit_status": run.status}
                try:
                    recorder.keep(
                        {**metadata, "findings": len(run.failures), "cwd": self._command.cwd}
                    )
                except OSError as exc:  # a full disk must not change what pip's run means
                    self._reporter.transcript_not_kept(exc)
        finally:
            recorder.discard()  # removes the spool unless it was kept
        self._fetched.update(run.fetched)
        self._last_built = run.built
        unused = sorted(set(pins) - run.wheels_used) if run.status == 0 else []
        self._unused = set(unused)
        if unused:
            self._reporter.wheels_unused(unused)
        raise_if_pip_missing(run.status, run.short_output, self._target)
        if run.killed_by is not None:
            self._reporter.pip_killed(run.killed_by)  # its status stands
        elif run.unreadable is not None:
            self._reporter.output_unreadable(run.unreadable)
        return run

    def _run_and_read(
        self,
        args: list[str],
        *,
        purpose: str = "your command",
        prefix: Sequence[str] | None = None,
        cwd: str | None = None,
        recorder: LineConsumer | None = None,
        wheel_pins: dict[str, str] | None = None,
    ) -> PipRun:
        """Run pip (the user's, or ``prefix``) with ``args``, record the run, read what it
        printed: the one way pip runs, for the user's command and safepip's own builds alike."""
        argv = [*(prefix or self._target.pip_command()), *args]
        try:
            run = read_pip_run(
                lambda consumer: self._runner(argv, consumer, env=self._rerun.env()),
                args,
                cwd or self._command.cwd,
                wheel_pins=wheel_pins,
                recorder=recorder,
                providers=self._providers,
            )
        except PipInterrupted as interrupt:
            # Ctrl-C: the run is reported as it ended, and nothing more happens.
            self._record.add_run(RunRecord(args, interrupt.status, interrupted=True))
            raise
        self._record.add_run(RunRecord(args, run.status, purpose))
        # The last failure of any run (safepip's own build of a patched copy too): what failed next.
        self._record.failed_on = _failed_on(run)
        run.failures = [self._attributed(failure) for failure in run.failures]
        return run

    def _attributed(self, failure: BuildFailure) -> BuildFailure:
        """An import the curated table does not know: ask the target environment who provides it."""
        module = attributable_module(failure)
        if module is None:
            return failure
        providers = providers_in_target(self._target.executable, module)
        return attribute(failure, providers, self._target.executable)

    def _settings(self) -> PipSettings:
        """What the user's pip makes of the command (asked once, only before a change)."""
        if self._pip_settings is None:
            self._pip_settings = read_pip_settings(
                self._target.executable, self._invocation.pip_args, cwd=self._command.cwd
            )
        return self._pip_settings

    def _dry_run(self) -> bool:
        return "--dry-run" in self._command.arguments or self._settings().dry_run

    def _user_constraints(self) -> list[str]:
        """The constraint files the user's pip has from PIP_CONSTRAINT or its configuration."""
        settings = self._settings()
        if settings.error is not None:
            raise SafepipError(
                f"could not ask pip for the constraints it is configured with ({settings.error}),"
                " so they could not be kept beside the build constraint"
            )
        return list(settings.constraints)

    def _target_pip_version(self) -> tuple[int, ...]:
        if self._pip_version is None:
            self._pip_version = pip_version(self._target.pip_command())
        return self._pip_version

    # --- deciding and consent ---------------------------------------------------------------

    def _choose(self, failures: list[BuildFailure], *, from_patched: bool) -> list[Remedy]:
        """Explain each failure; return the first fix of each that has one not yet applied."""
        facts = gather_facts(
            failures,
            self._command,
            target_python=self._invocation.pip_python or self._target.executable,
            config=self._config,
            fetched=self._fetched,
            installed_version=self._installed_version,
            upload_time=self._upload_time,
        )
        tried = self._consents.tried
        chosen: list[Remedy] = []
        for decision in decide(failures, facts, tried=tried, from_patched=from_patched):
            options = list(decision.remedies)
            # With a fix to propose, the proposal below says what to do; without, the advice.
            self._reporter.explained(decision.failure, None if options else decision.fix)
            self._record.propose(options)
            self._record.explained.append(Explained(decision.failure, decision.best))
            if options and all(options[0].key != other.key for other in chosen):
                chosen.append(options[0])
                self._consents.alternatives[options[0].key] = options[1:]
        return chosen

    def _upload_time(self, project: str, location: str) -> str | None:
        """When the index uploaded the sdist pip fetched (the date fallback of a Cython compile
        failure); asked of the index only then."""
        from safepip.applying.fetch import upload_time

        prefix = pip_prefix(self._target.executable, self._invocation.pip_python)
        return upload_time(
            location, project, prefix, self._command.command, self._command.index_options()
        )

    def _installed_version(self, name: str) -> str | None:
        version = installed_version(self._target.executable, name)
        if version is None:
            self._reporter.not_installed(name)
        return version

    def _consent_and_apply(self, remedies: list[Remedy], *, before_pip: bool = False) -> bool:
        """Ask (or not, by mode) and apply; False when declined or a fix could not be made."""
        consents = self._consents
        try:
            if self._fix.mode != EXPLAIN and all(r.key in consents.agreed for r in remedies):
                self._reporter.trying_alternatives(remedies)
            elif not self._consent(remedies, before_pip=before_pip):
                return False
            self._fixer.start_round()
            for remedy in remedies:
                remedy.action.prepare(self._fixer)
            for remedy in remedies:
                consents.agreed.update(alt.key for alt in consents.alternatives.get(remedy.key, []))
                self._apply(remedy)
                self._record.fixed.add(remedy.key)
        except SafepipError as exc:
            self._reporter.fix_failed(exc)
            return False
        return True

    def _consent(self, remedies: list[Remedy], *, before_pip: bool) -> bool:
        for remedy in remedies:
            self._reporter.proposed(remedy)
            try:
                preview = remedy.action.preview(self._fixer)
            except SafepipError as exc:
                self._reporter.cannot_prepare(exc)
                raise
            self._reporter.preview(remedy, preview)
            self._reporter.alternatives(self._consents.alternatives.get(remedy.key, []))
        preapproved = all(remedy.preapproved for remedy in remedies) and not self._fix.refused
        if (self._fix.mode != EXPLAIN or preapproved) and self._dry_run():
            # pip changes nothing under --dry-run, and neither does safepip: it only explains.
            self._reporter.dry_run(before_pip=before_pip)
            return False
        if self._fix.mode == APPLY:
            return True
        if preapproved:
            # Even without a terminal: the user's configuration is the consent (not --no-fix).
            self._reporter.preapproved()
            return True
        if self._fix.mode == EXPLAIN:
            self._reporter.explain_only()
            return False
        return self._reporter.ask(before_pip=before_pip)

    def _apply(self, remedy: Remedy) -> None:
        self._consents.tried.add(remedy.key)
        self._record.applying(remedy)
        remedy.action.apply(self._fixer)
        package = _project_of(remedy.failure.package or "")
        if isinstance(remedy.action, BuildConstraint) and package:
            caps = self._capped.setdefault(canonical_name(package), [])
            if remedy.action.constraint not in caps:
                caps.append(remedy.action.constraint)
        self._record.made(remedy, remedy.action.applied_as(self._fixer))


def _project_of(package: str) -> str | None:
    """The project a failure's package names: ``foo``, ``foo==1.0``, ``./links/foo-1.0.tar.gz``."""
    return sdist_project(package) if is_sdist(package) else requirement_name(package)


#: What a run failed on is said in one line of at most this many characters.
_FAILED_ON_LIMIT = 160


def _failed_on(run: PipRun) -> str | None:
    """What a failed run failed on, in a line: the diagnosis's evidence, or pip's own words."""
    if run.status == 0:
        return None
    what = run.failures[0].evidence if run.failures else run.error_line
    if not what:
        return None
    what = " ".join(what.split())
    return what if len(what) <= _FAILED_ON_LIMIT else what[: _FAILED_ON_LIMIT - 3] + "..."


def run_session(
    invocation: Invocation,
    target: TargetPython,
    config: Config | None,
    fix: FixSetting,
    *,
    runner: Runner = run_command,
    preflight: bool = True,
    offer: Offer | None = None,
) -> int:
    """Run a building pip command (install, wheel, download) under safepip's watch, its fix
    mode ``fix`` resolved from the options and ``config`` (``config.resolve_fix``); ``runner``
    runs pip (safepip/building.py's replays a first run that already happened, and then there
    is no ``preflight``)."""
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        raise SafepipError("the current folder no longer exists") from None
    session = Session(invocation, target, cwd, config, fix=fix, runner=runner, offer=offer)
    return session.run(preflight=preflight)
