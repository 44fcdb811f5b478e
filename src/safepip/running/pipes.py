"""Running pip with plain pipes: CI, redirections, Windows.

stdout and stderr stay two streams, each relayed byte for byte as it arrives. When the user's
stdout is closed early (``safepip list | head -1``), pip's stdout is closed too, so pip meets the
same broken pipe it would have met on its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from types import FrameType

from safepip.reading.consumer import STDERR, STDOUT
from safepip.running.relay import LineFeed, exit_status, write_all

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from safepip.reading.consumer import LineConsumer

CHUNK_SIZE = 64 * 1024


def _stream_fd(stream: object, default: int) -> int:
    try:
        return stream.fileno()  # type: ignore[attr-defined, no-any-return]
    except (AttributeError, OSError, ValueError):
        return default


class _Pump(threading.Thread):
    """Copies one of pip's pipes to one of our file descriptors, and lines to the consumer."""

    def __init__(self, source: int, target: int, feed: LineFeed, lock: threading.Lock) -> None:
        super().__init__(name=f"safepip-relay-{feed.stream}", daemon=True)
        self.source = source
        self.target = target
        self.feed = feed
        self.lock = lock
        self.target_closed = False

    def run(self) -> None:
        try:
            while True:
                data = os.read(self.source, CHUNK_SIZE)
                if not data:
                    break
                if not self.target_closed:
                    try:
                        write_all(self.target, data)
                    except BrokenPipeError:
                        # The reader went away: let pip find out as it would have.
                        self.target_closed = True
                        break
                with self.lock:
                    self.feed.feed(data)
        finally:
            with self.lock:
                self.feed.finish()
            os.close(self.source)


@contextlib.contextmanager
def _forward_signals(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """While pip runs, Ctrl-C is pip's to handle; a SIGTERM sent to safepip is passed on."""
    if sys.platform == "win32" or threading.current_thread() is not threading.main_thread():
        yield
        return

    def ignore(signum: int, frame: FrameType | None) -> None:
        # The terminal sent SIGINT to pip too (same process group): pip decides what it means.
        del signum, frame

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signum)

    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, ignore),
        signal.SIGTERM: signal.signal(signal.SIGTERM, forward),
        signal.SIGHUP: signal.signal(signal.SIGHUP, forward),
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_with_pipes(
    argv: Sequence[str],
    consumer: LineConsumer,
    *,
    env: Mapping[str, str] | None = None,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
) -> int:
    """Run ``argv``; relay its stdout/stderr to ours as they come; return the exit status."""
    out_fd = _stream_fd(sys.stdout, 1) if stdout_fd is None else stdout_fd
    err_fd = _stream_fd(sys.stderr, 2) if stderr_fd is None else stderr_fd
    # Anything safepip printed before must come out before pip's first byte.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=None if env is None else dict(env),
    )
    assert process.stdout is not None  # noqa: S101 - Popen with PIPE guarantees it
    assert process.stderr is not None  # noqa: S101
    lock = threading.Lock()
    # Take the raw descriptors: the file objects would buffer, and we want every chunk at once.
    pumps = [
        _Pump(os.dup(process.stdout.fileno()), out_fd, LineFeed(STDOUT, consumer), lock),
        _Pump(os.dup(process.stderr.fileno()), err_fd, LineFeed(STDERR, consumer), lock),
    ]
    process.stdout.close()
    process.stderr.close()
    with _forward_signals(process):
        for pump in pumps:
            pump.start()
        for pump in pumps:
            while pump.is_alive():
                pump.join(0.5)  # a timed join keeps the main thread responsive to signals
        returncode = process.wait()
    if pumps[0].target_closed:
        _silence_stdout()
    return exit_status(returncode)


def _silence_stdout() -> None:
    """Our stdout is a closed pipe: point it at devnull so the interpreter's exit flush is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError):
        os.dup2(devnull, _stream_fd(sys.stdout, 1))
    os.close(devnull)
