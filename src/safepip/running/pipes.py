"""Running pip with plain pipes: CI, redirections, Windows.

stdout and stderr stay two streams, each relayed byte for byte as it arrives. When the user's
stdout is closed early (``safepip list | head -1``), pip's stdout is closed too, so pip meets the
same broken pipe it would have met on its own.

On POSIX the child is started with ``os.posix_spawn`` and both pipes are read in one loop with
``poll``: importing ``subprocess`` and ``threading`` would cost every pass-through command about
ten milliseconds of start-up. Windows, which has neither, uses ``subprocess`` and a thread a pipe.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import silence_stdout
from safepip.reading.consumer import STDERR, STDOUT
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
else:
    # The C module under signal: the same calls, without importing enum (start-up time).
    import _signal as signal

CHUNK_SIZE = 64 * 1024
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
    """Copies one of pip's pipes to one of our descriptors, and lines to the consumer."""

    def __init__(self, source: int, target: int, feed: LineFeed) -> None:
        self.source = source
        self.output = Output(target)
        self.feed = feed
        #: Held while feeding the consumer, when two threads share it (never while reading).
        self.lock: AbstractContextManager[object] | None = None

    def pump(self) -> bool:
        """Relay what is there; False at the end of the stream (or when our reader has gone)."""
        data = os.read(self.source, CHUNK_SIZE)
        if not data:
            return False
        self.output.write(data)
        if self.output.closed:
            # The reader went away: close pip's pipe so pip finds out as it would have.
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


def _install_handlers(send: Callable[[int], None], interrupted: list[bool]) -> dict[int, object]:
    """While pip runs, Ctrl-C is pip's to handle; a SIGTERM or SIGHUP sent to safepip is passed on.

    The terminal sends SIGINT to pip too (same process group): pip decides what it means, and
    ``interrupted`` records that it came, so that safepip stops once pip has exited.
    """

    def note(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        interrupted.append(True)

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        try:
            send(signum)
        except ProcessLookupError:
            pass  # pip has already gone

    previous: dict[int, object] = {signal.SIGINT: signal.signal(signal.SIGINT, note)}
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signum = getattr(signal, name)
            previous[signum] = signal.signal(signum, forward)
    return previous


def _restore_handlers(previous: dict[int, object]) -> None:
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
) -> int:
    """Run ``argv``; relay its stdout/stderr to ours as they come; return the exit status.

    ``threaded`` picks the Windows way (subprocess and threads); by default, where it is needed.
    """
    out_fd = _stream_fd(sys.stdout, 1) if stdout_fd is None else stdout_fd
    err_fd = _stream_fd(sys.stderr, 2) if stderr_fd is None else stderr_fd
    flush_own_output()
    if threaded is None:
        threaded = not hasattr(os, "posix_spawn")
    interrupted: list[bool] = []
    relays, status = (_run_threaded if threaded else _run_spawned)(
        argv, consumer, env, out_fd, err_fd, interrupted=interrupted
    )
    if relays[0].output.closed:
        silence_stdout(out_fd)
    report_output_failures(relays[0].output, relays[1].output)
    raise_if_interrupted(bool(interrupted), status)
    return status


def _run_spawned(
    argv: Sequence[str],
    consumer: LineConsumer,
    env: Mapping[str, str] | None,
    out_fd: int,
    err_fd: int,
    *,
    interrupted: list[bool],
) -> tuple[list[_Relay], int]:
    import select

    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        pid = os.posix_spawn(
            argv[0],
            list(argv),
            os.environ if env is None else env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, out_write, 1),
                (os.POSIX_SPAWN_DUP2, err_write, 2),
            ],
            setsigdef=_RESTORED_SIGNALS,
        )
    except BaseException as exc:
        for fd in (out_read, err_read):
            os.close(fd)
        if isinstance(exc, OSError):
            raise ChildStartError(exc.errno, exc.strerror) from exc
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    relays = [
        _Relay(out_read, out_fd, LineFeed(STDOUT, consumer)),
        _Relay(err_read, err_fd, LineFeed(STDERR, consumer)),
    ]
    by_fd = {relay.source: relay for relay in relays}
    previous = (
        _install_handlers(lambda signum: os.kill(pid, signum), interrupted)
        if _in_main_thread()
        else {}
    )
    wait_status = None
    try:
        poller = select.poll()
        for fd in by_fd:
            poller.register(fd, select.POLLIN)
        while by_fd:
            for fd, _ in poller.poll():
                if not by_fd[fd].pump():
                    poller.unregister(fd)
                    by_fd.pop(fd).finish()
        _, wait_status = os.waitpid(pid, 0)
    finally:
        for relay in by_fd.values():
            relay.finish()  # closes pip's pipes: a pip still writing finds out, and exits
        if wait_status is None:
            os.waitpid(pid, 0)  # never leave pip behind, whatever went wrong here
        _restore_handlers(previous)
    return relays, exit_status(os.waitstatus_to_exitcode(wait_status))


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
    previous = _install_handlers(process.send_signal, interrupted) if _in_main_thread() else {}
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
