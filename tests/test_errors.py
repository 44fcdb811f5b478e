"""The one error boundary: each way out of safepip becomes an exit status and one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safepip.errors import EXIT_INTERNAL_ERROR, SafepipError, guarded


def raise_(exc: BaseException) -> int:
    raise exc


def test_own_error_is_one_line_and_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    status = guarded(lambda: raise_(SafepipError("the file\nis  bad")))
    assert status == 1
    assert capsys.readouterr().err == "safepip: error: the file is bad\n"


def test_ctrl_c_is_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert guarded(lambda: raise_(KeyboardInterrupt())) == 130
    assert capsys.readouterr().err == ""


def test_a_bug_gives_a_short_message_and_a_log(capsys: pytest.CaptureFixture[str]) -> None:
    status = guarded(lambda: raise_(ZeroDivisionError("boom")))
    assert status == EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "Traceback" not in err
    match = re.fullmatch(
        r"safepip: internal error: ZeroDivisionError: boom \(traceback in (.+)\)\n", err
    )
    assert match is not None
    log = Path(match.group(1))
    try:
        text = log.read_text()
        assert "Traceback (most recent call last)" in text
        assert "ZeroDivisionError: boom" in text
    finally:
        log.unlink()


def test_a_normal_status_passes_through() -> None:
    assert guarded(lambda: 23) == 23
