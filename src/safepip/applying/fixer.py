"""The appliers: each kind of fix action (deciding/actions.py), made.

:class:`Fixer` is the :class:`~safepip.deciding.actions.FixContext` the session hands to
``action.apply``: it holds what making a fix takes (the command's :class:`Rerun`, the pip that
installs into the target, the index options, the scratch folders, the run of pip and its reading)
and nothing else, so that each applier can be tested in-process with a fake runner and real
files. A new kind of action gets its applier here, as a method.

The patcher (tomlkit, packaging) and the sdist fetcher (urllib) are imported by the appliers that
use them, when a fix is prepared or made: an install that needs no fix never loads them
(tests/test_startup.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from safepip.applying.environment import install_requirements
from safepip.applying.rerun import Rerun
from safepip.applying.reuse import Built
from safepip.changes import AddRequirement, CapRequirement
from safepip.errors import SafepipError
from safepip.names import canonical_name, sdist_project
from safepip.reading.findings import BuildFailure
from safepip.reading.piprun import PipRun
from safepip.redaction import mask_credentials

if TYPE_CHECKING:
    from safepip.applying.pyproject import PatchPlan
    from safepip.changes import Change
    from safepip.deciding.actions import (
        BuildConstraint,
        InstallInto,
        PatchedSdist,
        PatchPyproject,
    )

#: Runs pip: (argv, the consumer of its lines, its environment) -> its exit status.
Runner = Callable[..., int]


class RunAndRead(Protocol):
    """The session's one "run pip and read it": runs ``prefix + args``, records the run in the
    report with its ``purpose``, and returns it read (its failures diagnosed, from ``cwd``)."""

    def __call__(
        self, args: list[str], *, purpose: str, prefix: Sequence[str], cwd: str
    ) -> PipRun: ...


class FixEvents(Protocol):
    """What the appliers tell the user (the session's reporter words it)."""

    def already_changed(self, path: str) -> None: ...
    def rebased(self, path: str) -> None: ...
    def patched_build_failed(self, sdist_name: str) -> None: ...
    def fetching(self, sdist: str, index: str) -> None: ...


@dataclass
class _Sdists:
    """The sdists of packages that are not the user's, for patched-copy builds."""

    #: Those fetched again by safepip (unbuilt), by the name pip printed.
    paths: dict[str, str] = field(default_factory=dict)
    #: The changes made so far to each patched sdist, all made again on a rebuild.
    changes: dict[str, list[Change]] = field(default_factory=dict)
    #: Sdists built in this round (several fixes for one sdist make one build).
    built: set[str] = field(default_factory=set)
    #: The index each fetched sdist came from (masked), by its path.
    indexes: dict[str, str] = field(default_factory=dict)


class Fixer:
    """Makes fix actions for one session (a :class:`~safepip.deciding.actions.FixContext`)."""

    def __init__(
        self,
        rerun: Rerun,
        *,
        pip_prefix: Callable[[], list[str]],
        index_options: Sequence[str],
        events: FixEvents,
        runner: Runner,
        run_and_read: RunAndRead,
        changed: Callable[[str, str | None, bool], None],
        hashes: Mapping[str, Collection[str]] | None = None,
        pip_command: str | None = None,
    ) -> None:
        self._rerun = rerun
        #: How to run the user's pip for a helper command, aimed at the same environment (asked
        #: when a fix needs it: it may cost a process to ask a pip program for its interpreter).
        self._pip_prefix = pip_prefix
        self._index_options = list(index_options)
        #: The sha256 hashes the user's requirements files give, by project: a fetched sdist
        #: must match one of them, as the file pip downloaded did.
        self._hashes = dict(hashes or {})
        #: The user's pip command (install, wheel, download): its section of pip's configuration.
        self._pip_command = pip_command
        self._events = events
        self._runner = runner
        self._run_and_read = run_and_read
        #: Told of each file of the user's changed: (its path, its backup or None, whether git
        #: holds its original instead of a backup).
        self._changed = changed
        #: The changes shown to the user for each pyproject.toml fix, by the action.
        self._plans: dict[PatchPyproject, PatchPlan] = {}
        self._sdists = _Sdists()
        #: Failures of safepip's own patched build, diagnosed: the next round starts from them.
        self.pending: list[BuildFailure] = []
        #: The wheels built from patched copies, to remember once the command succeeds.
        self.built: list[Built] = []

    def start_round(self) -> None:
        self._sdists.built = set()

    def constraint_option(self) -> bool:
        return self._rerun.constraint_option()

    # --- patch-pyproject ------------------------------------------------------------------------

    def pyproject_diff(self, action: PatchPyproject) -> str:
        """The change the user sees before saying yes (and that is made)."""
        plan = _plan(action)
        self._plans[action] = plan
        return str(plan.diff())

    def patch_pyproject(self, action: PatchPyproject) -> None:
        from safepip.applying.pyproject import apply_plan, held_by_git

        # The plan whose diff the user saw; re-planned only if the file changed meanwhile.
        plan = self._plans.get(action) or _plan(action)
        if not plan.changed:
            # Made since pip failed (another run of the same command, say): pip runs again.
            self._events.already_changed(plan.path)
            return
        # No backup where git holds the original: `git add -A` would commit it.
        in_git = held_by_git(plan.path)
        applied = apply_plan(plan, replan=lambda: _plan(action), backup=not in_git)
        if applied.already_done:
            self._events.already_changed(applied.path)
            return
        if applied.rebased:
            self._events.rebased(applied.path)
        self._changed(applied.path, applied.backup, in_git)

    # --- build-patched-sdist --------------------------------------------------------------------

    def note_patched_change(self, action: PatchedSdist) -> None:
        """Add ``action``'s change to those made to its sdist."""
        self._changes_for(action)

    def _changes_for(self, action: PatchedSdist) -> list[Change]:
        """Every change made to ``action``'s sdist so far, its own included."""
        changes = self._sdists.changes.setdefault(_sdist_key(action), [])
        if action.change not in changes:
            changes.append(action.change)
        return changes

    def build_patched_sdist(self, action: PatchedSdist) -> None:
        """Build a wheel from a patched copy, with every change made to that sdist so far."""
        from safepip.applying.sdist import patched_copy

        key = _sdist_key(action)
        if key in self._sdists.built:
            return  # this round's build of that sdist had this change already
        self._sdists.built.add(key)
        sdist = action.sdist or self._fetch(action)
        workdir = self._rerun.scratch()
        copy = patched_copy(
            sdist,
            self._changes_for(action),
            workdir=workdir,
            index_options=self._index_options,
            extra_requirements=action.extra_requirements,
            build_options=self._rerun.constraint_options(),
        )
        name = os.path.basename(sdist)
        run = self._run_and_read(
            copy.args,
            purpose=f"build of the patched copy of {name}",
            prefix=self._pip_prefix(),
            cwd=workdir,
        )
        if run.status == 0:
            self.pending = []
            wheel = self._rerun.use_wheels(sdist, copy.wheels, _project(name))
            index = self._sdists.indexes.get(sdist)
            # A later build of the same sdist (another change) replaces the earlier one.
            self.built = [built for built in self.built if built.sdist != sdist]
            # What the patched copy had, in the words the proposal used.
            made = [change.describe("its pyproject.toml") for change in self._changes_for(action)]
            made += [
                f'add "{extra}" to its build requirements' for extra in action.extra_requirements
            ]
            changes = self._changes_for(action)
            self.built.append(
                Built(
                    wheel,
                    sdist,
                    index,
                    "; ".join(made),
                    action.kind,
                    requirements=(
                        *(c.requirement for c in changes if isinstance(c, AddRequirement)),
                        *action.extra_requirements,
                    ),
                    constraints=tuple(
                        c.requirement for c in changes if isinstance(c, CapRequirement)
                    ),
                )
            )
            return
        if not run.failures:
            raise SafepipError(
                f"building a wheel from the patched copy of {name} failed (pip exited with "
                f"status {run.status}); nothing of yours was changed"
            )
        self._events.patched_build_failed(name)
        for found in run.failures:
            # The build was of the patched copy: the finding is about the sdist's package.
            found.package = action.package or found.package
            found.source = action.source or found.source
            found.pyproject = None
        self.pending = run.failures

    def _fetch(self, action: PatchedSdist) -> str:
        """Fetch the sdist pip downloaded from an index, unbuilt, into the work folder."""
        from safepip.applying.fetch import Network, fetch_sdist, index_urls, pip_environ

        remote = action.remote_sdist
        if remote is None:
            raise SafepipError("no sdist to build a patched copy of")
        if remote in self._sdists.paths:
            return self._sdists.paths[remote]
        environ = pip_environ(self._pip_prefix(), self._pip_command, self._index_options)
        indexes = index_urls(self._index_options, environ)
        network = Network.from_pip(self._index_options, environ, indexes)
        project = _project(remote)
        self._events.fetching(remote, indexes[0] if indexes else "no index")
        path = fetch_sdist(
            remote,
            project,
            indexes,
            self._rerun.scratch(),
            network=network,
            hashes=self._hashes.get(project, ()),
        )
        self._sdists.paths[remote] = path
        if indexes:
            self._sdists.indexes[path] = mask_credentials(indexes[0])
        return path

    # --- build-constraint -----------------------------------------------------------------------

    def add_build_constraint(self, action: BuildConstraint) -> None:
        self._rerun.add_constraint(action.constraint)

    # --- install-build-dependency, install-and-build-without-isolation, upgrade-pip -------------

    def install_into_target(self, action: InstallInto) -> None:
        install_requirements(
            self._pip_prefix(), action.install, self._index_options, runner=self._runner
        )

    def build_without_isolation(self) -> None:
        self._rerun.no_build_isolation = True


def _plan(action: PatchPyproject) -> PatchPlan:
    from safepip.applying.pyproject import plan_change

    return plan_change(action.pyproject, action.change, create_if_missing=True)


def _project(sdist: str) -> str:
    """The canonical project of an sdist's path, file name or URL (its file name when that does
    not cut as an sdist's)."""
    return canonical_name(sdist_project(sdist) or sdist.rsplit("/", 1)[-1])


def _sdist_key(action: PatchedSdist) -> str:
    return action.sdist or action.remote_sdist or ""
