"""Which pip safepip runs: the one the user would have got without safepip.

In order (docs/usage.md has the table):

1. ``$SAFEPIP_PYTHON``: ``<that python> -m pip``. pip's own ``--python`` is always left to pip.
2. Called as ``pip``, ``pip3``, ``pip3.X`` (``$SAFEPIP_INVOKED_AS``, set by the shell-init
   functions and by safepip's launchers): the command of that name that ``PATH`` would find next,
   skipping folders of safepip's launchers (they hold a ``.safepip-launchers`` file), launchers
   copied elsewhere (known by their first lines) and anything that is safepip's own script.
   This covers PATH-only venvs, conda, pyenv shims, system pips.
3. Called as ``safepip``: the active environment (``$VIRTUAL_ENV``, then ``$CONDA_PREFIX``); a
   stale ``$VIRTUAL_ENV`` (its folder is gone) gets a one-line note and the pip on ``PATH``.
4. The environment safepip is installed in, unless it is an application environment of pipx
   (``pipx_metadata.json``) or ``uv tool`` (``uv-receipt.toml``): then the ``pip`` on ``PATH``.

An environment's pip runs as its ``pip`` script (``<python> <env>/bin/pip``), so that pip names
itself ``pip`` in its usage lines, as when typed; ``-m pip`` only where there is no such script.

This runs for every command, so it uses os and posixpath only: no shutil, subprocess, pathlib,
and one stat per ``PATH`` entry at most until the command is found.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import SafepipError

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping

_WINDOWS = sys.platform == "win32"
#: The environment variable naming the command safepip was called as (``pip3``).
INVOKED_AS = "SAFEPIP_INVOKED_AS"
#: A file in each folder of safepip's launchers: such folders are skipped when looking for pip.
LAUNCHERS_MARKER = ".safepip-launchers"
#: The first bytes of each of safepip's launchers: a launcher copied without its folder's marker
#: file is still known for one, and skipped.
LAUNCHER_HEADER = b"#!/bin/sh\n# safepip launcher"
#: Files at the root of application environments, whose pip is not the user's.
APPLICATION_MARKERS = ("pipx_metadata.json", "uv-receipt.toml")


class TargetPython:
    """The pip safepip runs, how to run it, and why it was chosen.

    ``program``: a pip command run as it is (called as ``pip``: the one ``PATH`` finds next).
    Otherwise ``python`` runs ``script`` (the environment's ``pip``), or ``-m pip``.
    ``executable``, the interpreter, is found lazily for a program (only building needs it).
    """

    def __init__(
        self,
        reason: str,
        *,
        python: str | None = None,
        script: str | None = None,
        program: str | None = None,
        pip_known: bool = True,
    ) -> None:
        self.reason = reason
        self._python = python
        self.script = script
        self.program = program
        #: There is evidence that pip is there (a script): safepip may hand over to it (exec).
        self.pip_known = pip_known

    @property
    def executable(self) -> str:
        """The interpreter pip runs in (asked of the program the first time, if need be)."""
        if self._python is None:
            assert self.program is not None  # noqa: S101 - one of the two is always given
            self._python = interpreter_of(self.program)
        return self._python

    @property
    def prefix(self) -> str | None:
        """The environment pip runs in, by its layout (``PREFIX/bin/python``, ``PREFIX/bin/pip``,
        ``PREFIX\\Scripts\\pip.exe``): where pip reads its ``pip.conf`` for the environment.
        Asks no process."""
        path = self._python or self.script or self.program
        if not path or os.sep not in path:
            return None
        return os.path.dirname(os.path.dirname(path))

    @property
    def name(self) -> str:
        """What is run, for messages."""
        return self.program or self._python or ""

    def pip_command(self) -> list[str]:
        if self.program is not None:
            return [self.program]
        if self.script is not None:
            return [self.executable, self.script]
        return [self.executable, "-m", "pip"]


# os.path rather than pathlib: pathlib costs pass-through start-up several milliseconds.
def _environment_python(prefix: str) -> str:
    if _WINDOWS:
        # venvs keep python.exe in Scripts\, conda environments at their root.
        for candidate in (
            os.path.join(prefix, "Scripts", "python.exe"),
            os.path.join(prefix, "python.exe"),
        ):
            if os.path.exists(candidate):
                return candidate
        return os.path.join(prefix, "Scripts", "python.exe")
    return os.path.join(prefix, "bin", "python")


def _is_program(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _program_names(name: str, environ: Mapping[str, str]) -> list[str]:
    """``pip``; on Windows ``pip.exe`` and the rest of PATHEXT, as its shells look them up."""
    if not _WINDOWS or os.path.splitext(name)[1]:
        return [name]
    extensions = environ.get("PATHEXT", ".COM;.EXE;.BAT;.CMD").split(os.pathsep)
    return [name + extension.lower() for extension in extensions if extension]


def _pip_beside(python: str) -> str | None:
    """The ``pip`` script in the interpreter's folder, when it is that interpreter's (its
    shebang says so: ``/usr/bin/pip`` may be another Python's). POSIX: Windows runs ``-m pip``."""
    if _WINDOWS:
        return None
    script = os.path.join(os.path.dirname(python), "pip")
    if not os.path.isfile(script):
        return None
    runs_in = _shebang_python(script)
    if runs_in is None or os.path.realpath(runs_in) != os.path.realpath(python):
        return None
    return script


def _checked(path: str, reason: str) -> str:
    found: str | None = path
    if os.sep not in path and not (os.altsep and os.altsep in path):
        # A bare name (SAFEPIP_PYTHON=python3.12) is looked up on PATH, as a shell would.
        found = which(path, os.environ)
    if not found or not os.path.isfile(found):
        raise SafepipError(f"the Python interpreter {path} ({reason}) does not exist")
    if not os.access(found, os.X_OK):
        raise SafepipError(f"the Python interpreter {path} ({reason}) is not executable")
    return found


def _own_scripts() -> set[str]:
    """The files that are safepip itself (a ``pip`` resolving to one of them is a launcher)."""
    own = set()
    for path in (sys.argv[0] if sys.argv else "", os.path.join(_bin_of_this(), "safepip")):
        if path:
            own.add(os.path.realpath(path))
    return own


def _bin_of_this() -> str:
    return os.path.dirname(sys.executable) if sys.executable else ""


def which(name: str, environ: Mapping[str, str], *, skip_launchers: bool = False) -> str | None:
    """The ``name`` a shell would run from ``PATH``; with ``skip_launchers``, the one it would
    run next after safepip's own launchers (their folders, and anything resolving to safepip)."""
    own = _own_scripts() if skip_launchers else set()
    seen: set[str] = set()
    names = _program_names(name, environ)
    for folder in environ.get("PATH", os.defpath).split(os.pathsep):
        for candidate in (os.path.join(folder or ".", each) for each in names):
            if not _is_program(candidate):
                continue
            if skip_launchers:
                if os.path.exists(os.path.join(folder or ".", LAUNCHERS_MARKER)):
                    break
                real = os.path.realpath(candidate)
                if real in own or real in seen or _is_launcher(candidate):
                    continue
                seen.add(real)
            return candidate
    return None


def _is_launcher(path: str) -> bool:
    """Whether ``path`` starts with a launcher's header (a copy of one, far from its marker)."""
    try:
        with open(path, "rb") as file:
            return file.read(len(LAUNCHER_HEADER)) == LAUNCHER_HEADER
    except OSError:
        return False


def _environment(python: str, reason: str) -> TargetPython:
    script = _pip_beside(python)
    return TargetPython(reason, python=python, script=script, pip_known=script is not None)


def _pip_on_path(name: str, environ: Mapping[str, str], why: str) -> TargetPython:
    found = which(name, environ, skip_launchers=True)
    if found is None:
        raise SafepipError(
            f"there is no `{name}` on PATH ({why}) other than safepip's own: activate an "
            "environment, or set $SAFEPIP_PYTHON to the Python whose pip safepip should run"
        )
    return TargetPython(f"`{name}` on PATH, {why}", program=found)


def _is_application_environment(prefix: str) -> bool:
    return any(os.path.exists(os.path.join(prefix, marker)) for marker in APPLICATION_MARKERS)


def pip_name(name: str | None) -> str | None:
    """``pip``, ``pip3``, ``pip3.12``: the command name safepip was called as, if one of those."""
    if name and name.startswith("pip") and (name == "pip" or name[3:].replace(".", "").isdigit()):
        return name
    return None


def choose_python(
    environ: Mapping[str, str], note: list[str] | None = None, *, invoked: str | None = None
) -> TargetPython:
    """Pick the pip to run, or say in one line why there is none.

    ``invoked``: the name safepip was called as (``$SAFEPIP_INVOKED_AS``, read by the caller,
    which keeps it from pip). ``note`` collects one line for the user (a stale ``$VIRTUAL_ENV``),
    said before pip runs.
    """
    explicit = environ.get("SAFEPIP_PYTHON")
    if explicit:
        python = _checked(explicit, "from $SAFEPIP_PYTHON")
        # `-m pip`, as asked; a pip script beside it is the (cheap) sign that pip is there.
        return TargetPython(
            "from $SAFEPIP_PYTHON", python=python, pip_known=_pip_beside(python) is not None
        )
    called = pip_name(invoked)
    if called is not None:
        return _pip_on_path(called, environ, f"as `{called}` would run without safepip")
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = environ.get(variable)
        if not prefix:
            continue
        if variable == "VIRTUAL_ENV" and not os.path.isdir(prefix):
            if note is not None:
                note.append(
                    f"${variable} names {prefix}, which no longer exists: using pip on PATH"
                )
            return _pip_on_path("pip", environ, f"${variable} is stale")
        return _environment(
            _checked(_environment_python(prefix), f"the environment in ${variable}"),
            f"the environment in ${variable}",
        )
    if not sys.executable:
        raise SafepipError("cannot tell which Python safepip runs in: set $SAFEPIP_PYTHON")
    if _is_application_environment(sys.prefix):
        return _pip_on_path("pip", environ, "safepip's own environment is an application's")
    return _environment(sys.executable, "the environment safepip is installed in")


def interpreter_of(program: str) -> str:
    """The Python a pip command runs in: its shebang, else what ``pip --version`` says."""
    found = _shebang_python(program)
    if found is None:
        found = _asked_python(program)
    if found is None:
        raise SafepipError(
            f"cannot tell which Python {program} runs in: set $SAFEPIP_PYTHON to that Python"
        )
    return found


def _shebang_python(program: str) -> str | None:
    """``#!/venv/bin/python``, or pip's ``#!/bin/sh`` + ``'''exec' "/long path/python"`` form."""
    try:
        with open(program, "rb") as handle:
            head = handle.read(2048).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    if not head or not head[0].startswith("#!"):
        return None
    words = head[0][2:].split()
    if words[:1] == ["/bin/sh"] and len(head) > 1 and head[1].startswith("'''exec'"):
        import shlex

        try:
            words = shlex.split(head[1])[1:2]
        except ValueError:
            return None
    elif words and os.path.basename(words[0]) == "env" and len(words) > 1:
        located = which(words[1], os.environ)
        words = [located] if located else []
    if words and os.path.basename(words[0]).startswith("python") and _is_program(words[0]):
        return words[0]
    return None


def _asked_python(program: str) -> str | None:
    """From ``pip X from /prefix/lib/pythonX.Y/site-packages/pip (python X.Y)`` (a shim...)."""
    import subprocess

    try:
        result = subprocess.run(
            [program, "--version"], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = result.stdout.strip()
    if " from " not in text or "(python " not in text:
        return None
    location = text.split(" from ", 1)[1].rsplit(" (python ", 1)[0]
    version = text.rsplit("(python ", 1)[1].rstrip(")")
    cut = location.rfind(os.sep + "lib" + os.sep)
    if cut > 0:
        folder = os.path.join(location[:cut], "bin")
        for name in (f"python{version}", "python3", "python"):
            candidate = os.path.join(folder, name)
            if _is_program(candidate):
                return candidate
    return which(f"python{version}", os.environ)


def raise_if_pip_missing(status: int, lines: list[str], target: TargetPython) -> None:
    """Turn Python's "No module named pip" (the whole of the output) into one clear line."""
    if (
        status == 1
        and target.program is None
        and len(lines) <= 2
        and any(line.rstrip().endswith("No module named pip") for line in lines)
    ):
        raise SafepipError(
            f"{target.executable} ({target.reason}) has no pip: install it with "
            f"`{target.executable} -m ensurepip --upgrade`, or choose another interpreter"
        )
