"""safepip's entry point: split the command line, run pip, and keep one error boundary."""

from __future__ import annotations

import os
import sys

from safepip import __version__
from safepip.errors import SafepipError, guarded, say
from safepip.options import HELP_OPTION, VERSION_OPTION, Invocation, parse_command_line

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Sequence

    from safepip.target import TargetPython

#: safepip's own commands, by a name pip does not use, and the module that runs each: its
#: ``run(args, options)`` gets the words after the command name and safepip's own options.
OWN_COMMANDS: dict[str, str] = {
    "diagnose": "safepip.commands.diagnose",
    "doctor": "safepip.commands.doctor",
    "shell-init": "safepip.commands.shell_init",
    "shim": "safepip.commands.shim",
    "config-show": "safepip.commands.config_show",
    "memory": "safepip.commands.memory",
}

HELP = f"""\
usage: safepip [SAFEPIP OPTIONS] [PIP OPTIONS] <pip command> [ARGS...]

safepip runs pip with every argument passed through unchanged, and explains build failures pip
only reports, such as a build backend missing from [build-system] requires.

safepip's own options (before the pip command; each also read from the environment):
  --yes            apply a proposed fix without asking            SAFEPIP_YES=1
  --no-fix         never change anything, only explain            SAFEPIP_NO_FIX=1
  --report FILE    write a JSON report of the run to FILE         SAFEPIP_REPORT=FILE
  {HELP_OPTION}   show this help (`--help` and `-h` are pip's)
  {VERSION_OPTION} show safepip's version (`--version` and `-V` are pip's)

safepip's own commands (names pip does not use):
  safepip diagnose [LOG|-|--last] [--json]   explain the build failures in a saved pip log
  safepip doctor [PATH ...] [--json] [--fix] check [build-system] before pip runs
  safepip shell-init [bash|zsh|fish|powershell]  make `pip` run safepip in your shell
  safepip shim DIR [--github]                launchers: every `pip` on PATH runs safepip
  safepip config-show [--json]               the effective configuration and its sources
  safepip memory [list|show NAME|remove NAME|purge]  the fixed wheels safepip remembers

Which pip runs: the one you would have got without safepip. $SAFEPIP_PYTHON (`-m pip`); called
as pip/pip3 (shell-init, launchers): the one PATH finds next; else the active environment
($VIRTUAL_ENV, then $CONDA_PREFIX); else the environment safepip is installed in, unless pipx or
`uv tool` made it: then the pip on PATH. pip's own --python option is passed to pip unchanged.
`safepip --version` is pip's, and names it.
"""


def _show_version() -> str:
    return f"safepip {__version__} (Python {sys.version.split()[0]} at {sys.executable})\n"


#: pip's commands that may build: they get the relay, the diagnosis and the fixes.
BUILDING_COMMANDS = frozenset({"install", "wheel", "download"})
#: safepip's flags that pip does not have, for the hint when they follow the pip command.
_OWN_FLAGS = ("--yes", "--no-fix", HELP_OPTION, VERSION_OPTION)
#: pip exits with this status on a usage error (``no such option: --yes``).
_PIP_USAGE_ERROR = 2


