"""safepip's own error class and the one boundary that turns errors into exit statuses."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Callable

#: Exit status for a KeyboardInterrupt, as a shell reports SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
#: Exit status for a bug in safepip (pre-commit uses the same).
EXIT_INTERNAL_ERROR = 3
#: Exit status when the reader of our output has gone, as a shell reports SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


class SafepipError(Exception):
    """An error whose message is fit to show the user as it is, on one line."""

    def __str__(self) -> str:
        # One line, whatever the message holds: no traceback-like spill on the terminal.
        return " ".join(super().__str__().split())


def _write_crash_log(exc: BaseException) -> str | None:
    import tempfile
    import traceback

    from safepip.redaction import mask_credentials, redact_argv

    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        fd, path = tempfile.mkstemp(prefix="safepip-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            # The command line and the traceback may hold an index URL's token: masked.
            log.write(
                mask_credentials(f"safepip crashed; argv: {redact_argv(sys.argv)!r}\n\n{text}")
            )
    except OSError:
        return None
    return path


def say(message: str) -> None:
    """One line from safepip itself on stderr, after whatever pip printed: a URL's credentials
    masked and control characters made visible, whatever the message quotes (pip's output, a
    path, a command line)."""
    if not message.isprintable() or ("@" in message and "://" in message):
        from safepip.visible import shown

        message = shown(message)
    try:
        sys.stderr.write(f"safepip: {message}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr is gone: there is no one left to tell


def guarded(run: Callable[[], int]) -> int:
    """Run ``run`` and map every way out of it to an exit status, with one line on stderr.

    SafepipError -> 1 with its message; Ctrl-C -> 130; our stdout gone -> 141, quietly; any other
    OSError (a full disk...) -> 1 with one line; anything else -> 3, a short message and a log
    file holding the traceback, so a bug never prints a traceback over pip's output.
    """
    try:
        status = run()
        if sys.stdout is not None:  # None: started with fd 1 closed
            sys.stdout.flush()  # a full or closed stdout is found here, not at the exit
    except SafepipError as exc:
        say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # Our reader left (`safepip doctor | head -1`): quietly, as a tool killed by SIGPIPE.
        silence_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        # The environment failed us (a full disk, a descriptor closed under us): one line.
        silence_stdout()
        where = f" ({exc.filename})" if exc.filename else " (writing to stdout)"
        say(f"error: {exc.strerror or exc}{where}")
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place that turns any bug into a message
        path = _write_crash_log(exc)
        where = f" (traceback in {path})" if path else ""
        say(f"internal error: {type(exc).__name__}: {exc}{where}")  # say() masks it
        return EXIT_INTERNAL_ERROR
    return status


def silence_stdout(fd: int | None = None) -> None:
    """Our stdout (``fd``, by default sys.stdout's) is a closed pipe or a failing device: point
    it at devnull, so that what is still buffered goes nowhere and the exit flush is quiet."""
    try:
        target = sys.stdout.fileno() if fd is None else fd
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (AttributeError, OSError, ValueError):
        return
    try:
        os.dup2(devnull, target)
    except OSError:
        pass
    finally:
        os.close(devnull)
