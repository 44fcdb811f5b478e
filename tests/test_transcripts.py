"""Transcripts: kept runs, rotation, the size cap (head and tail), masking, `diagnose --last`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from safepip import transcripts
from safepip.commands.diagnose import run_last
from safepip.transcripts import (
    TranscriptRecorder,
    latest_transcript,
    list_transcripts,
    mask_credentials,
    read_metadata,
)
from testing.environ import clean_environ

LOGS = Path(__file__).parent / "logs"


def record(directory: Path, lines: list[str], **options: int) -> str:
    recorder = TranscriptRecorder(str(directory), **options)
    for line in lines:
        recorder.feed_line("stderr", line)
    return recorder.keep({"pip_args": ["install", "."], "exit_status": 1, "findings": 1})


# -- keeping and discarding ---------------------------------------------------------------------


def test_keep_writes_the_lines_and_a_sidecar(tmp_path: Path) -> None:
    path = record(tmp_path, ["Processing ./proj", "ERROR: it failed"])
    assert Path(path).read_text() == "Processing ./proj\nERROR: it failed\n"
    metadata = read_metadata(path)
    assert metadata["pip_args"] == ["install", "."]
    assert metadata["exit_status"] == 1
    assert metadata["findings"] == 1
    assert metadata["lines"] == 2
    assert metadata["bytes_cut"] == 0
    assert metadata["time"].endswith("Z")
    assert latest_transcript({"SAFEPIP_LOG_DIR": str(tmp_path)}) == path
    # Nothing is left spooled beside it.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [Path(path).name, Path(path).with_suffix(".json").name]
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_transcripts_are_private(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    path = record(directory, ["x"])
    assert directory.stat().st_mode & 0o777 == 0o700
    assert Path(path).stat().st_mode & 0o077 == 0


def test_discard_leaves_nothing(tmp_path: Path) -> None:
    recorder = TranscriptRecorder(str(tmp_path))
    for number in range(1000):
        recorder.feed_line("stdout", f"line {number}")
    recorder.discard()
    assert list(tmp_path.iterdir()) == []


def test_nothing_is_created_before_the_first_line(tmp_path: Path) -> None:
    directory = tmp_path / "never"
    TranscriptRecorder(str(directory)).discard()
    assert not directory.exists()


def test_an_empty_run_can_be_kept(tmp_path: Path) -> None:
    path = record(tmp_path, [])
    assert Path(path).read_text() == ""


def test_spooling_failure_stops_recording_not_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    recorder = TranscriptRecorder(str(blocker / "logs"))  # a folder inside a file: cannot be
    recorder.feed_line("stdout", "a line")  # must not raise: pip's output goes on
    assert recorder.error is not None
    with pytest.raises(OSError):  # noqa: PT011 - whichever OSError the platform gives
        recorder.keep({})


def test_log_dir_from_environment(tmp_path: Path) -> None:
    assert transcripts.log_dir({"SAFEPIP_LOG_DIR": str(tmp_path)}) == str(tmp_path)
    if sys.platform not in {"win32", "darwin"}:
        default = transcripts.log_dir({"XDG_STATE_HOME": str(tmp_path)})
        assert default == str(tmp_path / "safepip" / "log")


def test_recorder_finds_its_directory_lazily(tmp_path: Path) -> None:
    recorder = TranscriptRecorder(environ={"SAFEPIP_LOG_DIR": str(tmp_path / "lazy")})
    recorder.feed_line("stdout", "x")
    path = recorder.keep({})
    assert Path(path).parent == tmp_path / "lazy"


# -- rotation -----------------------------------------------------------------------------------


def test_rotation_keeps_the_last_20(tmp_path: Path) -> None:
    paths = [record(tmp_path, [f"run {number}"]) for number in range(21)]
    kept = list_transcripts(str(tmp_path))
    assert kept == paths[1:]
    assert not Path(paths[0]).exists()
    assert not Path(paths[0]).with_suffix(".json").exists()
    assert len(list(tmp_path.glob("*.json"))) == 20
    assert Path(latest_transcript({"SAFEPIP_LOG_DIR": str(tmp_path)}) or "").read_text() == (
        "run 20\n"
    )


def test_rotation_by_total_size(tmp_path: Path) -> None:
    line = "x" * 999
    paths = [
        record(tmp_path, [line] * 3, max_total_bytes=10_000, max_bytes=10**6) for _ in range(5)
    ]
    kept = list_transcripts(str(tmp_path))
    assert kept == paths[-3:]  # 3 runs of ~3 KB (and their sidecars) fit under 10 KB


def test_rotation_never_removes_the_run_just_kept(tmp_path: Path) -> None:
    path = record(tmp_path, ["y" * 5000], max_total_bytes=100)
    assert list_transcripts(str(tmp_path)) == [path]


def test_rotation_removes_stale_spools(tmp_path: Path) -> None:
    stale = tmp_path / ".spool-dead.head"
    stale.write_text("left by a run that was killed")
    old = 1_000_000_000
    os.utime(stale, (old, old))
    fresh = tmp_path / ".spool-alive.head"
    fresh.write_text("another safepip, running now")
    record(tmp_path, ["x"])
    assert not stale.exists()
    assert fresh.exists()


# -- the size cap -------------------------------------------------------------------------------


def test_size_cap_keeps_head_and_tail(tmp_path: Path) -> None:
    lines = [f"line {number:05d}" for number in range(10000)]  # 11 bytes each with newline
    path = record(tmp_path, lines, max_bytes=2000)
    text = Path(path).read_text()
    kept = text.splitlines()
    marker = next(i for i, line in enumerate(kept) if line.startswith("[safepip:"))
    head, tail = kept[:marker], kept[marker + 1 :]
    assert head == lines[: len(head)]
    assert tail == lines[-len(tail) :]
    assert len(head) == 1000 // 11
    assert len(tail) == 1000 // 11
    assert len(text.encode()) <= 2000 + len(kept[marker]) + 1
    metadata = read_metadata(path)
    cut = metadata["bytes_cut"]
    assert cut == 11 * (10000 - len(head) - len(tail))
    assert f"{cut} bytes" in kept[marker]
    assert metadata["bytes_seen"] == 11 * 10000


@pytest.mark.parametrize("count", [91, 92, 150, 182, 183, 184, 200, 273, 274, 275, 400])
def test_tail_is_whole_lines_at_every_boundary(tmp_path: Path, count: int) -> None:
    lines = [f"line {number:05d}" for number in range(count)]
    kept = Path(record(tmp_path, lines, max_bytes=2000)).read_text().splitlines()
    if not any(line.startswith("[safepip:") for line in kept):
        # Nothing was cut: all of it fits in the head and the tail.
        assert kept == lines
        assert count * 11 <= 2000
        return
    marker = next(i for i, line in enumerate(kept) if line.startswith("[safepip:"))
    head, tail = kept[:marker], kept[marker + 1 :]
    assert head + tail == lines[: len(head)] + lines[len(lines) - len(tail) :]
    assert 1000 - 11 < len(tail) * 11 <= 1000


def test_uneven_lines_tail(tmp_path: Path) -> None:
    lines = [("z" * (number % 37)) + f" {number}" for number in range(5000)]
    kept = Path(record(tmp_path, lines, max_bytes=4096)).read_text().splitlines()
    marker = next(i for i, line in enumerate(kept) if line.startswith("[safepip:"))
    tail = kept[marker + 1 :]
    assert tail == lines[-len(tail) :]
    assert sum(len(line) + 1 for line in tail) <= 2048


def test_very_long_line_is_cut(tmp_path: Path) -> None:
    path = record(tmp_path, ["a" * (transcripts.MAX_LINE_CHARS + 10)])
    text = Path(path).read_text()
    assert text.endswith(" [safepip: line cut]\n")
    assert len(text) < transcripts.MAX_LINE_CHARS + 100


@pytest.mark.slow  # a child process streams a large log
def test_memory_stays_flat(tmp_path: Path) -> None:
    """10 MB of output through the recorder: nothing of it is held in memory."""
    import tracemalloc

    recorder = TranscriptRecorder(str(tmp_path), max_bytes=1_000_000)
    line = "y" * 99
    tracemalloc.start()
    for _ in range(100_000):
        recorder.feed_line("stdout", line)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    recorder.discard()
    assert peak < 200_000


# -- masking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Looking in indexes: https://user:s3cret@pypi.example.com/simple",
            "Looking in indexes: https://user:****@pypi.example.com/simple",
        ),
        ("https://ghp_abcdef123@github.com/org/repo", "https://****@github.com/org/repo"),
        ("http://alice@host:8080/simple/", "http://****@host:8080/simple/"),
        ("git+https://token@github.com/o/r.git@v1.0", "git+https://****@github.com/o/r.git@v1.0"),
        ("https://user:p@ss@host/simple", "https://user:****@host/simple"),
        ("https://:token@host/", "https://:****@host/"),
        (
            "a https://u:1@h1/x and https://u:2@h2/y",
            "a https://u:****@h1/x and https://u:****@h2/y",
        ),
        ("'https://user:tok@host/simple'", "'https://user:****@host/simple'"),
        ("--index-url=https://__token__:pypi-AgE@upload.pypi.org/", None),
        ("https://user:****@host/", "https://user:****@host/"),  # pip's own redaction: as is
    ],
)
def test_masking(line: str, expected: str | None) -> None:
    masked = mask_credentials(line)
    if expected is not None:
        assert masked == expected
    assert "s3cret" not in masked
    assert "ghp_" not in masked
    assert "pypi-AgE" not in masked
    assert "tok@" not in masked


@pytest.mark.parametrize(
    "line",
    [
        "https://pypi.org/simple/flit-core/",
        "Downloading https://files.example.com/pkg/a@b/pkg-1.0.tar.gz",
        "https://host/path?who=me@example.com",
        "https://host/path#frag@x",
        "pkg @ https://host/pkg-1.0.tar.gz",
        "user@example.com wrote: https://host/",
        "Collecting foo@ git+https://github.com/org/foo",
    ],
)
def test_plain_urls_are_never_masked(line: str) -> None:
    assert mask_credentials(line) == line


def test_masking_applies_to_what_is_stored(tmp_path: Path) -> None:
    recorder = TranscriptRecorder(str(tmp_path))
    recorder.feed_line("stdout", "Looking in indexes: https://me:hunter2@example.com/simple")
    path = recorder.keep(
        {"pip_args": ["install", "--index-url", "https://me:hunter2@example.com/simple", "x"]}
    )
    for stored in (Path(path), Path(path).with_suffix(".json")):
        text = stored.read_text()
        assert "hunter2" not in text
        assert "me:****@example.com" in text


# -- diagnose --last ----------------------------------------------------------------------------


def keep_log(directory: Path, log: Path, cwd: Path) -> str:
    recorder = TranscriptRecorder(str(directory))
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        recorder.feed_line("terminal", line)
    return recorder.keep(
        {
            "pip_args": ["install", "./flit-missing"],
            "exit_status": 1,
            "findings": 1,
            "cwd": str(cwd),
        }
    )


def test_diagnose_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFEPIP_LOG_DIR", str(tmp_path / "logs"))
    path = keep_log(tmp_path / "logs", LOGS / "pip21.3.1-flit-missing.log", tmp_path)
    assert run_last(json=True) == 1
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    expected = json.loads((LOGS / "pip21.3.1-flit-missing.json").read_text())["expected"]
    assert [f["kind"] for f in document["failures"]] == [f["kind"] for f in expected["failures"]]
    assert document["failures"][0]["requirement"] == "flit_core>=3.2"
    assert document["transcript"] == path
    assert "pip install ./flit-missing" in captured.err
    assert captured.err.count("\n") == 1

    assert run_last(json=False) == 1
    assert "flit_core" in capsys.readouterr().out


def test_diagnose_last_reads_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFEPIP_LOG_DIR", str(tmp_path))
    keep_log(tmp_path, LOGS / "pip21.3.1-flit-missing.log", tmp_path)
    record(tmp_path, ["Successfully installed nothing"])
    assert run_last(json=False) == 0
    assert "no build failure" in capsys.readouterr().out


def test_diagnose_last_without_transcripts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFEPIP_LOG_DIR", str(tmp_path / "empty"))
    assert run_last(json=False) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no transcript" in err


def test_diagnose_last_on_the_command_line(tmp_path: Path) -> None:
    from safepip.commands import diagnose

    if "--last" not in diagnose._parser().format_help():
        pytest.skip("commands/diagnose.py does not offer --last yet (wiring pending)")
    keep_log(tmp_path, LOGS / "pip21.3.1-flit-missing.log", tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "safepip", "diagnose", "--last", "--json"],
        env=clean_environ({"SAFEPIP_LOG_DIR": str(tmp_path)}),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["failures"][0]["kind"] == "backend-unavailable"
