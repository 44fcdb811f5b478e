"""safepip's own error class and the one boundary that turns errors into exit statuses."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator

#: Exit status for a KeyboardInterrupt, as a shell reports SIGINT (128 + 2).
EXIT_INTERRUPTED = 130


class SafepipError(Exception):
    """An error whose message is fit to show the user as it is, on one line."""

    def __str__(self) -> str:
        # One line, whatever the message holds: no traceback-like spill on the terminal.
        return " ".join(super().__str__().split())


class ErrorExit(Exception):  # noqa: N818 - it is a control-flow signal, not an error
    """Raised by the boundary to leave with a given exit status."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _write_crash_log(exc: BaseException) -> str | None:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    try:
        fd, path = tempfile.mkstemp(prefix="safepip-crash-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            log.write(f"safepip crashed; argv: {sys.argv!r}\n\n{text}")
    except OSError:
        return None
    return path


def _say(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"safepip: {message}\n")
        sys.stderr.flush()


@contextlib.contextmanager
def error_boundary() -> Iterator[None]:
    """Map every way out of safepip to one line on stderr and an exit status.

    SafepipError -> 1 with its message; Ctrl-C -> 130; anything else -> a short message and a
    log file holding the traceback, so a bug never prints a traceback over pip's output.
    """
    try:
        yield
    except SafepipError as exc:
        _say(f"error: {exc}")
        raise ErrorExit(1) from None
    except KeyboardInterrupt:
        raise ErrorExit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # noqa: BLE001 - the one place that turns any bug into a message
        path = _write_crash_log(exc)
        where = f" (traceback in {path})" if path else ""
        _say(f"internal error: {type(exc).__name__}: {exc}{where}")
        raise ErrorExit(3) from None
