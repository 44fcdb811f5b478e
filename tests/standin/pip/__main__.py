"""Behaviours, chosen by the first argument (the "pip command")."""

import os
import signal
import sys
import time


def _out(data: bytes) -> None:
    os.write(1, data)


def main(argv: list[str]) -> int:  # noqa: PLR0911 - one return per behaviour
    command = argv[0] if argv else ""
    if command == "exit":
        return int(argv[1])
    if command == "kill":
        os.kill(os.getpid(), int(argv[1]))
        time.sleep(5)
        return 99
    if command == "isatty":
        _out(f"isatty {os.isatty(0)} {os.isatty(1)} {os.isatty(2)}\n".encode())
        return 0
    if command == "argv":
        _out(repr(argv[1:]).encode() + b"\n")
        return 0
    if command == "streams":
        os.write(1, b"to stdout\n")
        os.write(2, b"to stderr\n")
        return 0
    if command == "size":
        # Print the size now and after each SIGWINCH, until a line arrives on stdin.
        def report(signum: object = None, frame: object = None) -> None:
            size = os.get_terminal_size(1)
            _out(f"size {size.lines}x{size.columns}\n".encode())

        signal.signal(signal.SIGWINCH, report)
        report()
        sys.stdin.readline()
        return 0
    if command == "wait-ctrl-c":
        # Ctrl-C must reach us through the pty; the exit status tells the test what happened.
        if len(argv) > 1 and argv[1] == "die":
            signal.signal(signal.SIGINT, signal.SIG_DFL)
        _out(b"ready\n")
        try:
            time.sleep(30)
        except KeyboardInterrupt:
            _out(b"interrupted\n")
            return 42
        return 0
    if command == "progress":
        # A redraw with no newline: the test waits for it before it lets us go on.
        _out(b"progress 10%\r")
        sys.stdin.readline()
        _out(b"progress 100%\r\n")
        return 0
    if command == "prompt":
        _out(b"Proceed (Y/n)? ")
        answer = sys.stdin.readline().strip()
        _out(f"answer={answer!r}\n".encode())
        return 0 if answer == "y" else 1
    sys.stderr.write(f"stand-in pip: unknown behaviour {command!r}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
