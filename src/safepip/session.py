"""One pip command under safepip's watch: run it, explain a build failure, fix it with consent,
and run it again.

The loop only: what failed comes from reading/, the fixes from ``decide()``, the changes from
applying/, and every word the user sees from the injected :class:`Reporter`. The exit status is
always the last pip run's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from safepip.applying.environment import install_requirements, pip_prefix
from safepip.applying.rerun import Rerun
from safepip.deciding.decide import attributable_module, attribute, decide
from safepip.deciding.gather import (
    gather_facts,
    installed_version,
    pip_version,
    providers_in_target,
)
from safepip.deciding.remedies import (
    BUILD_CONSTRAINT,
    INSTALL_BUILD_DEPENDENCY,
    INSTALL_WITHOUT_ISOLATION,
    PATCH_PYPROJECT,
    PATCHED_SDIST,
    UPGRADE_PIP,
    Remedy,
)
from safepip.errors import SafepipError
from safepip.fixmode import APPLY, EXPLAIN
from safepip.knowledge import NO_USER_PROVIDERS
from safepip.names import canonical_name, sdist_project
from safepip.options import Invocation, env_flag
from safepip.reading.command import PipCommand
from safepip.reading.findings import BuildFailure
from safepip.reading.piprun import read_pip_run
from safepip.reporting.records import ChangedFile, Explained, RunRecord, SessionRecord
from safepip.reporting.reporter import Reporter, TerminalReporter
from safepip.running import run_command
from safepip.running.relay import PipInterrupted
from safepip.target import TargetPython, raise_if_pip_missing
from safepip.transcripts import TranscriptRecorder

if TYPE_CHECKING:  # the protocol exists for mypy only (reading/consumer.py is on the fast path)
    from safepip.applying.pyproject import PatchPlan
    from safepip.changes import Change
    from safepip.config import Config, FixSetting
    from safepip.reading.consumer import LineConsumer

# The fixing machinery (the patcher with tomlkit and packaging, the sdist fetcher with urllib,
# the static check) is imported where a fix is prepared or made: a command that needs no fix,
# such as an install already satisfied, never loads it (about 150 ms; tests/test_startup.py).

#: At most this many rounds of fix-and-retry after the first run.
MAX_FIX_ROUNDS = 4

#: Runs pip: (argv, the consumer of its lines, its environment) -> its exit status.
Runner = Callable[..., int]


@dataclass
class _Consents:
    """What became of the fixes proposed so far."""

    #: Not to offer again: made, declined, or failed.
    tried: set[str] = field(default_factory=set)
    #: Alternatives the user saw with a fix they agreed to: the same consent covers them.
    agreed: set[str] = field(default_factory=set)
    #: The alternatives shown with each fix proposed, by its key.
    alternatives: dict[str, list[Remedy]] = field(default_factory=dict)
    #: The change shown to the user for each pyproject.toml fix, by its key.
    plans: dict[str, PatchPlan] = field(default_factory=dict)


@dataclass
class _Sdists:
    """The sdists of packages that are not the user's, for patched-copy builds."""

    #: The sdists pip fetched from indexes, by project (normalised).
    fetched: dict[str, str] = field(default_factory=dict)
    #: Those fetched again by safepip (unbuilt), by the name pip printed.
    paths: dict[str, str] = field(default_factory=dict)
    #: The changes made so far to each patched sdist, all made again on a rebuild.
    changes: dict[str, list[Change]] = field(default_factory=dict)
    #: Sdists built in this round (several fixes for one sdist make one build).
    built: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class PipRun:
    """One run of the user's command: its status and the build failures read from it."""

    status: int
    failures: list[BuildFailure]


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
    ) -> None:
        self._invocation = invocation
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
        self._sdists = _Sdists()
        self._pip_version: tuple[int, ...] | None = None
        self._rerun = Rerun(
            invocation.pip_args,
            cwd=cwd,
            user_unisolated=self._command.no_build_isolation,
            pip_version=self._target_pip_version,
        )
        #: Failures of safepip's own patched build, diagnosed: the next round starts from them.
        self._pending: list[BuildFailure] = []

    @property
    def record(self) -> SessionRecord:
        return self._record

    def run(self) -> int:
        """Run the command, fix and run it again as agreed; the last pip run's status."""
        try:
            return self._loop()
        finally:
            self._rerun.cleanup()
            if self._invocation.options.report:
                # Asked of a pip program only when needed (it costs a process).
                self._record.python = self._target.executable
            self._reporter.finished(self._record)

    def _loop(self) -> int:
        self._preflight()
        status = 0
        for round_ in range(MAX_FIX_ROUNDS + 1):
            from_patched = bool(self._pending)
            if self._pending:
                # safepip's own patched build failed for a reason the diagnosis names: the
                # round starts from that, and the user's command runs once the build succeeds.
                failures, self._pending = self._pending, []
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
            if not self._pending:
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
        self._record.explained += [Explained(remedy.failure, remedy) for remedy in remedies]
        self._reporter.before_pip([remedy.failure for remedy in remedies])
        self._record.propose(remedies)
        if not self._consent_and_apply(remedies, before_pip=True):
            # Declined (or failed): not proposed again when pip then fails the same way.
            self._consents.tried.update(remedy.key for remedy in remedies)

    # --- running and reading pip -----------------------------------------------------------

    def _run_pip(self) -> PipRun:
        args = self._rerun.args()
        recorder = TranscriptRecorder()  # creates nothing until pip prints
        try:
            run = self._run_and_read(args, recorder)
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
        return run

    def _run_and_read(self, args: list[str], recorder: LineConsumer) -> PipRun:
        argv = [*self._target.pip_command(), *args]
        pins = self._rerun.wheel_pins
        try:
            output = read_pip_run(
                lambda consumer: self._runner(argv, consumer, env=self._rerun.env()),
                args,
                self._command.cwd,
                wheel_pins=pins,
                recorder=recorder,
                providers=self._providers,
            )
        except PipInterrupted as interrupt:
            # Ctrl-C: the run is reported as it ended, and nothing more happens.
            self._record.add_run(RunRecord(args, interrupt.status, interrupted=True))
            raise
        self._sdists.fetched.update(output.fetched)
        self._record.add_run(RunRecord(args, output.status, "your command"))
        unused = sorted(set(pins) - output.wheels_used) if output.status == 0 else []
        if unused:
            self._reporter.wheels_unused(unused)
        raise_if_pip_missing(output.status, output.short_output, self._target)
        if output.killed_by is not None:
            self._reporter.pip_killed(output.killed_by)  # its status stands
        elif output.unreadable is not None:
            self._reporter.output_unreadable(output.unreadable)
        return PipRun(output.status, [self._attributed(failure) for failure in output.failures])

    def _attributed(self, failure: BuildFailure) -> BuildFailure:
        """An import the curated table does not know: ask the target environment who provides it."""
        module = attributable_module(failure)
        if module is None:
            return failure
        providers = providers_in_target(self._target.executable, module)
        return attribute(failure, providers, self._target.executable)

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
            fetched=self._sdists.fetched,
            installed_version=self._installed_version,
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
            self._sdists.built = set()
            for remedy in remedies:
                if remedy.kind == PATCHED_SDIST:
                    # Every change for this sdist in this round goes into one build.
                    self._note_change(remedy)
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
            diff = self._diff(remedy) if remedy.kind == PATCH_PYPROJECT else ""
            option = remedy.kind == BUILD_CONSTRAINT and self._rerun.constraint_option()
            self._reporter.preview(remedy, diff, constraint_option=option)
            self._reporter.alternatives(self._consents.alternatives.get(remedy.key, []))
        if self._fix.mode == APPLY:
            return True
        if all(remedy.preapproved for remedy in remedies) and not self._fix.refused:
            # Even without a terminal: the user's configuration is the consent (not --no-fix).
            self._reporter.preapproved()
            return True
        if self._fix.mode == EXPLAIN:
            self._reporter.explain_only()
            return False
        return self._reporter.ask(before_pip=before_pip)

    def _diff(self, remedy: Remedy) -> str:
        """The change to a pyproject.toml the user sees before saying yes (and that is made)."""
        try:
            plan = _plan(remedy)
        except SafepipError as exc:
            self._reporter.cannot_prepare(exc)
            raise
        self._consents.plans[remedy.key] = plan
        return str(plan.diff())

    # --- applying ---------------------------------------------------------------------------

    def _apply(self, remedy: Remedy) -> None:
        self._consents.tried.add(remedy.key)
        self._record.applying(remedy)
        if remedy.kind == PATCH_PYPROJECT:
            self._patch_pyproject(remedy)
        elif remedy.kind in {INSTALL_BUILD_DEPENDENCY, INSTALL_WITHOUT_ISOLATION, UPGRADE_PIP}:
            install_requirements(self._pip_prefix(), remedy.install, self._command.index_options())
            if remedy.kind == INSTALL_WITHOUT_ISOLATION:
                self._rerun.no_build_isolation = True
        elif remedy.kind == BUILD_CONSTRAINT:
            assert remedy.constraint is not None  # noqa: S101 - set for this kind
            self._rerun.add_constraint(remedy.constraint)
        elif remedy.kind == PATCHED_SDIST:
            self._build_patched(remedy)
        option = remedy.kind == BUILD_CONSTRAINT and self._rerun.constraint_option()
        self._record.made(remedy, constraint_option=option)

    def _pip_prefix(self) -> list[str]:
        return pip_prefix(self._target.executable, self._invocation.pip_python)

    def _patch_pyproject(self, remedy: Remedy) -> None:
        from safepip.applying.pyproject import apply_plan

        # The plan whose diff the user saw; re-planned only if the file changed meanwhile.
        plan = self._consents.plans.get(remedy.key) or _plan(remedy)
        if not plan.changed:
            raise SafepipError(f"{remedy.pyproject} already has this change; nothing to do")
        applied = apply_plan(plan, replan=lambda: _plan(remedy))
        if applied.already_done:
            self._reporter.already_changed(applied.path)
            return
        if applied.rebased:
            self._reporter.rebased(applied.path)
        self._record.changed_files.append(ChangedFile(applied.path, applied.backup))

    def _note_change(self, remedy: Remedy) -> list[Change]:
        changes = self._sdists.changes.setdefault(_sdist_key(remedy), [])
        if remedy.change is not None and remedy.change not in changes:
            changes.append(remedy.change)
        return changes

    def _build_patched(self, remedy: Remedy) -> None:
        """Build a wheel from a patched copy, with every change made to that sdist so far."""
        from safepip.applying.sdist import build_patched_wheel

        key = _sdist_key(remedy)
        if key in self._sdists.built:
            return  # this round's build of that sdist had this change already
        self._sdists.built.add(key)
        sdist = remedy.sdist or self._fetch(remedy)
        build = build_patched_wheel(
            sdist,
            self._note_change(remedy),
            extra_requirements=remedy.extra_requirements,
            pip_prefix=self._pip_prefix(),
            index_options=self._command.index_options(),
            workdir=self._rerun.scratch(),
            build_options=self._rerun.constraint_options(),
            env=self._rerun.env(),
            package=remedy.failure.package,
            source=remedy.failure.source,
            providers=self._providers,
        )
        name = os.path.basename(sdist)
        purpose = f"build of the patched copy of {name}"
        self._record.add_run(RunRecord(build.argv, build.exit_status, purpose))
        if build.exit_status == 0:
            self._pending = []
            project = canonical_name(sdist_project(name) or name)
            self._rerun.use_wheels(sdist, build.wheels, project)
            return
        if not build.failures:
            raise SafepipError(
                f"building a wheel from the patched copy of {name} failed (pip exited with "
                f"status {build.exit_status}); nothing of yours was changed"
            )
        self._reporter.patched_build_failed(name)
        self._pending = build.failures

    def _fetch(self, remedy: Remedy) -> str:
        """Fetch the sdist pip downloaded from an index, unbuilt, into the work folder."""
        from safepip.applying.fetch import fetch_sdist, index_urls

        remote = remedy.remote_sdist
        assert remote is not None  # noqa: S101 - set when sdist is not
        if remote in self._sdists.paths:
            return self._sdists.paths[remote]
        project = canonical_name(sdist_project(remote) or remote.rsplit("/", 1)[-1])
        indexes = index_urls(self._command.index_options(), dict(os.environ))
        self._reporter.fetching(remote, indexes[0])
        path = fetch_sdist(remote, project, indexes, self._rerun.scratch())
        self._sdists.paths[remote] = path
        return path


def _sdist_key(remedy: Remedy) -> str:
    return remedy.sdist or remedy.remote_sdist or ""


def _plan(remedy: Remedy) -> PatchPlan:
    assert remedy.pyproject is not None  # noqa: S101 - PATCH_PYPROJECT remedies name their file
    assert remedy.change is not None  # noqa: S101 - and their change
    return remedy.change.plan(remedy.pyproject, create_if_missing=True)


def run_session(
    invocation: Invocation, target: TargetPython, config: Config | None, fix: FixSetting
) -> int:
    """Run a building pip command (install, wheel, download) under safepip's watch, its fix
    mode ``fix`` resolved from the options and ``config`` (``config.resolve_fix``)."""
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        raise SafepipError("the current folder no longer exists") from None
    return Session(invocation, target, cwd, config, fix=fix).run()
