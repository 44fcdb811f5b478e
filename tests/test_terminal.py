"""safepip on a real terminal: pip's output gets a pty of the user's window size; pip keeps the
user's stdin and terminal (keystrokes, Ctrl-C).

The stand-in's commands never build, so safepip would hand them over to pip (exec) and its pty
would not be exercised: ``relayed`` runs them through the relay, as a building command is run.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from testing.environ import clean_environ, safepip_argv
from testing.wheels import build_wheel

if sys.platform == "win32":
    pytest.skip("ptys exist only on POSIX", allow_module_level=True)

import pexpect

# safepip in a real pty
pytestmark = [pytest.mark.slow, pytest.mark.every_python]

TIMEOUT = 60


@pytest.fixture
def relayed(standin_environ: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The stand-in through safepip's relay: an interpreter with no pip script beside it."""
    (tmp_path / "bin").mkdir()
    python = tmp_path / "bin" / "python"
    python.symlink_to(sys.executable)
    return {**standin_environ, "SAFEPIP_PYTHON": str(python)}


def spawn_safepip(args: list[str], environ: dict[str, str], rows: int = 24, cols: int = 80):  # type: ignore[no-untyped-def]
    argv = safepip_argv(*args)
    return pexpect.spawn(argv[0], argv[1:], env=environ, dimensions=(rows, cols), timeout=TIMEOUT)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    if child.signalstatus is not None:
        return 128 + int(child.signalstatus)
    return int(child.exitstatus)


def test_pip_sees_a_terminal(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["isatty"], relayed)
    child.expect(r"isatty (\w+) (\w+) (\w+)")
    assert child.match.groups() == (b"True", b"True", b"True")
    assert finish(child) == 0


def test_pip_sees_pipes_without_a_terminal(standin_environ: dict[str, str]) -> None:
    import subprocess

    result = subprocess.run(
        safepip_argv("isatty"),
        capture_output=True,
        env=standin_environ,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.stdout == b"isatty False False False\n"


def test_window_size_is_set_and_follows_resizes(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["size"], relayed, rows=31, cols=97)
    child.expect(r"size 31x97")
    child.setwinsize(40, 120)  # the kernel sends SIGWINCH to safepip, which resizes pip's pty
    child.expect(r"size 40x120")
    child.sendline("")
    assert finish(child) == 0


def test_progress_redraw_is_shown_before_any_newline(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["progress"], relayed)
    child.expect_exact(b"progress 10%\r")  # pip is now waiting: no newline has been printed
    child.sendline("")
    child.expect_exact(b"progress 100%")
    assert finish(child) == 0


def test_progress_redraw_is_shown_live_through_pipes(relayed: dict[str, str]) -> None:
    import subprocess

    process = subprocess.Popen(
        safepip_argv("progress"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=relayed,
    )
    assert process.stdout is not None
    assert process.stdin is not None
    # read1 returns what has arrived: the redraw, while pip still waits for our line.
    assert process.stdout.read1(100) == b"progress 10%\r"  # type: ignore[attr-defined]
    process.stdin.write(b"\n")
    process.stdin.close()
    assert process.stdout.read() == b"progress 100%\r\n"
    process.stdout.close()
    assert process.wait(TIMEOUT) == 0


def test_typed_answer_reaches_the_prompt(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["prompt"], relayed)
    child.expect_exact("Proceed (Y/n)? ")
    child.sendline("y")
    child.expect_exact("answer='y'")
    assert finish(child) == 0


def test_ctrl_c_reaches_pip_and_safepip_exits_130(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["wait-ctrl-c"], relayed)
    child.expect_exact("ready")
    child.sendintr()
    child.expect_exact("interrupted")  # pip handled it (and exited 42)
    assert finish(child) == 130
    assert b"Traceback" not in (child.before or b"")


def test_ctrl_c_that_pip_shrugs_off_keeps_its_success(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["wait-ctrl-c", "finish"], relayed)
    child.expect_exact("ready")
    child.sendintr()
    child.expect_exact("interrupted")
    assert finish(child) == 0


def test_ctrl_c_that_kills_pip_gives_130(relayed: dict[str, str]) -> None:
    child = spawn_safepip(["wait-ctrl-c", "die"], relayed)
    child.expect_exact("ready")
    child.sendintr()
    assert finish(child) == 128 + signal.SIGINT


@pytest.mark.parametrize(("args", "status"), [(["exit", "23"], 23), (["kill", "15"], 143)])
def test_exit_status_through_the_terminal(
    relayed: dict[str, str], args: list[str], status: int
) -> None:
    assert finish(spawn_safepip(args, relayed)) == status


@pytest.mark.slow
def test_real_pip_uninstall_prompt_answered_through_safepip(pip_venv: Path, tmp_path: Path) -> None:
    import subprocess

    environ = clean_environ()
    wheel = build_wheel(tmp_path, "safepip_prompt_pkg")
    subprocess.run(
        [str(pip_venv), "-m", "pip", "install", "--no-index", str(wheel)],
        check=True,
        env=environ,
        capture_output=True,
    )
    child = spawn_safepip(
        ["uninstall", "safepip_prompt_pkg"], {**environ, "SAFEPIP_PYTHON": str(pip_venv)}
    )
    child.expect_exact("Proceed (Y/n)? ")
    child.sendline("y")
    child.expect("Successfully uninstalled safepip[-_]prompt[-_]pkg-1.0")
    assert finish(child) == 0
    gone = subprocess.run(
        [str(pip_venv), "-c", "import safepip_prompt_pkg"],
        env=environ,
        capture_output=True,
        check=False,
    )
    assert gone.returncode == 1
