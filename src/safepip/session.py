"""One pip command under safepip's watch: run it, explain a build failure, fix it with consent,
and run it again.

The exit status is always the last pip run's. safepip's own output goes to stderr after pip's.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from typing import TYPE_CHECKING, Any

from safepip.changes import AddRequirement, Change
from safepip.deciding import consent
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
from safepip.errors import SafepipError, say
from safepip.options import Invocation, env_flag
from safepip.reading.command import PipCommand
from safepip.reading.consumer import Fanout, TailRecorder
from safepip.reading.findings import BACKEND_UNAVAILABLE, BuildFailure
from safepip.reporting import text
from safepip.running import run_command
from safepip.running.relay import PipInterrupted
from safepip.target import TargetPython, raise_if_pip_missing

if TYPE_CHECKING:
    from safepip.applying.pyproject import PatchPlan
    from safepip.config import Config
    from safepip.reading.consumer import LineConsumer

#: At most this many rounds of fix-and-retry after the first run.
MAX_FIX_ROUNDS = 4
#: The first pip with ``--build-constraint`` (pypa/pip#13534; ``pip install --help`` of 25.2 has
#: no such option, 25.3's has). Older pips get the constraint through ``PIP_CONSTRAINT``, which
#: their build-environment subprocess inherits; pip 26.2+ ignores it there.
BUILD_CONSTRAINT_PIP = (25, 3)

#: How each kind of fix reaches pip, for the report's rounds.
_APPLIED_AS = {
    PATCH_PYPROJECT: "patched pyproject.toml",
    PATCHED_SDIST: "patched copy",
    BUILD_CONSTRAINT: "build constraint",
    INSTALL_WITHOUT_ISOLATION: "no build isolation",
    INSTALL_BUILD_DEPENDENCY: "installed into the target environment",
    UPGRADE_PIP: "pip upgraded",
}
#: A run's status above this is 128 + the signal that killed pip (pip never exits so itself).
_SIGNAL_BASE = 128


class Session:
    """Runs one pip command, and its retries, and keeps what the report needs."""

    def __init__(
        self, invocation: Invocation, target: TargetPython, cwd: str, config: Config | None = None
    ) -> None:
        self.invocation = invocation
        self.config = config
        self.target = target
        self.command = PipCommand(invocation.pip_args, cwd)
        self.mode = consent.consent_mode(
            yes=invocation.options.yes,
            no_fix=invocation.options.no_fix,
            pip_args=invocation.pip_args,
        )
        self.runs: list[dict[str, Any]] = []
        self.proposals: list[dict[str, Any]] = []
        self.changed_files: list[dict[str, str | None]] = []
        #: Remedies not to offer again: made, declined, or failed.
        self.tried: set[str] = set()
        #: The remedies actually made (``tried`` also holds the ones declined or that failed).
        self.fixed: set[str] = set()
        self.alternatives: dict[str, list[Remedy]] = {}
        #: Each failure diagnosed, in every run, with the fix proposed for it (if any).
        self.explained: list[tuple[BuildFailure, Remedy | None]] = []
        self.no_build_isolation = False
        self.find_links: list[str] = []
        self.replaced_args: dict[str, str] = {}
        self.workdir: str | None = None
        #: The sdists pip fetched from indexes, by project (for patched-sdist fixes).
        self.fetched: dict[str, str] = {}
        #: The change shown to the user for each pyproject.toml fix, by remedy key.
        self.plans: dict[str, PatchPlan] = {}
        #: Caps given to pip as build constraints (``setuptools<82``).
        self.build_constraints: list[str] = []
        #: Wheels built from patched copies, by project (normalised): pinned with ``-c``.
        self.wheel_pins: dict[str, str] = {}
        #: The changes made so far to each patched sdist (by sdist), all made again on a rebuild.
        self.sdist_changes: dict[str, list[Change]] = {}
        #: Sdists fetched from an index, by the name pip printed.
        self.fetched_paths: dict[str, str] = {}
        #: Failures of safepip's own patched build, diagnosed: the next round starts from them.
        self.pending: list[BuildFailure] = []
        #: Sdists built in this round (several fixes for one sdist make one build).
        self._built: set[str] = set()
        #: Alternatives the user saw with a fix they agreed to: the same consent covers them.
        self.agreed: set[str] = set()
        #: Each round: the fixes applied and how, and the pip runs it made.
        self.rounds: list[dict[str, Any]] = []
        self._pip_version: tuple[int, ...] | None = None

    def pip_args(self) -> list[str]:
        """The pip command as run now: the user's, plus only what the applied fixes need."""
        args = [self.replaced_args.get(arg, arg) for arg in self.invocation.pip_args]
        if self.no_build_isolation and not self.command.no_build_isolation:
            args.append("--no-build-isolation")
        for folder in self.find_links:
            args += ["--find-links", folder]
        if self.wheel_pins:
            # "name @ file:///...whl": pip installs that wheel wherever the project turns up in
            # the resolve, whatever --no-binary, --no-index, -r, -c or pins say.
            args += ["-c", self._write_list("wheels.txt", self._wheel_pin_lines())]
        args += self._build_constraint_options()
        return args

    def _wheel_pin_lines(self) -> list[str]:
        from pathlib import Path

        return [f"{name} @ {Path(wheel).as_uri()}" for name, wheel in self.wheel_pins.items()]

    def _write_list(self, name: str, lines: list[str]) -> str:
        path = os.path.join(self._workdir(), name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
        return path

    def _workdir(self) -> str:
        if self.workdir is None:
            self.workdir = tempfile.mkdtemp(prefix="safepip-")
        return self.workdir

    def _uses_build_constraint_option(self) -> bool:
        return self._target_pip_version() >= BUILD_CONSTRAINT_PIP

    def _build_constraint_options(self) -> list[str]:
        if not self.build_constraints or not self._uses_build_constraint_option():
            return []
        if self.no_build_isolation or self.command.no_build_isolation:
            return []  # pip refuses --build-constraint with --no-build-isolation
        return [
            "--build-constraint",
            self._write_list("build-constraints.txt", self.build_constraints),
        ]

    def pip_env(self) -> dict[str, str] | None:
        """The environment for pip: the user's, plus PIP_CONSTRAINT for a cap on an older pip."""
        if not self.build_constraints or self._uses_build_constraint_option():
            return None
        path = self._write_list("build-constraints.txt", self.build_constraints)
        environ = dict(os.environ)
        environ["PIP_CONSTRAINT"] = " ".join(filter(None, [environ.get("PIP_CONSTRAINT"), path]))
        return environ

    def _target_pip_version(self) -> tuple[int, ...]:
        """The version of the pip that runs (``pip X.Y from ...``); (0,) when it does not say."""
        if self._pip_version is None:
            self._pip_version = pip_version(self.target.pip_command())
        return self._pip_version

    def run(self) -> int:
        try:
            return self._run()
        finally:
            if self.workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)
            if self.changed_files:
                say("changed " + "; ".join(_describe_changed_file(c) for c in self.changed_files))
            self._report_to_ci()
            if self.invocation.options.report:
                self._write_report(self.invocation.options.report)

    def _preflight(self) -> None:
        """Before pip runs: fix what a local project's [build-system] plainly gets wrong.

        Only with consent to ask or to apply: in CI (explain only) pip runs as it is and its
        failure is explained afterwards, so nothing is said twice.
        """
        if self.mode == consent.EXPLAIN or not self.command.local_projects:
            return
        if env_flag(os.environ, "SAFEPIP_PREFLIGHT") is False:
            return  # for measuring what the pre-flight saves, and for testing the fixes after pip
        from safepip.deciding.static import StaticCheckError, check_pyproject

        remedies: list[Remedy] = []
        for project in self.command.local_projects:
            try:
                findings = check_pyproject(project.path)
            except StaticCheckError:
                continue  # pip will say what is wrong with it, in its own words
            for finding in findings:
                if finding.change is None:
                    continue
                failure = BuildFailure(
                    kind=BACKEND_UNAVAILABLE,
                    package=project.path,
                    source="editable" if project.editable else "local",
                    distribution=finding.distribution,
                    requirement=finding.change.requirement
                    if isinstance(finding.change, AddRequirement)
                    else None,
                    pyproject=project.pyproject,
                    explanation=finding.message,
                    evidence=f"{finding.path}:{finding.line}",
                )
                remedies.append(
                    Remedy(
                        PATCH_PYPROJECT,
                        finding.change.describe(project.pyproject),
                        failure,
                        pyproject=project.pyproject,
                        change=finding.change,
                    )
                )
                self.explained.append((failure, remedies[-1]))
        if not remedies:
            return
        for remedy in remedies:
            say(f"before running pip: {remedy.failure.explanation}")
        self.proposals += [_proposal_json(remedy) for remedy in remedies]
        if not self._consent_and_apply(remedies, before_pip=True):
            # Declined (or failed): not proposed again when pip then fails the same way.
            self.tried.update(remedy.key for remedy in remedies)

    def _run(self) -> int:
        self._preflight()
        status = 0
        for round_ in range(MAX_FIX_ROUNDS + 1):
            from_patched = bool(self.pending)
            if self.pending:
                # safepip's own patched build failed for a reason the diagnosis names: the
                # round starts from that, and the user's command runs once the build succeeds.
                failures, self.pending = self.pending, []
            else:
                status, failures = self._run_pip()
                if status == 0 or not failures:
                    return status
            remedies = self._choose(failures, from_patched=from_patched)
            if not remedies:
                return status
            if round_ == MAX_FIX_ROUNDS:
                say(f"stopping after {MAX_FIX_ROUNDS} rounds of fixes")
                return status
            self.rounds.append({"round": round_ + 1, "fixes": [], "runs": []})
            if not self._consent_and_apply(remedies):
                return status
            if not self.pending:
                environ = self.pip_env()
                extra = f" (PIP_CONSTRAINT={environ['PIP_CONSTRAINT']})" if environ else ""
                say("running pip again: " + " ".join(self.pip_args()) + extra)
        return status

    def _consent_and_apply(self, remedies: list[Remedy], *, before_pip: bool = False) -> bool:
        """Ask (or not, by mode) and apply; False when declined or a fix could not be made."""
        try:
            if self.mode != consent.EXPLAIN and all(r.key in self.agreed for r in remedies):
                for remedy in remedies:
                    say(f"trying the alternative listed before: {remedy.summary}")
            elif not self._consent(remedies, before_pip=before_pip):
                return False
            self._built = set()
            for remedy in remedies:
                if remedy.kind == PATCHED_SDIST:
                    # Every change for this sdist in this round goes into one build.
                    changes = self.sdist_changes.setdefault(_sdist_key(remedy), [])
                    if remedy.change is not None and remedy.change not in changes:
                        changes.append(remedy.change)
            for remedy in remedies:
                self.agreed.update(other.key for other in self.alternatives.get(remedy.key, []))
                self._apply(remedy)
                self.fixed.add(remedy.key)
        except SafepipError as exc:
            # The fix could not be made (a read-only file...): say why; pip's status stands.
            say(f"error: {exc}")
            return False
        return True

    def _run_pip(self) -> tuple[int, list[BuildFailure]]:
        from safepip.transcripts import TranscriptRecorder

        args = self.pip_args()
        recorder = TranscriptRecorder()  # creates nothing until pip prints
        try:
            status, failures = self._run_and_read(args, recorder)
            if failures:
                metadata = {"pip_args": args, "exit_status": status, "findings": len(failures)}
                try:
                    recorder.keep({**metadata, "cwd": self.command.cwd})
                except OSError as exc:  # a full disk must not change what pip's run means
                    say(f"could not keep the transcript of this run: {exc}")
        finally:
            recorder.discard()  # removes the spool unless it was kept
        return status, failures

    def _run_and_read(
        self, args: list[str], recorder: LineConsumer
    ) -> tuple[int, list[BuildFailure]]:
        from safepip.reading.diagnosis import Diagnosis
        from safepip.reading.downloads import DownloadsReader
        from safepip.reading.oldpip import OldPipReader

        diagnosis = Diagnosis()
        diagnosis.set_context(args, self.command.cwd)
        tail = TailRecorder(limit=20)
        old_pip = OldPipReader()
        downloads = DownloadsReader()
        wheels = WheelUse(self.wheel_pins)
        fanout = Fanout(tail, diagnosis, old_pip, downloads, recorder, wheels)
        try:
            status = run_command([*self.target.pip_command(), *args], fanout, env=self.pip_env())
        except PipInterrupted as interrupt:
            # Ctrl-C: the run is reported as it ended, and nothing more happens.
            self.runs.append({"argv": args, "exit_status": interrupt.status, "interrupted": True})
            raise
        self.fetched.update(downloads.sdists)
        self._record_run({"argv": args, "exit_status": status, "purpose": "your command"})
        if status == 0 and self.wheel_pins:
            unused = sorted(set(self.wheel_pins) - wheels.used)
            if unused:
                say("pip did not use the wheel built from the patched copy of " + ", ".join(unused))
        raise_if_pip_missing(status, tail.text() if tail.count <= 2 else [], self.target)
        if status == 0:
            return status, []
        if status > _SIGNAL_BASE:
            # Killed (OOM killer, a cancelled CI job): its output stops mid-way, and another
            # run is the last thing wanted. Its status stands.
            say(f"pip was killed by {_signal_name(status - _SIGNAL_BASE)}; nothing more is run")
            return status, []
        if diagnosis not in fanout.consumers:
            say(f"could not read pip's output ({fanout.failures[-1]!r})")
            return status, []
        try:
            failures = diagnosis.failures()
        except Exception as exc:  # noqa: BLE001 - a reading bug must not change pip's status
            say(f"could not read pip's output ({type(exc).__name__}: {exc})")
            return status, []
        too_old = old_pip.failure()
        if too_old is not None:
            failures.append(too_old)
        failures = [self._attributed(failure) for failure in failures]
        return status, failures

    def _attributed(self, failure: BuildFailure) -> BuildFailure:
        """An import the curated table does not know: ask the target environment who provides it."""
        module = attributable_module(failure)
        if module is None:
            return failure
        providers = providers_in_target(self.target.executable, module)
        return attribute(failure, providers, self.target.executable)

    def _choose(self, failures: list[BuildFailure], *, from_patched: bool) -> list[Remedy]:
        """Explain each failure; return the first fix of each that has one not yet applied."""
        facts = gather_facts(
            failures,
            self.command,
            target_python=self.invocation.pip_python or self.target.executable,
            config=self.config,
            fetched=self.fetched,
            installed_version=self._installed_version,
        )
        chosen: list[Remedy] = []
        for decision in decide(failures, facts, tried=self.tried, from_patched=from_patched):
            failure, options = decision.failure, list(decision.remedies)
            # With a fix to propose, the proposal below says what to do; without, the advice.
            explained = text.render_failure(failure, None if options else decision.fix)
            sys.stderr.write("\n" + text.prefixed(explained) + "\n")
            self.proposals += [_proposal_json(remedy) for remedy in options]
            self.explained.append((failure, options[0] if options else None))
            if options and all(options[0].key != other.key for other in chosen):
                chosen.append(options[0])
                self.alternatives[options[0].key] = options[1:]
        sys.stderr.flush()
        return chosen

    def _installed_version(self, name: str) -> str | None:
        version = installed_version(self.target.executable, name)
        if version is None:
            say(f"{name} is not installed in the target environment: building against any {name}")
        return version

    def _consent(self, remedies: list[Remedy], *, before_pip: bool = False) -> bool:
        for remedy in remedies:
            say(f"proposed fix: {remedy.summary}")
            if remedy.caveat:
                say(f"note: {remedy.caveat}")
            preview = self._preview(remedy)
            if preview:
                sys.stderr.write(preview if preview.endswith("\n") else preview + "\n")
            for alternative in self.alternatives.get(remedy.key, []):
                say(f"alternative (not applied): {alternative.summary}")
        if self.mode == consent.APPLY:
            return True
        if all(remedy.preapproved for remedy in remedies) and not self.invocation.options.no_fix:
            say("applying it without asking: your configuration asks for it")
            return True
        if self.mode == consent.EXPLAIN:
            report = self.invocation.options.report
            own = ["--report", report] if report else []
            say("nothing was changed. To apply this fix, run:")
            sys.stderr.write(
                "  " + consent.fix_command("safepip", own, self.invocation.pip_args) + "\n"
            )
            return False
        if before_pip:
            return consent.ask("safepip: apply this fix, then run pip?")
        return consent.ask("safepip: apply this fix and run the command again?")

    def _preview(self, remedy: Remedy) -> str:
        """What the user sees before saying yes: the diff, or what gets installed where."""
        if remedy.kind == PATCH_PYPROJECT:
            try:
                plan = _plan(remedy)
            except SafepipError as exc:
                say(f"cannot prepare this change: {exc}")
                raise
            self.plans[remedy.key] = plan
            return str(plan.diff())
        if remedy.install:
            return f"    pip install {' '.join(remedy.install)}\n"
        if remedy.kind == BUILD_CONSTRAINT:
            how = (
                "--build-constraint FILE"
                if self._uses_build_constraint_option()
                else "PIP_CONSTRAINT=FILE (this pip has no --build-constraint; the constraint "
                "then applies to the command's own resolve too)"
            )
            return f"    build constraint: {remedy.constraint}, given to pip as {how}\n"
        return ""

    def _apply(self, remedy: Remedy) -> None:
        self.tried.add(remedy.key)
        for proposal in self.proposals:
            if proposal["key"] == remedy.key:
                proposal["applied"] = True
        if remedy.kind == PATCH_PYPROJECT:
            self._patch_pyproject(remedy)
        elif remedy.kind in {INSTALL_BUILD_DEPENDENCY, INSTALL_WITHOUT_ISOLATION, UPGRADE_PIP}:
            from safepip.applying.environment import install_requirements, pip_prefix

            prefix = pip_prefix(self.target.executable, self.invocation.pip_python)
            install_requirements(prefix, remedy.install, self.command.index_options())
            if remedy.kind == INSTALL_WITHOUT_ISOLATION:
                self.no_build_isolation = True
        elif remedy.kind == BUILD_CONSTRAINT:
            assert remedy.constraint is not None  # noqa: S101 - set for this kind
            if remedy.constraint not in self.build_constraints:
                self.build_constraints.append(remedy.constraint)
        elif remedy.kind == PATCHED_SDIST:
            self._build_patched(remedy)
        self._record_fix(remedy)

    def _record_fix(self, remedy: Remedy) -> None:
        if not self.rounds:
            self.rounds.append({"round": 0, "fixes": [], "runs": []})  # before pip ran
        how = _APPLIED_AS.get(remedy.kind, remedy.kind)
        if remedy.kind == BUILD_CONSTRAINT:
            how += (
                " (--build-constraint)"
                if self._uses_build_constraint_option()
                else " (PIP_CONSTRAINT)"
            )
        self.rounds[-1]["fixes"].append(
            {"key": remedy.key, "kind": remedy.kind, "summary": remedy.summary, "applied_as": how}
        )

    def _record_run(self, run: dict[str, Any]) -> None:
        self.runs.append(run)
        if self.rounds:
            self.rounds[-1]["runs"].append(run)

    def _build_patched(self, remedy: Remedy) -> None:
        """Build a wheel from a patched copy, with every change made to that sdist so far."""
        from safepip.applying.environment import pip_prefix
        from safepip.applying.sdist import build_patched_wheel
        from safepip.knowledge import normalise_name

        key = _sdist_key(remedy)
        if key in self._built:
            return  # this round's build of that sdist had this change already
        self._built.add(key)
        sdist = remedy.sdist or self._fetch(remedy)
        changes = self.sdist_changes.setdefault(key, [])
        if remedy.change is not None and remedy.change not in changes:
            changes.append(remedy.change)
        build = build_patched_wheel(
            sdist,
            changes,
            extra_requirements=remedy.extra_requirements,
            pip_prefix=pip_prefix(self.target.executable, self.invocation.pip_python),
            index_options=self.command.index_options(),
            workdir=tempfile.mkdtemp(dir=self._workdir()),
            build_options=self._build_constraint_options(),
            env=self.pip_env(),
            package=remedy.failure.package,
            source=remedy.failure.source,
        )
        name = os.path.basename(sdist)
        self._record_run(
            {
                "argv": build.argv,
                "exit_status": build.exit_status,
                "purpose": f"build of the patched copy of {name}",
            }
        )
        if build.exit_status == 0:
            self.pending = []
            project = normalise_name(name.rsplit("-", 1)[0])
            self._use_wheels(sdist, build.wheels, project)
            return
        if not build.failures:
            raise SafepipError(
                f"building a wheel from the patched copy of {name} failed (pip exited with "
                f"status {build.exit_status}); nothing of yours was changed"
            )
        say(f"building a wheel from the patched copy of {name} failed: reading why")
        self.pending = build.failures

    def _fetch(self, remedy: Remedy) -> str:
        """Fetch the sdist pip downloaded from an index, unbuilt, into the work folder."""
        from safepip.applying.fetch import fetch_sdist, index_urls
        from safepip.knowledge import normalise_name

        assert remedy.remote_sdist is not None  # noqa: S101 - set when sdist is not
        if remedy.remote_sdist in self.fetched_paths:
            return self.fetched_paths[remedy.remote_sdist]
        project = normalise_name(remedy.remote_sdist.rsplit("/", 1)[-1].rsplit("-", 1)[0])
        indexes = index_urls(self.command.index_options(), dict(os.environ))
        say(f"fetching {remedy.remote_sdist} from {indexes[0]} (not built: only unpacked)")
        path = fetch_sdist(
            remedy.remote_sdist, project, indexes, tempfile.mkdtemp(dir=self._workdir())
        )
        self.fetched_paths[remedy.remote_sdist] = path
        return path

    def _patch_pyproject(self, remedy: Remedy) -> None:
        from safepip.applying.pyproject import apply_plan

        # The plan whose diff the user saw; re-planned only if the file changed meanwhile.
        plan = self.plans.get(remedy.key) or _plan(remedy)
        if not plan.changed:
            raise SafepipError(f"{remedy.pyproject} already has this change; nothing to do")
        applied = apply_plan(plan, replan=lambda: _plan(remedy))
        if applied.already_done:
            say(f"{applied.path} already has this change (made while safepip was waiting)")
            return
        if applied.rebased:
            say(f"{applied.path} changed while safepip was waiting: the same change was made to it")
        self.changed_files.append({"path": applied.path, "backup": applied.backup})

    def _use_wheels(self, sdist: str, wheels: str, project: str) -> None:
        built = sorted(entry for entry in os.listdir(wheels) if entry.endswith(".whl"))
        if not built:
            raise SafepipError(f"the build of the patched copy of {sdist} left no wheel")
        wheel = os.path.join(wheels, built[0])
        for arg in self.invocation.pip_args:
            # The command named the sdist file itself: install the wheel in its place.
            if os.path.realpath(os.path.join(self.command.cwd, arg)) == os.path.realpath(sdist):
                self.replaced_args[arg] = wheel
                return
        # Anywhere else (a name, a pin, a line of -r, a dependency deep in the resolve): a
        # constraint naming the wheel by URL, which pip follows even under --no-binary NAME.
        self.wheel_pins[project] = wheel

    def _report_to_ci(self) -> None:
        from safepip.reporting import github

        if not github.active(os.environ):
            return
        rows = [
            github.Row(
                failure.to_json(),
                remedy.summary if remedy else None,
                remedy is not None and remedy.key in self.fixed,
                changed_file=remedy.pyproject
                if remedy is not None and remedy.kind == PATCH_PYPROJECT
                else None,
            )
            for failure, remedy in self.explained
        ]
        report = self.invocation.options.report
        own = ["--report", report] if report else []
        github.emit(
            sys.stderr,  # with safepip's other lines: stdout is pip's (`--report - | jq`)
            os.environ,
            pip_args=self.invocation.pip_args,
            rows=rows,
            exit_status=self.runs[-1]["exit_status"] if self.runs else None,
            fix_command=consent.fix_command("safepip", own, self.invocation.pip_args),
        )

    def _write_report(self, path: str) -> None:
        import json

        document = {
            "safepip_report_version": 1,
            "pip_command": self.invocation.pip_args,
            "python": self.target.executable,
            "runs": self.runs,
            "failures": [failure.to_json() for failure, _ in self.explained],
            "fixes": self.proposals,
            "rounds": self.rounds,
            "changed_files": self.changed_files,
            "exit_status": self.runs[-1]["exit_status"] if self.runs else None,
        }
        try:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2)
                handle.write("\n")
        except OSError as exc:
            say(f"could not write the report {path}: {exc.strerror or exc}")


