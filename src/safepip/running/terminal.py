"""The pty that pip writes to when the user watches a terminal: made, sized, and kept in size.

Only pip's output goes through it (see :mod:`safepip.running.pipes`): pip keeps the user's stdin
and controlling terminal, so nothing is typed into this pty, no raw mode is set, and job control
is the shell's as usual. The pty gets the user's window size at start and on each SIGWINCH.
"""

from __future__ import annotations

import contextlib
import os

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Literal

    #: Which of pip's output streams get a pty: both (one shared), one of them, or neither.
    Terminal = Literal["both", "stdout", "stderr", ""]

STDIN_FD = 0
STDOUT_FD = 1
#: Reads from the pty are the relay's (safepip.running.pipes), of this size.
CHUNK_SIZE = 64 * 1024


def window_size(*fds: int) -> tuple[int, int]:
    """(rows, columns) of the first of ``fds`` (then stdout, stderr, stdin) that is a terminal."""
    for fd in (*fds, STDOUT_FD, 2, STDIN_FD):
        with contextlib.suppress(OSError):
            size = os.get_terminal_size(fd)
            return size.lines, size.columns
    return 24, 80


def set_window_size(fd: int, rows: int, columns: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def open_pty(user_fd: int) -> tuple[int, int, Callable[[], None]]:
    """A pty sized like the user's terminal ``user_fd``: (master, slave, resize).

    ``resize`` copies the user's size again (for SIGWINCH). The slave is not made anyone's
    controlling terminal: pip keeps the user's.
    """
    import termios

    master, slave = os.openpty()
    os.set_inheritable(master, False)
    # No output processing on this pty: pip's bytes reach the user's terminal as pip wrote them,
    # and the user's own terminal turns "\n" into "\r\n" once, as for pip alone.
    with contextlib.suppress(OSError, termios.error):
        attributes = termios.tcgetattr(slave)
        attributes[1] &= ~termios.OPOST
        termios.tcsetattr(slave, termios.TCSANOW, attributes)

    def resize() -> None:
        with contextlib.suppress(OSError):
            set_window_size(master, *window_size(user_fd))

    resize()
    return master, slave, resize
