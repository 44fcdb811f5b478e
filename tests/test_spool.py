"""The spool that keeps a building command's lines, to read them only if pip fails
(src/safepip/reading/spool.py): what is replayed is what was fed, in order, with its stream."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.reading.consumer import TailRecorder
from safepip.reading.spool import LineSpool
from safepip.running.relay import LineFeed
from testing.environ import safepip_argv
from testing.runs import Run, run_argv, run_safepip

if TYPE_CHECKING:
    from safepip.reading.consumer import LineConsumer

#: Reads of pip's streams as the relay gets them: lines cut anywhere, a UTF-8 character split
#: across two reads, a progress bar's "\r", a "\r\n" split, invalid bytes, a last line without
#: its ending.
READS = [
    ("stdout", b"Processing ./proj\n  Installing build dep"),
    ("stdout", b"endencies ... \r  Installing build dependencies ... done\r"),
    ("stderr", b"  error: subprocess-exited-with-error\n\n  caf\xc3"),
    ("stdout", b"\nCollecting x\n"),
    (
        "stderr",
        b"\xa9 \xff\xfe \x1b[31mred\x1b[0m\n  ModuleNotFoundError: No module named 'flit_core'\n",
    ),
    ("terminal", b"ERROR: Failed to build 'proj'"),
]


def live(reads: list[tuple[str, bytes]], consumer: LineConsumer) -> None:
    """What the relay feeds a consumer that reads live: one LineFeed a stream, ended at the end."""
    feeds = {stream: LineFeed(stream, consumer) for stream, _ in reads}
    for stream, data in reads:
        feeds[stream].feed(data)
    for feed in feeds.values():
        feed.finish()


class OneAtATime:
    """A consumer without ``feed_lines``: fed line by line."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def feed_line(self, stream: str, line: str) -> None:
        self.lines.append((stream, line))


@pytest.mark.parametrize("memory_bytes", [1 << 20, 0, 60], ids=["in-memory", "on-disk", "spills"])
def test_replay_feeds_the_lines_the_relay_would_have_fed_live(memory_bytes: int) -> None:
    spool = LineSpool(memory_bytes)
    live(READS, spool)  # the spool has feed_raw: the relay hands it the reads, undecoded
    expected, replayed, single = TailRecorder(100), TailRecorder(100), OneAtATime()
    live(READS, expected)
    spool.replay(replayed)
    spool.replay(single)  # twice: the spool is read, not consumed
    spool.close()
    assert list(replayed.lines) == list(expected.lines)
    assert single.lines == list(expected.lines)
    assert ("stderr", "  caf\u00e9 \ufffd\ufffd \x1b[31mred\x1b[0m") in single.lines
    assert ("terminal", "ERROR: Failed to build 'proj'") in single.lines
    assert spool.lost is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["stdout", "stderr", "terminal"]), st.binary(max_size=40)),
        max_size=30,
    ),
    st.sampled_from([1 << 20, 0, 50]),
)
def test_any_reads_replay_as_they_would_have_been_read_live(
    reads: list[tuple[str, bytes]], memory_bytes: int
) -> None:
    spool = LineSpool(memory_bytes)
    live(reads, spool)
    expected, replayed = TailRecorder(1000), TailRecorder(1000)
    live(reads, expected)
    spool.replay(replayed)
    spool.close()
    assert list(replayed.lines) == list(expected.lines)


def test_decoded_lines_given_to_the_spool_come_back() -> None:
    spool = LineSpool()
    spool.feed_line("stdout", "one")
    spool.feed_line("stderr", "two \u00e9")
    replayed = OneAtATime()
    spool.replay(replayed)
    assert replayed.lines == [("stdout", "one"), ("stderr", "two \u00e9")]


def test_much_output_is_replayed_whole_from_the_disk() -> None:
    spool = LineSpool(1024)
    reads = [("stderr" if n % 7 else "stdout", b"line %d\n" % n) for n in range(5000)]
    live(reads, spool)
    replayed = TailRecorder(5000)
    spool.replay(replayed)
    spool.close()
    assert [line for _, line in replayed.lines] == [f"line {n}" for n in range(5000)]


def test_a_write_that_fails_is_remembered_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    spool = LineSpool(0)
    spool.feed_raw("stdout", b"first\n")
    assert spool._file is not None

    def full(data: bytes) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(spool._file, "write", full)
    spool.feed_raw("stdout", b"second\n")
    spool.end_raw("stdout")
    assert isinstance(spool.lost, OSError)
    assert spool.lost.errno == 28
    spool.close()


# --- the building path, end to end: read only when pip fails ------------------------------------

LOGS = Path(__file__).parent / "logs"
PROJECTS = Path(__file__).parent / "projects"


@pytest.mark.every_python
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
    results: list[Run] = []
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
        result = run_safepip(["install", "./flit-missing"], environ, cwd=tmp_path)
        assert count.read_text().splitlines() == ["./flit-missing"]  # pip ran once
        results.append(result)
    afterwards, live = results
    assert afterwards.status == live.status == 1
    assert afterwards.stdout == live.stdout == (LOGS / log).read_bytes()
    assert b'add "flit_core' in afterwards.stderr
    # The command that would apply the fix repeats the --report; nothing else differs.
    report_option = f"--report {tmp_path / 'r.json'} ".encode()
    assert afterwards.stderr == live.stderr.replace(report_option, b"")
    assert (tmp_path / "r.json").exists()  # the live run was the session's from the start


@pytest.mark.every_python
@pytest.mark.slow  # safepip and a stand-in pip as child processes
def test_a_folder_gone_is_said_before_pip_runs(
    standin_environ: dict[str, str], tmp_path: Path
) -> None:
    """The building path checks what the session would have refused, before pip runs."""
    gone = tmp_path / "gone"
    gone.mkdir()
    count = tmp_path / "count"
    environ = {
        **standin_environ,
        "STANDIN_LOG": str(LOGS / "pip26.3-flit-missing.log"),
        "STANDIN_COUNT": str(count),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CI": "true",
    }
    script = (
        "import os, subprocess, sys; os.rmdir(os.getcwd()); sys.exit(subprocess.call(sys.argv[1:]))"
    )
    result = run_argv(
        [sys.executable, "-c", script, *safepip_argv(), "install", "six"], environ, cwd=gone
    )
    assert result.status == 1
    assert "safepip: error: the current folder no longer exists" in result.err
    assert not count.exists()  # pip never ran
