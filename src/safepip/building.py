"""A building pip command (install, wheel, download): read pip's output only if pip fails.

Almost every ``pip install`` succeeds, and then safepip must cost what a pass-through command
costs. So when nothing has to happen before pip runs, pip runs with its output relayed as always
and only kept (:class:`~safepip.reading.spool.LineSpool`), and none of the reading, deciding or
applying machinery is imported. Only when pip exits non-zero does the session start
(``safepip.session``), and it reads that first run from what was kept, exactly as it would have
read it live: the same diagnosis and the same lines.

Something has to happen before pip runs, and the whole session runs from the start, when:
- a ``--report`` is asked for (it records every run);
- the configuration file (read only when there is one) asks for a report;
- a local project may get the pre-flight (a person can be asked, or ``--yes``, and the command
  names a local project).

docs/architecture.md, "Read only when pip fails"; the imports are held by tests/test_startup.py.
"""

from __future__ import annotations

import os

from safepip.errors import say
from safepip.fixmode import APPLY, EXPLAIN, nobody_to_ask
from safepip.options import env_flag

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.applying.reuse import Offer
    from safepip.config import Config
    from safepip.options import Invocation
    from safepip.reading.consumer import LineConsumer
    from safepip.reading.spool import LineSpool
    from safepip.target import TargetPython


def run_building(invocation: Invocation, target: TargetPython) -> int:
    """Run a building command under safepip's watch; pip's status (the last run's)."""
    _check_report_path(invocation.options.report)
    config = _configuration(invocation)
    offer = _offer(invocation, config, target)
    try:
        return _run(invocation, target, config, offer)
    finally:
        if offer is not None:
            offer.cleanup()


def _run(
    invocation: Invocation, target: TargetPython, config: Config | None, offer: Offer | None
) -> int:
    if _session_first(invocation, config):
        return _session(invocation, target, config, offer=offer)
    from safepip.reading.spool import LineSpool
    from safepip.running import run_command

    argv = [*target.pip_command(), *invocation.pip_args]
    spool = LineSpool()
    try:
        status = run_command(argv, spool)
        if status == 0:
            if offer is not None:
                spool.replay(offer)
                for entry in offer.seen:
                    say(f"reused the remembered fixed wheel of {entry.describe()}")
            return status
        if spool.lost is not None:
            # Nothing to read from (a full disk): pip's status stands, and that is said.
            say(
                f"could not keep pip's output to read it ({spool.lost.strerror or spool.lost}): "
                "no diagnosis"
            )
            return status
        return _session(
            invocation, target, config, first=_FirstRun(argv, status, spool), offer=offer
        )
    finally:
        spool.close()


def _offer(invocation: Invocation, config: Config | None, target: TargetPython) -> Offer | None:
    """The remembered fixed wheels for this command (safepip.applying.reuse), added to it as
    a ``--find-links`` folder; with an empty or absent store this costs one ``stat``."""
    from safepip.memory import store_exists, turned_off

    configured = config.memory if config is not None else None
    if turned_off(os.environ, configured) is not None or not store_exists(os.environ):
        return None
    try:
        cwd = os.getcwd()
    except FileNotFoundError:
        return None  # the session says so
    from safepip.applying.reuse import offer

    made, note = offer(
        invocation.pip_args, cwd, os.environ, configured=configured, prefix=target.prefix
    )
    if note is not None:
        say(note)
    if made is not None:
        words = [made.replaced.get(arg, arg) for arg in invocation.pip_args]
        invocation.pip_args = [*words, *made.args]
    return made


def _configuration(invocation: Invocation) -> Config | None:
    """The configuration file, read (with its options under the command line's), or None when
    there is none: then looking cost one ``stat``."""
    from safepip.places import config_file

    path, explicit = config_file(os.environ)
    if not explicit and not os.path.exists(path):
        return None
    from safepip.config import effective_options, load_config

    config = load_config(os.environ)
    invocation.options, _ = effective_options(invocation.options, config)
    _check_report_path(invocation.options.report)
    return config


def _session_first(invocation: Invocation, config: Config | None) -> bool:
    """Whether something happens before pip runs (see the module's docstring)."""
    if invocation.options.report is not None:
        return True
    try:
        os.getcwd()
    except FileNotFoundError:
        return True  # the session says so in one line, before pip runs
    return _preflight_possible(invocation, config)


def _preflight_possible(invocation: Invocation, config: Config | None) -> bool:
    """The pre-flight's own conditions, in the session's order (``Session._preflight``)."""
    if config is None:
        # No file: the fix mode is the command line's or the environment's, else "ask".
        fix = invocation.options.fix
        if fix == EXPLAIN:
            return False
        if fix != APPLY and nobody_to_ask(invocation.pip_args, os.environ) is not None:
            return False
    else:
        from safepip.config import resolve_fix

        if resolve_fix(invocation.options, config, pip_args=invocation.pip_args).mode == EXPLAIN:
            return False
    from safepip.reading.command import PipCommand

    if not PipCommand(invocation.pip_args, os.getcwd()).local_projects:
        return False
    return env_flag(os.environ, "SAFEPIP_PREFLIGHT") is not False


class _FirstRun:
    """The user's command as it already ran: the session's runner replays it once, then runs
    pip for real (its retries, safepip's own installs and builds)."""

    def __init__(self, argv: list[str], status: int, spool: LineSpool) -> None:
        self._argv = argv
        self._status = status
        self._spool: LineSpool | None = spool

    def run(
        self,
        argv: Sequence[str],
        consumer: LineConsumer,
        *,
        env: Mapping[str, str] | None = None,
    ) -> int:
        spool, self._spool = self._spool, None
        if spool is not None and list(argv) == self._argv and env is None:
            spool.replay(consumer)
            return self._status
        from safepip.running import run_command

        return run_command(argv, consumer, env=env)


def _session(
    invocation: Invocation,
    target: TargetPython,
    config: Config | None,
    first: _FirstRun | None = None,
    offer: Offer | None = None,
) -> int:
    from safepip.config import effective_options, load_config, resolve_fix
    from safepip.session import run_session

    if config is None:
        config = load_config(os.environ)  # none: an empty one, which knows where it would be
        invocation.options, _ = effective_options(invocation.options, config)
    fix = resolve_fix(invocation.options, config, pip_args=invocation.pip_args)
    if first is None:
        return run_session(invocation, target, config, fix, offer=offer)
    # pip has run: the session reads that run, and the pre-flight (which had nothing to do,
    # _preflight_possible) is not for after it.
    return run_session(
        invocation, target, config, fix, runner=first.run, preflight=False, offer=offer
    )


def _check_report_path(path: str | None) -> None:
    """The --report file must be writable before pip runs, not found unwritable after it."""
    if path is None:
        return
    from safepip.errors import SafepipError

    if path == "-":
        raise SafepipError(
            "--report needs a file name; `-` is not one (stdout is pip's): "
            "use --report /dev/stderr to see the report on the terminal"
        )
    if os.path.isdir(path):
        raise SafepipError(f"--report {path}: that is a folder, not a file")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise SafepipError(f"--report {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) and not os.access(path, os.W_OK):
        raise SafepipError(f"--report {path}: cannot write in {folder}")
