"""The runner with real tiny child processes, over the pipe path and the pty path.

Whatever the child prints must reach the user byte for byte, and the parser must get the same
text as lines, whatever the read boundaries.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.reading.consumer import TailRecorder
from safepip.running.pipes import CHUNK_SIZE, run_with_pipes

needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="ptys exist only on POSIX")

# A child that writes each line of a file (hex-encoded bytes) as its own write, pausing between so
# that each arrives in a read of its own. On a pty it turns off output processing first, so that
# the bytes it writes are the bytes the pty delivers (no "\n" -> "\r\n").
WRITER = """
import os, sys, time
if os.isatty(1):
    import termios
    attrs = termios.tcgetattr(1)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(1, termios.TCSANOW, attrs)
with open(sys.argv[1]) as pieces:
    for piece in pieces.read().split():
        os.write(1, bytes.fromhex(piece))
    time.sleep(0.05)
"""

SAMPLES = {
    "progress-redraws": [b"Downloading 10%\r", b"Downloading 55%\r", b"Downloading 100%\r\n"],
    "crlf-split-across-reads": [b"x" * (CHUNK_SIZE - 1) + b"\r", b"\nnext line\r\n"],
    "non-ascii": ["Collecting caf\u00e9 \u2014 \u2713\n".encode()],
    "invalid-utf8": [b"bad \xff\xfe bytes\n", b"\xc3", b"\xa9 split char\n"],
    "no-final-newline": [b"ERROR: last words"],
}
EXPECTED_LINES = {
    "progress-redraws": ["Downloading 10%", "Downloading 55%", "Downloading 100%"],
    "crlf-split-across-reads": ["x" * (CHUNK_SIZE - 1), "next line"],
    "non-ascii": ["Collecting caf\u00e9 \u2014 \u2713"],
    "invalid-utf8": ["bad \ufffd\ufffd bytes", "\u00e9 split char"],
    "no-final-newline": ["ERROR: last words"],
}


def writer_argv(pieces: list[bytes], folder: Path) -> list[str]:
    script = folder / "pieces.hex"
    script.write_text("\n".join(piece.hex() for piece in pieces))
    return [sys.executable, "-c", WRITER, str(script)]


def clip(lines: list[str]) -> list[str]:
    from safepip.reading.lines import MAX_LINE_CHARS

    return [line[:MAX_LINE_CHARS] for line in lines]


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    yield fd, path
    os.close(fd)


@pytest.fixture
def other_sink(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    path = tmp_path / "err"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    yield fd, path
    os.close(fd)


def run_pty(argv: list[str], stdout_fd: int, tail: TailRecorder) -> int:
    read_end, write_end = os.pipe()
    os.close(write_end)  # nothing to type: stdin at end of file
    try:
        # Both streams on one pty, as for a user at a terminal; pip's stdin is this pipe.
        return run_with_pipes(
            argv, tail, stdout_fd=stdout_fd, stderr_fd=stdout_fd, terminal="both", stdin_fd=read_end
        )
    finally:
        os.close(read_end)


#: Both ways of running with pipes: posix_spawn and poll (POSIX), subprocess and threads (Windows).
PIPE_WAYS = [
    pytest.param(False, id="spawn-poll", marks=pytest.mark.skipif(
        not hasattr(os, "posix_spawn"), reason="no posix_spawn on this platform")),
    pytest.param(True, id="threads"),
]  # fmt: skip


@pytest.mark.parametrize("threaded", PIPE_WAYS)
@pytest.mark.parametrize("sample", list(SAMPLES))
def test_pipes_relay_bytes_exactly(
    sample: str,
    threaded: bool,
    sink: tuple[int, Path],
    other_sink: tuple[int, Path],
    tmp_path: Path,
) -> None:
    tail = TailRecorder()
    status = run_with_pipes(
        writer_argv(SAMPLES[sample], tmp_path),
        tail,
        stdout_fd=sink[0],
        stderr_fd=other_sink[0],
        threaded=threaded,
    )
    assert status == 0
    assert sink[1].read_bytes() == b"".join(SAMPLES[sample])
    assert other_sink[1].read_bytes() == b""
    assert tail.text("stdout") == clip(EXPECTED_LINES[sample])


@needs_pty
@pytest.mark.parametrize("sample", list(SAMPLES))
def test_pty_relays_bytes_exactly(sample: str, sink: tuple[int, Path], tmp_path: Path) -> None:
    tail = TailRecorder()
    status = run_pty(writer_argv(SAMPLES[sample], tmp_path), sink[0], tail)
    assert status == 0
    assert sink[1].read_bytes() == b"".join(SAMPLES[sample])
    assert tail.text("terminal") == clip(EXPECTED_LINES[sample])


@pytest.mark.parametrize("threaded", PIPE_WAYS)
def test_pipes_keep_stdout_and_stderr_apart(
    threaded: bool, sink: tuple[int, Path], other_sink: tuple[int, Path]
) -> None:
    code = "import os; os.write(1, b'out\\n'); os.write(2, b'err\\n'); os.write(1, b'out2\\n')"
    tail = TailRecorder()
    status = run_with_pipes(
        [sys.executable, "-c", code],
        tail,
        stdout_fd=sink[0],
        stderr_fd=other_sink[0],
        threaded=threaded,
    )
    assert status == 0
    assert sink[1].read_bytes() == b"out\nout2\n"
    assert other_sink[1].read_bytes() == b"err\n"
    assert tail.text("stdout") == ["out", "out2"]
    assert tail.text("stderr") == ["err"]


EXIT_CASES = [
    pytest.param("import sys; sys.exit(0)", 0, id="exit-0"),
    pytest.param("import sys; sys.exit(1)", 1, id="exit-1"),
    pytest.param("import sys; sys.exit(2)", 2, id="exit-2"),
    pytest.param("import sys; sys.exit(23)", 23, id="exit-23"),
    pytest.param(
        "import os, signal; os.kill(os.getpid(), signal.SIGTERM)",
        128 + signal.SIGTERM,
        id="killed-by-sigterm",
    ),
    pytest.param(
        "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
        128 + signal.SIGKILL,
        id="killed-by-sigkill",
    ),
]


@pytest.mark.parametrize("threaded", PIPE_WAYS)
@pytest.mark.parametrize(("code", "status"), EXIT_CASES)
def test_pipes_exit_status(
    code: str, status: int, threaded: bool, sink: tuple[int, Path], other_sink: tuple[int, Path]
) -> None:
    argv = [sys.executable, "-c", code]
    result = run_with_pipes(
        argv, TailRecorder(), stdout_fd=sink[0], stderr_fd=other_sink[0], threaded=threaded
    )
    assert result == status


@needs_pty
@pytest.mark.parametrize(("code", "status"), EXIT_CASES)
def test_pty_exit_status(code: str, status: int, sink: tuple[int, Path]) -> None:
    assert run_pty([sys.executable, "-c", code], sink[0], TailRecorder()) == status


@pytest.mark.parametrize("threaded", PIPE_WAYS)
def test_large_output_passes_through_whole(
    threaded: bool, sink: tuple[int, Path], other_sink: tuple[int, Path]
) -> None:
    # 8 MiB in odd-sized writes on both streams: nothing lost, nothing reordered per stream.
    code = (
        "import os\n"
        "block = bytes(range(256)) * 37 + b'\\n'\n"
        "for i in range(900):\n"
        "    os.write(1, block)\n"
        "    os.write(2, block[:5000])\n"
    )
    tail = TailRecorder(limit=5)
    status = run_with_pipes(
        [sys.executable, "-c", code],
        tail,
        stdout_fd=sink[0],
        stderr_fd=other_sink[0],
        threaded=threaded,
    )
    block = bytes(range(256)) * 37 + b"\n"
    assert status == 0
    assert sink[1].read_bytes() == block * 900
    assert other_sink[1].read_bytes() == block[:5000] * 900
    assert len(tail.lines) == 5
