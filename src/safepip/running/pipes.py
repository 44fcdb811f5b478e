"""Running pip with its output relayed: pipes, and a pty for each of our streams on a terminal.

pip is started in safepip's own process group, with the user's stdin and controlling terminal
untouched: prompts, passwords (``getpass`` opens ``/dev/tty``), Ctrl-C, Ctrl-Z, ``fg``, ``&`` and a
piped stdin then behave exactly as with pip alone. Only pip's output goes through safepip. Each of
stdout and stderr that is a terminal gets a pty slave (one pty shared when both are, which keeps
their interleaving), so pip keeps its colours and progress bars; the other gets a pipe. One
``poll`` loop relays them all, byte for byte as they arrive. When the user's stdout is a pipe that
is closed early (``safepip list | head -1``), pip's stdout is closed too, so pip meets the same
broken pipe it would have met on its own.

On POSIX the child is started with ``os.posix_spawn``: importing ``subprocess`` and ``threading``
would cost about ten milliseconds of start-up. Windows, which has neither, uses ``subprocess``
and a thread a pipe, and no pty.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import silence_stdout
from safepip.reading.consumer import STDERR, STDOUT, TERMINAL
from safepip.running.relay import (
    ChildStartError,
    LineFeed,
    Output,
    exit_status,
    flush_own_output,
    raise_if_interrupted,
    report_output_failures,
)

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    import signal
    from collections.abc import Callable, Mapping, Sequence
    from contextlib import AbstractContextManager
    from types import FrameType

    from safepip.reading.consumer import LineConsumer
    from safepip.running.terminal import Terminal
else:
    # The C module under signal: the same calls, without importing enum (start-up time).
    import _signal as signal

CHUNK_SIZE = 64 * 1024
_EIO = 5  # errno.EIO (the errno module is not needed for one number)
#: Signals Python ignores or catches that pip must get back at their defaults, as subprocess's
#: restore_signals does (SIGPIPE above all: pip handles a closed stdout itself).
_RESTORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)


def _stream_fd(stream: object, default: int) -> int:
    try:
        return stream.fileno()  # type: ignore[attr-defined, no-any-return]
    except (AttributeError, OSError, ValueError):
        return default


class _Relay:
    """Copies one of pip's pipes (or a pty master) to one of our descriptors, and lines to the
    consumer."""

    def __init__(self, source: int, target: int, feed: LineFeed, *, pty: bool = False) -> None:
        self.source = source
        self.output = Output(target)
        self.feed = feed
        self.pty = pty
        #: Held while feeding the consumer, when two threads share it (never while reading).
        self.lock: AbstractContextManager[object] | None = None

    def pump(self) -> bool:
        """Relay what is there; False at the end of the stream (or when our reader has gone)."""
        try:
            data = os.read(self.source, CHUNK_SIZE)
        except OSError as exc:
            if self.pty and exc.errno == _EIO:  # Linux: every holder of the pty slave has gone
                return False
            raise
        if not data:
            return False
        self.output.write(data)
        if self.output.closed and not self.pty:
            # The reader went away: close pip's pipe so pip finds out as it would have. (A pty
            # is drained instead: pip would never learn, and would block once it is full.)
            return False
        if self.lock is None:
            self.feed.feed(data)
        else:
            with self.lock:
                self.feed.feed(data)
        return True

    def finish(self) -> None:
        if self.lock is None:
            self.feed.finish()
        else:
            with self.lock:
                self.feed.finish()
        os.close(self.source)


#: Seconds after a SIGINT to safepip before it is passed on to a pip that is still running.
INTERRUPT_GRACE = 2.0


def _install_handlers(
    send: Callable[[int], None],
    interrupted: list[bool],
    resize: Callable[[], None] | None = None,
) -> dict[int, object]:
    """While pip runs, Ctrl-C is pip's to handle; a SIGTERM or SIGHUP sent to safepip is passed on.

    The terminal sends SIGINT to pip too (same process group): pip decides what it means, and
    ``interrupted`` records that it came, so that safepip stops once pip has exited. A SIGINT
    sent to safepip's pid alone (``kill -INT``, a supervisor) never reaches pip: no signal says
    who sent it, so a pip still running :data:`INTERRUPT_GRACE` seconds after safepip's first
    SIGINT gets it passed on, once (a pip that got the terminal's has exited by then). Ctrl-Z
    (SIGTSTP) is left alone: it stops safepip and pip together, and ``fg`` resumes both.
    With a pty, SIGWINCH copies the user's window size to it (``resize``).
    """

    timer = hasattr(signal, "setitimer") and hasattr(signal, "SIGALRM")

    def note(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        interrupted.append(True)
        if timer and len(interrupted) == 1:
            signal.setitimer(signal.ITIMER_REAL, INTERRUPT_GRACE)

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        try:
            send(signum)
        except ProcessLookupError:
            pass  # pip has already gone

    def late(signum: int, frame: FrameType | None) -> None:
        # pip still runs after the grace: the SIGINT was safepip's alone. Pass it on.
        del signum
        forward(signal.SIGINT, frame)

    if not _in_main_thread():
        return {}  # signal.signal works only in the main thread
    previous: dict[int, object] = {signal.SIGINT: signal.signal(signal.SIGINT, note)}
    if timer:
        previous[signal.SIGALRM] = signal.signal(signal.SIGALRM, late)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signum = getattr(signal, name)
            previous[signum] = signal.signal(signum, forward)
    if resize is not None and hasattr(signal, "SIGWINCH"):

        def follow(signum: int, frame: FrameType | None) -> None:
            del frame
            resize()
            # pip got the terminal's SIGWINCH too, maybe before its pty had the new size: a
            # second one, now that it has, makes sure that what pip reads is right.
            try:
                send(signum)
            except ProcessLookupError:
                pass

        previous[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, follow)
    return previous


def _restore_handlers(previous: dict[int, object]) -> None:
    if hasattr(signal, "SIGALRM") and signal.SIGALRM in previous:
        signal.setitimer(signal.ITIMER_REAL, 0)  # pip has exited: nothing left to pass on
    for signum, handler in previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type, unused-ignore]


def _in_main_thread() -> bool:
    # signal.signal works only there; "threading" is imported already wherever threads exist.
    threading = sys.modules.get("threading")
    return threading is None or threading.current_thread() is threading.main_thread()


def run_with_pipes(
    argv: Sequence[str],
    consumer: LineConsumer,
    *,
    env: Mapping[str, str] | None = None,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
    threaded: bool | None = None,
    terminal: Terminal = "",
    stdin_fd: int | None = None,
) -> int:
    """Run ``argv``; relay its stdout/stderr to ours as they come; return the exit status.

    ``terminal`` names the streams that get a pty rather than a pipe: ``"both"`` (one shared
    pty), ``"stdout"``, ``"stderr"`` or ``""`` (POSIX only). ``stdin_fd``: pip's stdin, when it
    is not ours (tests). ``threaded`` picks the Windows way (subprocess and threads); by default,
    where it is needed.
    """
    out_fd = _stream_fd(sys.stdout, 1) if stdout_fd is None else stdout_fd
    err_fd = _stream_fd(sys.stderr, 2) if stderr_fd is None else stderr_fd
    flush_own_output()
    if threaded is None:
        threaded = not hasattr(os, "posix_spawn")
    interrupted: list[bool] = []
    if threaded:
        relays, status = _run_threaded(argv, consumer, env, out_fd, err_fd, interrupted=interrupted)
    else:
        relays, status = _run_spawned(
            argv,
            consumer,
            env,
            out_fd,
            err_fd,
            interrupted=interrupted,
            terminal=terminal,
            stdin_fd=stdin_fd,
        )
    if any(relay.output.closed and relay.output.fd == out_fd for relay in relays):
        silence_stdout(out_fd)
    report_output_failures(*(relay.output for relay in relays))
    raise_if_interrupted(bool(interrupted), status)
    return status


class _Streams:
    """pip's stdout and stderr as they are spawned: a pipe each, or a pty for the terminal ones.

    ``actions`` are posix_spawn's; ``readers`` our ends; ``child_ends`` pip's, closed once it
    runs; ``relays`` one per reader (a shared pty is one); ``resize`` follows SIGWINCH.
    """

    def __init__(
        self,
        consumer: LineConsumer,
        out_fd: int,
        err_fd: int,
        terminal: Terminal,
        stdin_fd: int | None = None,
    ) -> None:
        self.actions: list[tuple[int, int, int]] = []
        if stdin_fd is not None and stdin_fd != 0:
            self.actions.append((os.POSIX_SPAWN_DUP2, stdin_fd, 0))
        self.readers: list[int] = []
        self.child_ends: list[int] = []
        self.relays: list[_Relay] = []
        self.resize: Callable[[], None] | None = None
        master = slave = -1
        if terminal:
            from safepip.running.terminal import open_pty

            master, slave, self.resize = open_pty(out_fd if terminal != "stderr" else err_fd)
            self.readers.append(master)
            self.child_ends.append(slave)
            label = TERMINAL if terminal == "both" else terminal
            self.relays.append(_Relay(master, out_fd if label != STDERR else err_fd,
                                      LineFeed(label, consumer), pty=True))  # fmt: skip
        for child_fd, target, label in ((1, out_fd, STDOUT), (2, err_fd, STDERR)):
            if terminal in {"both", label}:
                self.actions.append((os.POSIX_SPAWN_DUP2, slave, child_fd))
                continue
            read_end, write_end = os.pipe()
            self.readers.append(read_end)
            self.child_ends.append(write_end)
            self.actions.append((os.POSIX_SPAWN_DUP2, write_end, child_fd))
            self.relays.append(_Relay(read_end, target, LineFeed(label, consumer)))


class _Child:
    """pip's process once spawned: a signal passed on before it runs waits for it."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._pending: list[int] = []

    def send(self, signum: int) -> None:
        if self._pid is None:
            self._pending.append(signum)
        elif self._pid > 0:
            os.kill(self._pid, signum)

    def reaped(self) -> None:
        """pip's pid is no longer pip's: nothing more is sent to it."""
        self._pid = -1

    def started(self, pid: int) -> None:
        self._pid = pid
        pending, self._pending = self._pending, []
        for signum in pending:
            self._deliver(signum)

    def _deliver(self, signum: int) -> None:
        try:
            self.send(signum)
        except ProcessLookupError:
            pass  # pip has already gone


def _run_spawned(
    argv: Sequence[str],
    consumer: LineConsumer,
    env: Mapping[str, str] | None,
    out_fd: int,
    err_fd: int,
    *,
    interrupted: list[bool],
    terminal: Terminal = "",
    stdin_fd: int | None = None,
) -> tuple[list[_Relay], int]:
    import select

    streams = None
    child = _Child()
    previous: dict[int, object] = {}
    try:
        streams = _Streams(consumer, out_fd, err_fd, terminal, stdin_fd)
        # Before pip starts: a resize (or a signal) that comes while it starts is not lost.
        previous = _install_handlers(child.send, interrupted, streams.resize)
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            os.environ if env is None else env,
            file_actions=streams.actions,
            setsigdef=_RESTORED_SIGNALS,
        )
        child.started(pid)
    except BaseException as exc:
        _restore_handlers(previous)
        for fd in streams.readers if streams else []:
            os.close(fd)
        if isinstance(exc, OSError):
            raise ChildStartError(exc.errno, exc.strerror) from exc
        raise
    finally:
        for fd in streams.child_ends if streams else []:
            os.close(fd)
    by_fd = {relay.source: relay for relay in streams.relays}
    wait_status = None
    try:
        poller = select.poll()
        for fd in by_fd:
            poller.register(fd, select.POLLIN)
        while by_fd:
            for fd, _ in poller.poll():
                if fd in by_fd and not by_fd[fd].pump():
                    poller.unregister(fd)
                    by_fd.pop(fd).finish()
        _, wait_status = os.waitpid(pid, 0)
        child.reaped()
    finally:
        for relay in by_fd.values():
            relay.finish()  # closes pip's pipes: a pip still writing finds out, and exits
        if wait_status is None:
            os.waitpid(pid, 0)  # never leave pip behind, whatever went wrong here
            child.reaped()
        _restore_handlers(previous)
    return streams.relays, exit_status(os.waitstatus_to_exitcode(wait_status))


