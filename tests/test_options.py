"""safepip's own options, the pip arguments left untouched, and which interpreter runs pip."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from safepip.errors import SafepipError
from safepip.options import parse_command_line
from safepip.target import choose_python


@pytest.mark.parametrize(
    ("argv", "pip_args"),
    [
        pytest.param(["--version"], ["--version"], id="pip-version"),
        pytest.param(["-h"], ["-h"], id="pip-short-help"),
        pytest.param(["install", "--yes", "."], ["install", "--yes", "."], id="after-command"),
        pytest.param(["uninstall", "-y", "x"], ["uninstall", "-y", "x"], id="uninstall-yes"),
        pytest.param(
            ["--python", "/env/bin/python", "--yes", "install", "."],
            ["--python", "/env/bin/python", "install", "."],
            id="between-global-options",
        ),
        pytest.param(["-v", "--no-fix", "list"], ["-v", "list"], id="after-short-option"),
        pytest.param(["--", "--yes"], ["--", "--yes"], id="after-double-dash"),
    ],
)
def test_pip_arguments_pass_through_verbatim(argv: list[str], pip_args: list[str]) -> None:
    assert parse_command_line(argv, {}).pip_args == pip_args


def test_own_options_before_the_command() -> None:
    invocation = parse_command_line(["--yes", "--report=out.json", "install", "."], {})
    assert (invocation.options.fix, invocation.options.fix_source) == ("apply", "--yes")
    assert invocation.options.report == "out.json"
    assert invocation.pip_args == ["install", "."]
    assert invocation.command == "install"


def test_report_takes_the_next_argument() -> None:
    invocation = parse_command_line(["--report", "r.json", "wheel", "."], {})
    assert invocation.options.report == "r.json"
    assert invocation.pip_args == ["wheel", "."]


def test_report_without_a_file_is_a_clear_error() -> None:
    with pytest.raises(SafepipError, match="--report needs a file name"):
        parse_command_line(["--report"], {})


def test_environment_mirrors_and_the_command_line_wins() -> None:
    invocation = parse_command_line(["list"], {"SAFEPIP_YES": "1", "SAFEPIP_REPORT": "x.json"})
    assert (invocation.options.fix, invocation.options.fix_source) == ("apply", "$SAFEPIP_YES")
    assert invocation.options.report == "x.json"
    assert invocation.options.from_environment == ["SAFEPIP_YES", "SAFEPIP_REPORT"]
    explicit = parse_command_line(["--report", "y.json", "list"], {"SAFEPIP_REPORT": "x.json"})
    assert explicit.options.report == "y.json"


def test_fix_mode_on_the_command_line_overrides_the_environment() -> None:
    invocation = parse_command_line(["--no-fix", "install", "."], {"SAFEPIP_YES": "1"})
    assert (invocation.options.fix, invocation.options.fix_source) == ("explain", "--no-fix")
    with pytest.raises(SafepipError, match="contradict"):
        parse_command_line(["list"], {"SAFEPIP_YES": "1", "SAFEPIP_NO_FIX": "true"})


def test_bad_environment_flag_is_a_clear_error() -> None:
    with pytest.raises(SafepipError, match=r"\$SAFEPIP_YES must be 1 or 0"):
        parse_command_line(["list"], {"SAFEPIP_YES": "maybe"})


def test_contradicting_options() -> None:
    with pytest.raises(SafepipError, match="contradict"):
        parse_command_line(["--yes", "--no-fix", "install", "."], {})


def test_pip_python_option_is_read_but_left_in_place() -> None:
    invocation = parse_command_line(["--python=/a/python", "install", "."], {})
    assert invocation.pip_python == "/a/python"
    assert invocation.pip_args[0] == "--python=/a/python"
    spaced = parse_command_line(["--python", "/b/python", "list"], {})
    assert spaced.pip_python == "/b/python"
    assert spaced.command == "list"


def test_no_command() -> None:
    assert parse_command_line(["--version"], {}).command is None


@pytest.fixture
def fake_env(tmp_path: Path) -> Path:
    """A directory laid out like an environment, its python a copy-free symlink to ours."""
    bin_dir = tmp_path / ("Scripts" if sys.platform == "win32" else "bin")
    bin_dir.mkdir()
    python = bin_dir / ("python.exe" if sys.platform == "win32" else "python")
    python.symlink_to(sys.executable)
    return tmp_path


def test_interpreter_order(fake_env: Path, tmp_path: Path) -> None:
    python = str(fake_env / "bin" / "python")
    assert choose_python({}).executable == sys.executable
    assert choose_python({"CONDA_PREFIX": str(fake_env)}).executable == python
    chosen = choose_python({"VIRTUAL_ENV": str(fake_env), "CONDA_PREFIX": "/nowhere"})
    assert chosen.executable == python
    assert "VIRTUAL_ENV" in chosen.reason
    explicit = choose_python({"SAFEPIP_PYTHON": sys.executable, "VIRTUAL_ENV": "/nowhere"})
    assert explicit.executable == sys.executable


def test_missing_interpreter_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()  # an environment folder without its interpreter
    with pytest.raises(SafepipError) as raised:
        choose_python({"VIRTUAL_ENV": str(tmp_path / "env")})
    message = str(raised.value)
    assert "does not exist" in message
    assert "$VIRTUAL_ENV" in message
    assert "\n" not in message


def test_stale_virtual_env_is_a_note_and_the_pip_on_path(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    pip = folder / "pip"
    pip.write_text("#!/bin/sh\n")
    pip.chmod(0o755)
    notes: list[str] = []
    chosen = choose_python({"VIRTUAL_ENV": str(tmp_path / "gone"), "PATH": str(folder)}, notes)
    assert chosen.pip_command() == [str(pip)]
    assert notes == [
        f"$VIRTUAL_ENV names {tmp_path / 'gone'}, which no longer exists: using pip on PATH"
    ]
    with pytest.raises(SafepipError, match="no `pip` on PATH"):
        choose_python({"VIRTUAL_ENV": str(tmp_path / "gone"), "PATH": str(tmp_path)})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("pip", "pip"),
        ("pip3", "pip3"),
        ("pip3.12", "pip3.12"),
        ("safepip", None),
        ("pipx", None),
        ("", None),
        (None, None),
    ],
)
def test_called_as_names(name: str | None, expected: str | None) -> None:
    from safepip.target import pip_name

    assert pip_name(name) == expected


def test_path_lookup_skips_launchers_and_safepip_itself(tmp_path: Path) -> None:
    """Called as pip3: a launchers folder and a pip3 that is safepip's own script are skipped."""
    from safepip.target import which

    folders = [tmp_path / name for name in ("launchers", "linked", "real")]
    for folder in folders:
        folder.mkdir()
    (folders[0] / ".safepip-launchers").write_text("")
    (folders[0] / "pip3").write_text("#!/bin/sh\n")
    (folders[0] / "pip3").chmod(0o755)
    (folders[1] / "pip3").symlink_to(os.path.realpath(sys.argv[0]))  # "safepip's own script"
    (folders[2] / "pip3").write_text("#!/bin/sh\n")
    (folders[2] / "pip3").chmod(0o755)
    path = os.pathsep.join(str(folder) for folder in folders)
    assert which("pip3", {"PATH": path}) == str(folders[0] / "pip3")
    assert which("pip3", {"PATH": path}, skip_launchers=True) == str(folders[2] / "pip3")
