"""The user's pip command as it runs again: theirs, plus only what the fixes applied so far need
(``--no-build-isolation``, a wheel in place of an sdist, wheel pins, build constraints)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from safepip.errors import SafepipError

#: The first pip with ``--build-constraint`` (pypa/pip#13534; ``pip install --help`` of 25.2 has
#: no such option, 25.3's has). Older pips get the constraint through ``PIP_CONSTRAINT``, which
#: their build-environment subprocess inherits; pip 26.2+ ignores it there.
BUILD_CONSTRAINT_PIP = (25, 3)


class Rerun:
    """What the applied fixes add to the command; files it needs go in one work folder."""

    def __init__(
        self,
        pip_args: Sequence[str],
        *,
        cwd: str,
        user_unisolated: bool,
        pip_version: Callable[[], tuple[int, ...]],
        user_constraints: Callable[[], list[str]] | None = None,
    ) -> None:
        self._pip_args = list(pip_args)
        self._cwd = cwd
        #: The user's command already says --no-build-isolation.
        self._user_unisolated = user_unisolated
        self._pip_version = pip_version
        #: The constraint files the user's pip has from PIP_CONSTRAINT or its configuration
        #: files (raises SafepipError when they cannot be learnt); None: PIP_CONSTRAINT only.
        self._user_constraints = user_constraints
        self._kept: list[str] | None = None
        self._workdir: str | None = None
        #: A fix installed what builds need into the target: build without isolation.
        self.no_build_isolation = False
        #: Words of the command replaced (an sdist file by the wheel built from its patched copy).
        self._replaced: dict[str, str] = {}
        #: Wheels built from patched copies, by project (normalised): pinned with ``-c``.
        self.wheel_pins: dict[str, str] = {}
        #: Caps given to pip as build constraints (``setuptools<82``).
        self._constraints: list[str] = []

    def workdir(self) -> str:
        if self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="safepip-")
        return self._workdir

    def scratch(self) -> str:
        """A fresh folder inside the work folder."""
        return tempfile.mkdtemp(dir=self.workdir())

    def cleanup(self) -> None:
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)

    def constraint_option(self) -> bool:
        """Whether the pip that runs takes ``--build-constraint`` (else ``PIP_CONSTRAINT``)."""
        return self._pip_version() >= BUILD_CONSTRAINT_PIP

    def add_constraint(self, constraint: str) -> None:
        if not self.constraint_option() and self._kept is None:
            # PIP_CONSTRAINT replaces what pip's configuration files say (`constraint = FILE`):
            # learnt before the change is made, so that the retry keeps them beside the cap.
            self._kept = self._configured()
        if constraint not in self._constraints:
            self._constraints.append(constraint)

    def _configured(self) -> list[str]:
        if self._user_constraints is not None:
            return self._user_constraints()
        return os.environ.get("PIP_CONSTRAINT", "").split()

    def args(self) -> list[str]:
        """The pip command as run now."""
        args = [self._replaced.get(arg, arg) for arg in self._pip_args]
        if self.no_build_isolation and not self._user_unisolated:
            args.append("--no-build-isolation")
        if self.wheel_pins:
            # "name @ file:///...whl": pip installs that wheel wherever the project turns up in
            # the resolve, whatever --no-binary, --no-index, -r, -c or pins say.
            pins = [f"{name} @ {Path(wheel).as_uri()}" for name, wheel in self.wheel_pins.items()]
            args += ["-c", self._write_list("wheels.txt", pins)]
        args += self.constraint_options()
        return args

    def constraint_options(self) -> list[str]:
        if not self._constraints or not self.constraint_option():
            return []
        if self.no_build_isolation or self._user_unisolated:
            return []  # pip refuses --build-constraint with --no-build-isolation
        return ["--build-constraint", self._write_list("build-constraints.txt", self._constraints)]

    def env(self) -> dict[str, str] | None:
        """The environment for pip: the user's, plus PIP_CONSTRAINT for a cap on an older pip."""
        if not self._constraints or self.constraint_option():
            return None
        path = self._write_list("build-constraints.txt", self._constraints)
        environ = dict(os.environ)
        # The user's own (-c stays on the command line, where pip adds it to these).
        kept = self._kept if self._kept is not None else self._configured()
        environ["PIP_CONSTRAINT"] = " ".join([*kept, path])
        return environ

    def use_wheels(self, sdist: str, wheels: str, project: str) -> str:
        """Have pip install the wheel built from ``sdist``'s patched copy; its path."""
        built = sorted(entry for entry in os.listdir(wheels) if entry.endswith(".whl"))
        if not built:
            raise SafepipError(f"the build of the patched copy of {sdist} left no wheel")
        wheel = os.path.join(wheels, built[0])
        for arg in self._pip_args:
            # The command named the sdist file itself: install the wheel in its place.
            if os.path.realpath(os.path.join(self._cwd, arg)) == os.path.realpath(sdist):
                self._replaced[arg] = wheel
                return wheel
        # Anywhere else (a name, a pin, a line of -r, a dependency deep in the resolve): a
        # constraint naming the wheel by URL, which pip follows even under --no-binary NAME.
        self.wheel_pins[project] = wheel
        return wheel

    def _write_list(self, name: str, lines: list[str]) -> str:
        path = os.path.join(self.workdir(), name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
        return path