def _run_threaded(
    argv: Sequence[str],
    consumer: LineConsumer,
    env: Mapping[str, str] | None,
    out_fd: int,
    err_fd: int,
    *,
    interrupted: list[bool],
) -> tuple[list[_Relay], int]:
    import subprocess
    import threading

    try:
        process = subprocess.Popen(
            list(argv),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=None if env is None else dict(env),
        )
    except OSError as exc:
        raise ChildStartError(exc.errno, exc.strerror) from exc
    assert process.stdout is not None  # noqa: S101 - Popen with PIPE guarantees it
    assert process.stderr is not None  # noqa: S101
    # Raw descriptors: the file objects would buffer, and each chunk must go out at once.
    relays = [
        _Relay(os.dup(process.stdout.fileno()), out_fd, LineFeed(STDOUT, consumer)),
        _Relay(os.dup(process.stderr.fileno()), err_fd, LineFeed(STDERR, consumer)),
    ]
    process.stdout.close()
    process.stderr.close()
    lock = threading.Lock()  # the consumer is fed from both threads
    for relay in relays:
        relay.lock = lock

    def pump(relay: _Relay) -> None:
        try:
            while relay.pump():
                pass
        finally:
            relay.finish()

    threads = [threading.Thread(target=pump, args=(relay,), daemon=True) for relay in relays]
    previous = _install_handlers(process.send_signal, interrupted)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)  # a timed join keeps the main thread responsive to signals
        returncode = process.wait()
    finally:
        _restore_handlers(previous)
    return relays, exit_status(returncode)
