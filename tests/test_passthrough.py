"""With nothing wrong, safepip is pip: same stdout, stderr and exit status (real pip, real venv)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import clean_environ, safepip_argv

pytestmark = pytest.mark.slow


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
    assert through.stderr == direct.stderr


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


def test_closed_stdout_behaves_like_pip(pip_venv: Path) -> None:
    environ = clean_environ({"SAFEPIP_PYTHON": str(pip_venv)})
    results = []
    for argv in ([str(pip_venv), "-m", "pip", "list", "-v"], safepip_argv("list", "-v")):
        pipeline = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ
        )
        assert pipeline.stdout is not None
        first = pipeline.stdout.readline()
        pipeline.stdout.close()  # like `| head -1`
        _, err = pipeline.communicate()
        results.append((first, pipeline.returncode, err))
    (direct_first, direct_code, _), (first, code, err) = results
    assert first == direct_first
    assert code == direct_code
    assert b"Traceback" not in err


def test_missing_interpreter_is_one_line(tmp_path: Path) -> None:
    environ = clean_environ({"SAFEPIP_PYTHON": str(tmp_path / "python")})
    result = subprocess.run(safepip_argv("list"), capture_output=True, env=environ, check=False)
    assert result.returncode == 1
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    assert "does not exist" in lines[0]


def test_interpreter_without_pip_is_one_clear_line(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")],
        check=True,
        env=clean_environ(),
    )
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
