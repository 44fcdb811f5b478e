"""Running pip in a pty (pexpect), when the user watches a terminal.

pip then keeps what it only does on a terminal: colours, progress bars, prompts. The user's
keystrokes reach pip (stdin in raw mode, as ``pexpect.interact`` does), the window size is set at
start and follows SIGWINCH, and Ctrl-C reaches pip through its pty. safepip notes that the user
typed it (the pty's interrupt character, while the pty turns it into SIGINT) and, once pip has
exited, stops there.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType
from typing import TYPE_CHECKING, Any

from safepip.reading.consumer import TERMINAL
from safepip.running.relay import (
    ChildStartError,
    LineFeed,
    Output,
    flush_own_output,
    raise_if_interrupted,
    report_output_failures,
    write_all,
)

if TYPE_CHECKING:
    import pexpect

    from safepip.reading.consumer import LineConsumer

CHUNK_SIZE = 64 * 1024
STDIN_FD = 0
STDOUT_FD = 1


def _window_size() -> tuple[int, int]:
    """(rows, columns) of the user's terminal, with the usual fallback."""
    for fd in (STDOUT_FD, 2, STDIN_FD):
        with contextlib.suppress(OSError):
            size = os.get_terminal_size(fd)
            return size.lines, size.columns
    return 24, 80


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _raw_stdin(stdin_fd: int) -> Iterator[bool]:
    """Put a terminal stdin in raw mode (keystrokes, Ctrl-C included, go to pip's pty as typed)."""
    import termios
    import tty

    if not os.isatty(stdin_fd):
        yield False
        return
    saved = termios.tcgetattr(stdin_fd)
    try:
        tty.setraw(stdin_fd)
        yield True
    finally:
        termios.tcsetattr(stdin_fd, termios.TCSAFLUSH, saved)


@contextlib.contextmanager
def _signals(child: pexpect.spawn[Any], interrupted: list[bool]) -> Iterator[None]:
    """SIGWINCH resizes pip's pty; SIGINT/SIGTERM/SIGHUP that reach safepip are passed to pip."""

    def resize(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        with contextlib.suppress(OSError):
            child.setwinsize(*_window_size())

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        if signum == signal.SIGINT:
            interrupted.append(True)
        with contextlib.suppress(OSError):
            child.kill(signum)

    previous = {
        signal.SIGWINCH: signal.signal(signal.SIGWINCH, resize),
        signal.SIGINT: signal.signal(signal.SIGINT, forward),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _interrupt_character(child_fd: int) -> bytes | None:
    """The byte that makes pip's pty send SIGINT (Ctrl-C unless changed), if it sends any."""
    import termios

    try:
        attributes = termios.tcgetattr(child_fd)
    except (OSError, termios.error):
        return None
    if not attributes[3] & termios.ISIG:
        return None
    character = attributes[6][termios.VINTR]
    return character if isinstance(character, bytes) and character != b"\0" else None


def _relay(
    child: pexpect.spawn[Any],
    feed: LineFeed,
    stdin_fd: int,
    output: Output,
    stdin_is_tty: bool,
    *,
    interrupted: list[bool],
) -> None:
    child_fd = child.child_fd
    stdin_open = _is_open(stdin_fd)
    try:
        while True:
            watched = [child_fd, stdin_fd] if stdin_open else [child_fd]
            ready, _, _ = select.select(watched, [], [])
            if child_fd in ready:
                try:
                    data = os.read(child_fd, CHUNK_SIZE)
                except OSError as exc:
                    if exc.errno == errno.EIO:  # Linux: every writer of the pty has gone
                        break
                    raise
                if not data:
                    break
                output.write(data)  # a failure drops the rest: pip must still run to its end
                feed.feed(data)
            if stdin_open and stdin_fd in ready:
                typed = os.read(stdin_fd, 4096)
                if typed:
                    intr = _interrupt_character(child_fd)
                    if intr is not None and intr in typed:
                        interrupted.append(True)
                    write_all(child_fd, typed)
                else:
                    stdin_open = False
                    if not stdin_is_tty:
                        child.sendeof()  # piped input has ended: tell pip as a terminal would
    finally:
        feed.finish()


def run_in_pty(
    argv: Sequence[str],
    consumer: LineConsumer,
    *,
    env: Mapping[str, str] | None = None,
    stdin_fd: int = STDIN_FD,
    stdout_fd: int = STDOUT_FD,
) -> int:
    """Run ``argv`` in a pty sized like the user's terminal; return its exit status.

    ``stdin_fd``/``stdout_fd`` are the user's side (tests give pipes of their own).
    """
    import pexpect

    flush_own_output()
    try:
        child = pexpect.spawn(
            argv[0],
            list(argv[1:]),
            env=None if env is None else dict(env),
            dimensions=_window_size(),
            echo=True,  # the pty echoes what the user types, as their own terminal would
            timeout=None,
        )
    except OSError as exc:
        raise ChildStartError(exc.errno, exc.strerror) from exc
    except pexpect.ExceptionPexpect as exc:  # "not found or not executable"
        raise ChildStartError(0, str(exc)) from exc
    feed = LineFeed(TERMINAL, consumer)
    interrupted: list[bool] = []
    output = Output(stdout_fd)
    with _signals(child, interrupted), _raw_stdin(stdin_fd) as stdin_is_tty:
        _relay(child, feed, stdin_fd, output, stdin_is_tty, interrupted=interrupted)
    child.wait()
    # wait() has reaped pip: close() now only releases the pty, without its 0.1 s grace sleep.
    child.ptyproc.delayafterclose = 0  # type: ignore[attr-defined]
    child.close()
    if child.signalstatus is not None:
        status = 128 + int(child.signalstatus)
    else:
        status = int(child.exitstatus or 0)
    report_output_failures(output)
    raise_if_interrupted(bool(interrupted), status)
    return status
