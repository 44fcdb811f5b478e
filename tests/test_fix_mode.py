"""The fix mode, resolved once per command: what the options, the variables and the file chose,
then whether a person can be asked; and ``safepip doctor --fix`` under the same rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from safepip.commands.doctor import run as doctor
from safepip.config import Config, FixSetting, load_config, resolve_fix
from safepip.options import parse_command_line

PROJECTS = Path(__file__).parent / "projects"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _resolve(
    argv: list[str],
    environ: dict[str, str],
    config: Config | None = None,
    *,
    pip_args: tuple[str, ...] = ("install", "."),
) -> FixSetting:
    options = parse_command_line([*argv, *pip_args], environ).options
    return resolve_fix(options, config, pip_args=pip_args, environ=environ)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.isatty", lambda fd: True)


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.isatty", lambda fd: False)


@pytest.mark.usefixtures("terminal")
def test_a_terminal_is_asked() -> None:
    fix = _resolve([], {})
    assert (fix.chosen, fix.mode, fix.unasked, str(fix.origin)) == ("ask", "ask", None, "default")
    assert not fix.refused


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("environ", "pip_args", "why"),
    [
        pytest.param({}, ("install", "--no-input", "."), "--no-input", id="no-input"),
        pytest.param({"PIP_NO_INPUT": "yes"}, ("install", "."), "PIP_NO_INPUT", id="pip-no-input"),
        pytest.param({"CI": "true"}, ("install", "."), "CI", id="ci"),
    ],
)
def test_nobody_to_ask_although_there_is_a_terminal(
    environ: dict[str, str], pip_args: tuple[str, ...], why: str
) -> None:
    fix = _resolve([], environ, pip_args=pip_args)
    assert (fix.chosen, fix.mode, fix.unasked) == ("ask", "explain", why)
    assert not fix.refused  # nobody said no: preapproved fixes still apply


@pytest.mark.usefixtures("no_terminal")
def test_without_a_terminal_ask_becomes_explain() -> None:
    fix = _resolve([], {})
    assert (fix.chosen, fix.mode, fix.unasked) == ("ask", "explain", "no terminal")


@pytest.mark.usefixtures("no_terminal")
def test_yes_applies_without_a_terminal_and_in_ci() -> None:
    fix = _resolve(["--yes"], {"CI": "true"})
    assert (fix.chosen, fix.mode, fix.unasked, str(fix.origin)) == ("apply", "apply", None, "--yes")


@pytest.mark.usefixtures("terminal")
@pytest.mark.parametrize(
    ("argv", "environ", "text", "origin"),
    [
        pytest.param(["--no-fix"], {}, "", "--no-fix", id="option"),
        pytest.param([], {"SAFEPIP_NO_FIX": "1"}, "", "$SAFEPIP_NO_FIX", id="variable"),
        pytest.param([], {}, '[options]\nfix = "no"\n', "{path}:2", id="file"),
    ],
)
def test_every_no_refuses_even_on_a_terminal(
    argv: list[str], environ: dict[str, str], text: str, origin: str, tmp_path: Path
) -> None:
    path = _config(tmp_path, text)
    fix = _resolve(argv, environ, load_config({"SAFEPIP_CONFIG": str(path)}))
    assert (fix.chosen, fix.mode, fix.refused) == ("explain", "explain", True)
    assert str(fix.origin) == origin.format(path=path)


# --- safepip doctor --fix: the same resolution ---------------------------------------------


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "flit-missing"
    shutil.copytree(PROJECTS / "flit-missing", target)
    for name in ("SAFEPIP_YES", "SAFEPIP_NO_FIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("os.isatty", lambda fd: False)
    return target


def _use_config(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("SAFEPIP_CONFIG", str(path))


def test_doctor_takes_fix_yes_from_the_configuration(
    broken: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _use_config(monkeypatch, _config(tmp_path, '[options]\nfix = "yes"\n'))
    assert doctor(["--fix", str(broken)]) == 0
    assert "no findings left" in capsys.readouterr().out


def test_doctor_says_the_configuration_refused(
    broken: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config(tmp_path, '[options]\nfix = "no"\n')
    _use_config(monkeypatch, path)
    before = (broken / "pyproject.toml").read_bytes()
    assert doctor(["--fix", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f'safepip doctor: {path}:2 says fix = "no", so nothing was changed' in out
    assert (broken / "pyproject.toml").read_bytes() == before
    # doctor's own --yes is a command-line option: it outranks the file.
    assert doctor(["--fix", "--yes", str(broken)]) == 0
    assert (broken / "pyproject.toml").read_bytes() != before


def test_doctor_with_an_unusable_configuration_is_a_usage_error(
    broken: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _use_config(monkeypatch, _config(tmp_path, '[options]\nfix = "maybe"\n'))
    with pytest.raises(SystemExit) as info:
        doctor(["--fix", str(broken)])
    assert info.value.code == 2
    assert 'fix: must be "ask", "yes" or "no"' in capsys.readouterr().err
    # Without --fix the fix mode is not needed, and the file is not read (as before).
    assert doctor([str(broken)]) == 1
    assert "backend-not-in-requires" in capsys.readouterr().out