def _run_pip(invocation: Invocation) -> int:
    from safepip.target import choose_python

    notes: list[str] = []
    target = choose_python(os.environ, notes, invoked=invocation.invoked_as)
    for note in notes:
        say(f"note: {note}")
    command = invocation.command
    misplaced = _misplaced_own_flag(invocation)
    # Called as safepip, pip's help gets one line pointing to safepip's own; called as pip
    # (shell-init, launchers), pip's help is pip's alone, byte for byte.
    shows_help = (
        command is None
        and invocation.invoked_as is None
        and (not invocation.pip_args or bool({"-h", "--help"} & set(invocation.pip_args)))
    )
    if (
        command not in BUILDING_COMMANDS
        and target.pip_known
        and not shows_help
        and misplaced is None
    ):
        _hand_over([*target.pip_command(), *invocation.pip_args], target)

    from safepip.running.relay import ChildStartError

    try:
        if command in BUILDING_COMMANDS:
            # Commands that may build get the configuration, the diagnosis and the fixes (read
            # only if pip fails: safepip/building.py); the rest only the relay.
            from safepip.building import run_building

            status = run_building(invocation, target)
        else:
            status = _relay_only(invocation, target)
            if shows_help and status == 0:
                say(f"safepip's own options and commands: safepip {HELP_OPTION}")
    except ChildStartError as exc:
        reason = exc.strerror or exc
        raise SafepipError(f"cannot run {target.name} ({target.reason}): {reason}") from exc
    if misplaced is not None and status == _PIP_USAGE_ERROR:
        say(
            f"{misplaced} is safepip's own option: put it before the pip command "
            f"(safepip {misplaced} {command} ...)"
        )
    return status


def _misplaced_own_flag(invocation: Invocation) -> str | None:
    """One of safepip's own flags given after the pip command (where it is pip's argument)."""
    command = invocation.command
    if command is None:
        return None
    args = invocation.pip_args
    rest = args[args.index(command) + 1 :]
    if "--" in rest:
        rest = rest[: rest.index("--")]
    return next((arg for arg in rest if arg in _OWN_FLAGS), None)


def _hand_over(argv: list[str], target: TargetPython) -> None:
    """Replace safepip with pip (POSIX): its status, signals and terminal are then pip's own.

    Returns only on Windows, where exec would start a new process and the console would not
    wait for it: there the relay runs pip as before. (Nothing of the relay is imported here:
    this is every pass-through command's path.)
    """
    if sys.platform == "win32":
        return
    if TYPE_CHECKING:
        import signal as _signal
    else:
        import _signal  # the C module under signal: without importing enum (start-up time)

    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib costs start-up here
            stream.flush()  # a note said before pip's first byte
        except (AttributeError, OSError, ValueError):  # noqa: PERF203 - two streams
            pass
    # Signals Python ignores stay ignored across exec: pip must get SIGPIPE and SIGXFSZ back.
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(_signal, name):
            _signal.signal(getattr(_signal, name), _signal.SIG_DFL)
    try:
        os.execv(argv[0], argv)  # noqa: S606 - the pip the user would have run, their arguments
    except OSError as exc:
        raise SafepipError(
            f"cannot run {target.name} ({target.reason}): {exc.strerror or exc}"
        ) from exc


def _relay_only(invocation: Invocation, target: TargetPython) -> int:
    from safepip.reading.consumer import TailRecorder
    from safepip.running import run_command
    from safepip.target import raise_if_pip_missing

    tail = TailRecorder(limit=20)
    status = run_command([*target.pip_command(), *invocation.pip_args], tail)
    raise_if_pip_missing(status, tail.text() if tail.count <= 2 else [], target)
    return status


def _dispatch(argv: Sequence[str]) -> int:
    invocation = parse_command_line(argv, os.environ)
    # The name safepip was called as chooses pip; pip itself must not inherit it.
    invocation.invoked_as = os.environ.pop("SAFEPIP_INVOKED_AS", None)
    if invocation.options.show_help:
        sys.stdout.write(HELP)
        return 0
    if invocation.options.show_version:
        sys.stdout.write(_show_version())
        return 0
    own = OWN_COMMANDS.get(invocation.command or "")
    if own is not None:
        import importlib

        # Every own command's run() takes its own words and safepip's own options
        # (``safepip --no-fix config-show``, ``safepip --yes doctor --fix``).
        index = invocation.pip_args.index(invocation.command or "")
        command_run = importlib.import_module(own).run
        return int(command_run(invocation.pip_args[index + 1 :], invocation.options))
    return _run_pip(invocation)


def main(argv: Sequence[str] | None = None) -> int:
    """Run safepip with ``argv`` (default: the process's arguments); return the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    return guarded(lambda: _dispatch(args))
