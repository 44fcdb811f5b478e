"""With nothing wrong, safepip is pip: same stdout, stderr and exit status (real pip, real venv)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.environ import clean_environ, safepip_argv
from testing.venvs import make_venv

# the relay is the interpreter's: every Python
pytestmark = [pytest.mark.slow, pytest.mark.every_python]


def run_both(python: Path, args: list[str]) -> tuple[subprocess.CompletedProcess[bytes], ...]:
    environ = clean_environ()
    direct = subprocess.run(
        [str(python), "-m", "pip", *args], capture_output=True, env=environ, check=False
    )
    through = subprocess.run(
        safepip_argv(*args),
        capture_output=True,
        env={**environ, "SAFEPIP_PYTHON": str(python)},
        check=False,
    )
    return direct, through


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--version"], id="version"),
        pytest.param(["list", "--format=json"], id="list-json"),
        pytest.param(["show", "pip"], id="show-pip"),
        pytest.param(["no-such-command"], id="unknown-command"),
        pytest.param(
            ["install", "--no-index", "safepip-no-such-distribution"], id="failing-install"
        ),
        pytest.param(["uninstall", "-y", "safepip-absent-distribution"], id="uninstall-absent"),
        pytest.param(["freeze", "-q"], id="freeze-quiet"),
        pytest.param(["--help"], id="pip-help"),
        pytest.param(["install", "--no-such-option"], id="bad-option"),
    ],
)
def test_same_output_and_status_as_pip(pip_venv: Path, args: list[str]) -> None:
    direct, through = run_both(pip_venv, args)
    assert through.returncode == direct.returncode
    assert through.stdout == direct.stdout
    # After pip's own help, and only there, one line points to safepip's.
    hint = b"safepip: safepip's own options and commands: safepip --safepip-help\n"
    assert through.stderr == direct.stderr + (hint if args == ["--help"] else b"")


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["-h"], ["install", "--help"], ["install", "-h"], ["wheel", "--help"]],
    ids=" ".join,
)
def test_help_called_as_pip_is_pips_byte_for_byte(pip_venv: Path, args: list[str]) -> None:
    """Through the shell integration or a launcher (called as pip), pip's help is pip's alone:
    the same bytes on stdout and stderr, and the same status, as the pip PATH finds."""
    environ = clean_environ({"PATH": f"{pip_venv.parent}{os.pathsep}{os.environ['PATH']}"})
    direct = subprocess.run(
        [str(pip_venv.parent / "pip"), *args], capture_output=True, env=environ, check=False
    )
    through = subprocess.run(
        safepip_argv(*args),
        capture_output=True,
        env={**environ, "SAFEPIP_INVOKED_AS": "pip"},
        check=False,
    )
    assert direct.stdout.startswith(b"\nUsage:")
    assert (through.returncode, through.stdout, through.stderr) == (
        direct.returncode,
        direct.stdout,
        direct.stderr,
    )


def test_exit_statuses_differ_between_cases(pip_venv: Path) -> None:
    # Guards the comparison above against a pip that always says the same thing.
    ok, _ = run_both(pip_venv, ["--version"])
    failed, _ = run_both(pip_venv, ["install", "--no-index", "safepip-no-such-distribution"])
    assert ok.returncode == 0
    assert failed.returncode == 1
    assert b"pip " in ok.stdout


def test_stderr_stays_apart_from_stdout(pip_venv: Path) -> None:
    _, through = run_both(pip_venv, ["no-such-command"])
    assert through.stdout == b""
    assert b'unknown command "no-such-command"' in through.stderr


def test_active_virtual_env_is_used(pip_venv: Path) -> None:
    environ = clean_environ({"VIRTUAL_ENV": str(pip_venv.parent.parent)})
    result = subprocess.run(safepip_argv("--version"), capture_output=True, env=environ, check=True)
    assert str(pip_venv.parent.parent) in result.stdout.decode()


def test_pip_python_option_passes_through(pip_venv: Path) -> None:
    # pip >= 22.3 re-runs itself for --python; older pips reject the option. Either way: as pip.
    direct, through = run_both(pip_venv, ["--python", str(pip_venv), "list"])
    assert through.returncode == direct.returncode
    assert through.stdout == direct.stdout


def read_first_line_and_close(argv: list[str], environ: dict[str, str]) -> tuple[bytes, int, bytes]:
    """Like ``argv | head -1``: read one line, close the pipe, collect status and stderr."""
    pipeline = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
    assert pipeline.stdout is not None
    first = pipeline.stdout.readline()
    pipeline.stdout.close()
    _, err = pipeline.communicate()
    return first, pipeline.returncode, err


def test_closed_stdout_with_real_pip_prints_no_traceback(pip_venv: Path) -> None:
    # Whether pip itself notices the closed pipe depends on timing (its output may all fit in
    # the pipe buffer), so only the first line and the absence of a traceback are compared.
    environ = clean_environ({"SAFEPIP_PYTHON": str(pip_venv)})
    direct = read_first_line_and_close([str(pip_venv), "-m", "pip", "list", "-v"], environ)
    through = read_first_line_and_close(safepip_argv("list", "-v"), environ)
    assert through[0] == direct[0]
    assert through[0].startswith(b"Package")
    assert b"Traceback" not in through[2]


def test_closed_stdout_reaches_pip_as_a_broken_pipe(standin_environ: dict[str, str]) -> None:
    # The stand-in prints far more than pipe buffers hold, so it must meet the broken pipe,
    # with or without safepip in between, and it exits as pip does (status 1, one line).
    direct = read_first_line_and_close([sys.executable, "-m", "pip", "flood"], {**standin_environ})
    through = read_first_line_and_close(safepip_argv("flood"), standin_environ)
    assert direct == (b"line 00000 " + b"x" * 90 + b"\n", 1, b"ERROR: Pipe to stdout was broken\n")
    assert through == direct


def test_missing_interpreter_is_one_line(tmp_path: Path) -> None:
    environ = clean_environ({"SAFEPIP_PYTHON": str(tmp_path / "python")})
    result = subprocess.run(safepip_argv("list"), capture_output=True, env=environ, check=False)
    assert result.returncode == 1
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    assert "does not exist" in lines[0]


def test_interpreter_without_pip_is_one_clear_line(tmp_path: Path) -> None:
    make_venv(tmp_path / "bare", with_pip=False)
    python = tmp_path / "bare" / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    environ = clean_environ({"SAFEPIP_PYTHON": str(python)})
    result = subprocess.run(safepip_argv("list"), capture_output=True, env=environ, check=False)
    assert result.returncode == 1
    assert b"Traceback" not in result.stderr
    assert f"safepip: error: {python} (from $SAFEPIP_PYTHON) has no pip".encode() in result.stderr


def test_own_help_and_version_use_their_own_spelling() -> None:
    environ = clean_environ()
    help_ = subprocess.run(
        safepip_argv("--safepip-help"), capture_output=True, env=environ, check=False
    )
    version = subprocess.run(
        safepip_argv("--safepip-version"), capture_output=True, env=environ, check=False
    )
    assert help_.returncode == 0
    assert b"usage: safepip" in help_.stdout
    assert version.returncode == 0
    assert version.stdout.startswith(b"safepip ")


def test_python_dash_m_and_console_script_agree(pip_venv: Path) -> None:
    script = Path(sys.executable).with_name("safepip")
    if not script.exists():
        pytest.skip(f"no safepip console script next to {sys.executable}")
    environ = clean_environ({"SAFEPIP_PYTHON": str(pip_venv)})
    via_script = subprocess.run(
        [str(script), "--version"], capture_output=True, env=environ, check=False
    )
    via_module = subprocess.run(
        safepip_argv("--version"), capture_output=True, env=environ, check=False
    )
    assert via_script.stdout == via_module.stdout
    assert via_script.returncode == via_module.returncode == 0


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["exit", "0"], 0),
        (["exit", "1"], 1),
        (["exit", "2"], 2),
        (["exit", "23"], 23),
        (["kill", "15"], 143),
        (["kill", "9"], 137),
    ],
)
def test_exit_status_through_pipes(
    standin_environ: dict[str, str], args: list[str], status: int
) -> None:
    result = subprocess.run(safepip_argv(*args), env=standin_environ, check=False)
    # Handed over to pip (exec): killed by a signal, it is as a shell reports it (128 + N).
    assert (128 - result.returncode if result.returncode < 0 else result.returncode) == status


def test_arguments_reach_pip_verbatim(standin_environ: dict[str, str]) -> None:
    odd = ["--yes", "a b", "caf\u00e9", "", "-e", "--report", "--safepip-help", "x=y"]
    result = subprocess.run(
        safepip_argv("--no-fix", "argv", *odd),
        env=standin_environ,
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode() == repr(odd) + "\n"
