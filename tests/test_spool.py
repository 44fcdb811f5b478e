"""The spool that keeps a building command's lines, to read them only if pip fails
(src/safepip/reading/spool.py): what is replayed is what was fed, in order, with its stream."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from safepip.reading.consumer import TailRecorder
from safepip.reading.spool import LineSpool
from testing.environ import safepip_argv

LINES = [
    ("stdout", "Processing ./proj"),
    ("stdout", "  Installing build dependencies ... \r  Installing build dependencies ... done"),
    ("stderr", "  error: subprocess-exited-with-error"),
    ("stderr", ""),
    ("stderr", "  ModuleNotFoundError: No module named 'flit_core'"),
    ("terminal", "caf\u00e9 \U0001f600 \x1b[31mred\x1b[0m \udcff"),  # a lone surrogate too
    ("stdout", "ERROR: Failed to build 'proj'"),
]


class OneAtATime:
    """A consumer without ``feed_lines``: fed line by line."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def feed_line(self, stream: str, line: str) -> None:
        self.lines.append((stream, line))


@pytest.mark.parametrize("memory_bytes", [1 << 20, 0, 40], ids=["in-memory", "on-disk", "spills"])
def test_replay_gives_back_every_line_in_order_with_its_stream(memory_bytes: int) -> None:
    spool = LineSpool(memory_bytes)
    spool.feed_lines("stdout", [line for stream, line in LINES[:2]])
    for stream, line in LINES[2:]:
        spool.feed_line(stream, line)
    batched, single = TailRecorder(limit=100), OneAtATime()
    spool.replay(batched)
    spool.replay(single)  # twice: the spool is read, not consumed
    spool.close()
    assert list(batched.lines) == LINES
    assert batched.count == len(LINES)
    assert single.lines == LINES
    assert spool.lost is None


def test_many_lines_are_replayed_in_batches_and_nothing_is_lost() -> None:
    spool = LineSpool(1024)
    for index in range(5000):
        spool.feed_line("stderr" if index % 7 else "stdout", f"line {index}")
    batches: list[int] = []

    class Counting(TailRecorder):
        def feed_lines(self, stream: str, lines: list[str]) -> None:
            batches.append(len(lines))
            super().feed_lines(stream, lines)

    consumer = Counting(limit=5000)
    spool.replay(consumer)
    spool.close()
    assert [line for _, line in consumer.lines] == [f"line {index}" for index in range(5000)]
    assert sum(batches) == 5000
    assert max(batches) <= 512


def test_a_write_that_fails_is_remembered_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    spool = LineSpool(0)
    spool.feed_line("stdout", "first")
    assert spool._file is not None

    def full(data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool._file, "write", full)
    spool.feed_line("stdout", "second")
    spool.feed_line("stdout", "third")
    assert isinstance(spool.lost, OSError)
    assert spool.lost.errno == 28
    spool.close()


# --- the building path, end to end: read only when pip fails ------------------------------------

LOGS = Path(__file__).parent / "logs"
PROJECTS = Path(__file__).parent / "projects"


@pytest.mark.slow  # safepip and a stand-in pip as child processes
@pytest.mark.parametrize(
    "log",
    ["pip26.3-flit-missing.log", "pip25.0.1-flit-missing.log", "pip26.3-flit-missing-pty.log"],
)
def test_a_failure_read_afterwards_is_explained_as_when_read_live(
    log: str, standin_environ: dict[str, str], tmp_path: Path
) -> None:
    """pip fails: its output, kept while it ran, is read once it has exited, and safepip says
    exactly what the session reading it live says (a --report makes the session run from the
    start); pip runs once either way."""
    shutil.copytree(PROJECTS / "flit-missing", tmp_path / "flit-missing")
    (tmp_path / "config").mkdir()
    results = []
    for label, extra in [
        ("afterwards", {}),
        ("live", {"SAFEPIP_REPORT": str(tmp_path / "r.json")}),
    ]:
        count = tmp_path / f"count-{label}"
        environ = {
            **standin_environ,
            "STANDIN_LOG": str(LOGS / log),
            "STANDIN_COUNT": str(count),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "CI": "true",
            **extra,
        }
        result = subprocess.run(
            [*safepip_argv(), "install", "./flit-missing"], cwd=tmp_path, env=environ,
            stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        assert count.read_text().splitlines() == ["./flit-missing"]  # pip ran once
        results.append(result)
    afterwards, live = results
    assert afterwards.returncode == live.returncode == 1
    assert afterwards.stdout == live.stdout == (LOGS / log).read_bytes()
    assert b'add "flit_core' in afterwards.stderr
    # The command that would apply the fix repeats the --report; nothing else differs.
    report_option = f"--report {tmp_path / 'r.json'} ".encode()
    assert afterwards.stderr == live.stderr.replace(report_option, b"")
    assert (tmp_path / "r.json").exists()  # the live run was the session's from the start
