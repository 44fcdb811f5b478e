"""safepip's entry point: split the command line, run pip, and keep one error boundary."""

from __future__ import annotations

import os
import sys

from safepip import __version__
from safepip.errors import SafepipError, guarded
from safepip.options import HELP_OPTION, VERSION_OPTION, Invocation, parse_command_line

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Sequence

    from safepip.target import TargetPython

#: safepip's own commands, by a name pip does not use, and the module that runs each.
OWN_COMMANDS: dict[str, str] = {
    "diagnose": "safepip.commands.diagnose",
    "doctor": "safepip.commands.doctor",
    "shell-init": "safepip.commands.shell_init",
    "shim": "safepip.commands.shim",
    "config-show": "safepip.commands.config_show",
}

HELP = f"""\
usage: safepip [SAFEPIP OPTIONS] [PIP OPTIONS] <pip command> [ARGS...]

safepip runs pip (`<python> -m pip`) with every argument passed through unchanged, and explains
build failures pip only reports, such as a build backend missing from [build-system] requires.

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

Which pip runs: the interpreter in $SAFEPIP_PYTHON; else the active environment ($VIRTUAL_ENV,
then $CONDA_PREFIX); else the interpreter safepip is installed in. pip's own --python option is
passed to pip unchanged.
"""


def _show_version() -> str:
    return f"safepip {__version__} (Python {sys.version.split()[0]} at {sys.executable})\n"


def _run_pip(invocation: Invocation) -> int:
    from safepip.running.relay import ChildStartError
    from safepip.target import choose_python

    target = choose_python(os.environ)
    try:
        if invocation.command in {"install", "wheel", "download"}:
            # Commands that may build get the configuration, the diagnosis and the fixes; the
            # rest only the relay, and pay for none of it.
            from safepip import knowledge
            from safepip.config import effective_options, load_config
            from safepip.session import run_session

            config = load_config(os.environ)
            invocation.options, _ = effective_options(invocation.options, os.environ, config)
            knowledge.USER_PROVIDERS.update(config.providers())
            return run_session(invocation, target, config)
        return _relay_only(invocation, target)
    except ChildStartError as exc:
        reason = exc.strerror or exc
        raise SafepipError(f"cannot run {target.executable} ({target.reason}): {reason}") from exc


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
    if invocation.options.show_help:
        sys.stdout.write(HELP)
        return 0
    if invocation.options.show_version:
        sys.stdout.write(_show_version())
        return 0
    own = OWN_COMMANDS.get(invocation.command or "")
    if own is not None:
        import importlib

        index = invocation.pip_args.index(invocation.command or "")
        command_main = importlib.import_module(own).run
        return int(command_main(invocation.pip_args[index + 1 :]))
    return _run_pip(invocation)


def main(argv: Sequence[str] | None = None) -> int:
    """Run safepip with ``argv`` (default: the process's arguments); return the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    return guarded(lambda: _dispatch(args))
