"""Writing relayed bytes out exactly, and handing the parser its decoded copy."""

from __future__ import annotations

import os
import sys

from safepip.reading.lines import LineDecoder

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from safepip.reading.consumer import LineConsumer


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to ``fd`` (os.write may write less than asked)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def flush_own_output() -> None:
    """Anything safepip printed before must come out before pip's first byte."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # noqa: PERF203 - two streams
            pass


class ChildStartError(OSError):
    """The interpreter could not be started at all (exec failed): pip never ran."""


class Output:
    """One of the user's descriptors, written until it fails.

    A reader that went away (EPIPE) is pip's business: ``closed`` tells the caller to close
    pip's end so that pip meets the broken pipe itself. Any other failure (a full disk, a
    descriptor closed under us) must not stop pip: the rest of its output is dropped, as pip's
    own writes would have failed, and ``failure`` says why, once pip is done.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.closed = False
        self.failure: OSError | None = None

    def write(self, data: bytes) -> None:
        if self.closed or self.failure is not None:
            return
        try:
            write_all(self.fd, data)
        except BrokenPipeError:
            self.closed = True
        except OSError as exc:
            self.failure = exc


def report_output_failures(*outputs: Output) -> None:
    """One line for each of the user's descriptors that failed (a closed reader says nothing)."""
    from safepip.errors import say

    names = {1: "stdout", 2: "stderr"}
    for output in outputs:
        if output.failure is not None:
            where = names.get(output.fd, f"descriptor {output.fd}")
            reason = output.failure.strerror or output.failure
            say(f"could not show the rest of pip's output on {where}: {reason}")


class PipInterrupted(KeyboardInterrupt):
    """The user pressed Ctrl-C while pip ran: raised once pip has exited, carrying its status.

    pip itself exits 1 after catching Ctrl-C; safepip makes that 130 (through the error
    boundary) and, above all, runs nothing more: no diagnosis, no fix, no retry.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def raise_if_interrupted(interrupted: bool, status: int) -> None:
    """After pip has exited: a Ctrl-C during its run ends safepip, unless pip completed anyway."""
    if interrupted and status != 0:
        raise PipInterrupted(status)


def exit_status(returncode: int) -> int:
    """subprocess/waitpid style return code -> shell style exit status (128+N for signal N)."""
    return 128 - returncode if returncode < 0 else returncode


class LineFeed:
    """One output stream's decoder, feeding complete lines to the consumer, a read at a time.

    A consumer with ``feed_raw`` and ``end_raw`` (the spool of a building command's first run,
    reading/spool.py) gets the reads themselves, undecoded: it decodes them later, through a
    ``LineFeed`` of its own, only if they are read at all.
    """

    def __init__(self, stream: str, consumer: LineConsumer) -> None:
        self.stream = stream
        self.consumer = consumer
        self.decoder = LineDecoder()
        self._raw = getattr(consumer, "feed_raw", None)
        # A consumer that takes a batch gets each read's lines in one call.
        self._batch = getattr(consumer, "feed_lines", None)

    def feed(self, data: bytes) -> None:
        if self._raw is not None:
            self._raw(self.stream, data)
        else:
            self._deliver(self.decoder.feed(data))

    def finish(self) -> None:
        if self._raw is not None:
            self.consumer.end_raw(self.stream)  # type: ignore[attr-defined]
        else:
            self._deliver(self.decoder.finish())

    def _deliver(self, lines: list[str]) -> None:
        if not lines:
            return
        if self._batch is not None:
            self._batch(self.stream, lines)
        else:
            for line in lines:
                self.consumer.feed_line(self.stream, line)
