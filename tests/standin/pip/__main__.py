"""Behaviours, chosen by the first argument (the "pip command")."""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Callable


def _out(data: bytes) -> None:
    os.write(1, data)


def exit_with(args: list[str]) -> int:
    return int(args[0])


def kill_self(args: list[str]) -> int:
    os.kill(os.getpid(), int(args[0]))
    time.sleep(5)
    return 99


def isatty(args: list[str]) -> int:
    _out(f"isatty {os.isatty(0)} {os.isatty(1)} {os.isatty(2)}\n".encode())
    return 0


def echo_argv(args: list[str]) -> int:
    _out(repr(args).encode() + b"\n")
    return 0


def streams(args: list[str]) -> int:
    os.write(1, b"to stdout\n")
    os.write(2, b"to stderr\n")
    return 0


def size(args: list[str]) -> int:
    """Print the terminal size now and after each SIGWINCH, until a line arrives on stdin."""

    def report(signum: object = None, frame: object = None) -> None:
        current = os.get_terminal_size(1)
        _out(f"size {current.lines}x{current.columns}\n".encode())

    signal.signal(signal.SIGWINCH, report)
    report()
    sys.stdin.readline()
    return 0


def wait_ctrl_c(args: list[str]) -> int:
    """Ctrl-C must reach us through the pty; the exit status tells the test what happened."""
    if args and args[0] == "die":
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        _out(b"ready\n")  # inside: Ctrl-C may come as soon as the test has read this
        time.sleep(30)
    except KeyboardInterrupt:
        _out(b"interrupted\n")
        # "finish": carry on and succeed, as pip does when it is done by the time Ctrl-C comes.
        return 0 if args and args[0] == "finish" else 42
    return 0


def flood(args: list[str]) -> int:
    """Far more than any pipe buffer holds, then pip's own reaction to a closed stdout."""
    try:
        for number in range(20000):
            os.write(1, b"line %05d " % number + b"x" * 90 + b"\n")
    except BrokenPipeError:
        sys.stderr.write("ERROR: Pipe to stdout was broken\n")
        return 1
    return 0


def progress(args: list[str]) -> int:
    """A redraw with no newline: the test waits for it before it lets us go on."""
    _out(b"progress 10%\r")
    sys.stdin.readline()
    _out(b"progress 100%\r\n")
    return 0


def prompt(args: list[str]) -> int:
    _out(b"Proceed (Y/n)? ")
    answer = sys.stdin.readline().strip()
    _out(f"answer={answer!r}\n".encode())
    return 0 if answer == "y" else 1


def install(args: list[str]) -> int:
    """A failing `pip install`: prints the pip log named by $STANDIN_LOG and exits 1, counting
    its runs in $STANDIN_COUNT (one line per run)."""
    count = os.open(os.environ["STANDIN_COUNT"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.write(count, (" ".join(args) + "\n").encode())
    os.close(count)
    log = os.open(os.environ["STANDIN_LOG"], os.O_RDONLY)
    while data := os.read(log, 1 << 16):
        _out(data)
    os.close(log)
    return 1


BEHAVIOURS: dict[str, Callable[[list[str]], int]] = {
    "install": install,
    "exit": exit_with,
    "kill": kill_self,
    "isatty": isatty,
    "argv": echo_argv,
    "streams": streams,
    "size": size,
    "wait-ctrl-c": wait_ctrl_c,
    "flood": flood,
    "progress": progress,
    "prompt": prompt,
}


def main(argv: list[str]) -> int:
    behaviour = BEHAVIOURS.get(argv[0] if argv else "")
    if behaviour is None:
        sys.stderr.write(f"stand-in pip: unknown behaviour {argv[:1]!r}\n")
        return 2
    return behaviour(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