class WheelUse:
    """A line consumer: which patched wheels pip really used (``Processing /.../x.whl``)."""

    def __init__(self, wheel_pins: dict[str, str]) -> None:
        self._wanted = {os.path.basename(wheel): name for name, wheel in wheel_pins.items()}
        self.used: set[str] = set()

    def feed_line(self, stream: str, line: str) -> None:
        text = line.strip()
        if self._wanted and text.startswith("Processing ") and text.endswith((".whl", ")")):
            location = text[len("Processing ") :].split(" (from ", 1)[0].strip()
            name = self._wanted.get(os.path.basename(location))
            if name is not None:
                self.used.add(name)


def _sdist_key(remedy: Remedy) -> str:
    return remedy.sdist or remedy.remote_sdist or ""


def _plan(remedy: Remedy) -> PatchPlan:
    assert remedy.pyproject is not None  # noqa: S101 - PATCH_PYPROJECT remedies name their file
    change = remedy.change
    assert change is not None  # noqa: S101 - and their change
    return change.plan(remedy.pyproject, create_if_missing=True)


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _describe_changed_file(change: dict[str, str | None]) -> str:
    backup = f" (backup: {change['backup']})" if change.get("backup") else ""
    return f"{change['path']}{backup}"


def _proposal_json(remedy: Remedy) -> dict[str, Any]:
    return {
        "key": remedy.key,
        "kind": remedy.kind,
        "summary": remedy.summary,
        "pyproject": remedy.pyproject,
        "change": list(remedy.change.words()) if remedy.change is not None else [],
        "install": remedy.install,
        "sdist": remedy.sdist,
        "module": remedy.failure.module,
        "distribution": remedy.failure.distribution,
        "applied": False,
    }


def run_session(invocation: Invocation, target: TargetPython, config: Config | None = None) -> int:
    """Run a building pip command (install, wheel, download) under safepip's watch."""
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        raise SafepipError("the current folder no longer exists") from None
    return Session(invocation, target, cwd, config).run()
