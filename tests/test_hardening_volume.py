"""Hardening the runner: floods of output pass through byte-exact, with the reader's memory bounded.

A child prints tens of megabytes in mixed chunk sizes, a 10 MB line with no newline, or 200 000
progress redraws, then a real pip failure: what reaches the sink is exactly what the child wrote
(sha256), no line handed to the consumer is longer than LineDecoder's guarantee, and the diagnosis
fed alongside still finds the failure printed at the very end. Over the pipe path (poll and
threads) and the pty path. The 500 MB campaign, with safepip's peak memory, is scripts/stress.py.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BACKEND_UNAVAILABLE
from safepip.reading.lines import MAX_LINE_CHARS
from safepip.running import pipes, terminal
from safepip.running.pipes import run_with_pipes

# floods of tens of MB through real child processes
pytestmark = [pytest.mark.slow, pytest.mark.every_python]

TESTS = Path(__file__).parent
#: A real pip failure (pip 26.3, flit_core missing), printed after the flood.
FAILURE_LOG = TESTS / "logs" / "pip26.3-flit-missing.log"

#: LineDecoder's guarantee: a line that spans reads is cut at MAX_LINE_CHARS; one within a read is
#: no longer than the read, whose CHUNK_SIZE bytes decode to at most CHUNK_SIZE characters plus
#: the (at most 3) bytes of a character left incomplete by the read before.
LONGEST_LINE = max(MAX_LINE_CHARS, pipes.CHUNK_SIZE + 3, terminal.CHUNK_SIZE + 3)

# The child: writes a flood (seeded, so the same bytes every run), then the failure log, and
# records the sha256 and size of everything it wrote. On a pty it turns off output processing,
# so that the bytes it writes are the bytes the pty delivers.
FLOOD = r"""
import hashlib, json, os, random, sys
if os.isatty(1):
    import termios
    attrs = termios.tcgetattr(1)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(1, termios.TCSANOW, attrs)
kind, megabytes, log, report = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
digest = hashlib.sha256()
size = 0

def out(data):
    global size
    digest.update(data)
    size += len(data)
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]

rng = random.Random(2024)
total = int(megabytes * 1024 * 1024)
if kind == "mixed":
    # Lines of every length (some far longer than a read), non-ASCII and invalid UTF-8 among
    # them, cut into writes of every size from 1 byte to 256 KiB.
    words = [b"noise", b"caf\xc3\xa9", b"\xff\xfe", b"x" * 300, b"\t", b"\x1b[31mred\x1b[0m"]
    parts = []
    for _ in range(4000):
        line = b" ".join(rng.choice(words) for _ in range(rng.choice([1, 5, 40, 400])))
        parts.append(line + b"\n")
    parts.append(b"y" * 300_000 + b"\n")
    block = b"".join(parts)
    position = 0
    while size < total:
        length = min(rng.choice([1, 7, 100, 4096, 65535, 65536, 65537, 262144]), total - size)
        start = position % len(block)
        piece = block[start : start + length]
        position += len(piece)
        out(piece)
elif kind == "long-line":
    chunk = b"z" * 65521
    while size < total:
        out(chunk[: total - size])
elif kind == "redraws":
    batch = []
    for number in range(1, 200_001):
        batch.append(b"  Progress %d/200000 \xe2\x94\x81\xe2\x94\x81\r" % number)
        if len(batch) == 997:
            out(b"".join(batch))
            batch = []
    out(b"".join(batch) + b"\n")
with open(log, "rb") as failure:
    out(failure.read())
with open(report, "w") as file:
    json.dump({"sha256": digest.hexdigest(), "size": size}, file)
"""


class Counter:
    """A consumer that keeps nothing but counts: lines, and the longest; feeds a Diagnosis."""

    def __init__(self) -> None:
        self.lines = 0
        self.longest = 0
        self.diagnosis = Diagnosis()

    def feed_line(self, stream: str, line: str) -> None:
        self.lines += 1
        self.longest = max(self.longest, len(line))
        self.diagnosis.feed_line(stream, line)


#: case id -> (what the child prints, how many megabytes of it)
CASES = {
    "50MB-mixed-chunks": ("mixed", 50.0),
    "10MB-line-without-newline": ("long-line", 10.0),
    "200000-redraws": ("redraws", 0.0),
}

WAYS = [
    pytest.param("spawn-poll", id="spawn-poll", marks=pytest.mark.skipif(
        not hasattr(os, "posix_spawn"), reason="no posix_spawn on this platform")),
    pytest.param("threads", id="threads"),
    pytest.param("pty", id="pty", marks=pytest.mark.skipif(
        sys.platform == "win32", reason="ptys exist only on POSIX")),
]  # fmt: skip


@pytest.fixture
def sinks(tmp_path: Path) -> Iterator[tuple[int, int]]:
    out = os.open(tmp_path / "out", os.O_WRONLY | os.O_CREAT, 0o600)
    err = os.open(tmp_path / "err", os.O_WRONLY | os.O_CREAT, 0o600)
    yield out, err
    os.close(out)
    os.close(err)
    (tmp_path / "out").unlink()  # tens of megabytes: not kept with pytest's last temp folders


def run(way: str, argv: list[str], consumer: Counter, out: int, err: int) -> int:
    if way == "pty":
        read_end, write_end = os.pipe()
        os.close(write_end)  # nothing to type
        try:
            return run_with_pipes(
                argv, consumer, stdout_fd=out, stderr_fd=out, terminal="both", stdin_fd=read_end
            )
        finally:
            os.close(read_end)
    return run_with_pipes(argv, consumer, stdout_fd=out, stderr_fd=err, threaded=way == "threads")


def sha256_of(path: Path) -> tuple[str, int]:
    import hashlib

    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("case", list(CASES))
def test_flood_passes_through_exactly_and_the_failure_is_still_found(
    case: str, way: str, sinks: tuple[int, int], tmp_path: Path
) -> None:
    kind, megabytes = CASES[case]
    report = tmp_path / "report.json"
    argv = [sys.executable, "-c", FLOOD, kind, str(megabytes), str(FAILURE_LOG), str(report)]
    consumer = Counter()
    assert run(way, argv, consumer, *sinks) == 0
    written = json.loads(report.read_text())
    assert sha256_of(tmp_path / "out") == (written["sha256"], written["size"])
    assert (tmp_path / "err").read_bytes() == b""

    assert consumer.longest <= LONGEST_LINE
    log_lines = FAILURE_LOG.read_bytes().count(b"\n")
    if kind == "redraws":
        assert consumer.lines == 200_000 + log_lines  # the last "\r" pairs with the "\n"
    elif kind == "long-line":
        assert consumer.lines == log_lines  # the log's first line is glued to the long one
        assert consumer.longest == MAX_LINE_CHARS  # cut, however it was read

    failures = consumer.diagnosis.failures()
    assert [(f.kind, f.distribution, f.requirement) for f in failures] == [
        (BACKEND_UNAVAILABLE, "flit_core", "flit_core>=3.2")
    ]
