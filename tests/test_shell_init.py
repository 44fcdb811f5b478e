"""`safepip shell-init`: the code each shell evaluates makes `pip` run safepip, and only that.

The shells themselves run the code (bash, zsh and fish, each skipped when not installed: on
Debian/Ubuntu `apt-get install -y zsh fish`). `pip` goes to safepip, which runs the stand-in pip
(tests/standin, behaviour `argv` prints its arguments); a fake "real pip" first on PATH prints
"real pip ..." so that a bypass shows.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.commands import shell_init
from testing.environ import clean_environ, need_program
from testing.paths import STANDIN

pytestmark = pytest.mark.slow  # real bash, zsh and fish processes

SHELLS = ["bash", "zsh", "fish"]


def init_argv(*args: str) -> list[str]:
    """`safepip shell-init ...`"""
    return [sys.executable, "-m", "safepip", "shell-init", *args]


def need(shell: str) -> str:
    return need_program(shell, "apt-get install -y zsh fish")


@pytest.fixture
def fake_pip(tmp_path: Path) -> Path:
    """A folder holding a "real" pip and pip3 that say so, to put first on PATH."""
    folder = tmp_path / "realbin"
    folder.mkdir()
    for name in ("pip", "pip3"):
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "real {name} $*"\n')
        script.chmod(0o755)
    return folder


def shell_environ(fake_pip: Path, *, standin: bool = True) -> dict[str, str]:
    import os

    extra = {
        "PATH": f"{fake_pip}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAFEPIP_PYTHON": sys.executable,
        "HOME": str(fake_pip.parent),  # no user start-up files of the machine's
        "XDG_CONFIG_HOME": str(fake_pip.parent / "config"),
    }
    if standin:
        extra["PYTHONPATH"] = str(STANDIN)
    return clean_environ(extra)


def generate(shell: str, environ: dict[str, str]) -> str:
    result = subprocess.run(
        init_argv(shell), env=environ, capture_output=True, text=True, check=True
    )
    return result.stdout


def run_script(shell: str, init: str, body: str, environ: dict[str, str], tmp_path: Path) -> str:
    """Evaluate the shell-init output, then run ``body`` line by line, as a start-up file and a
    later prompt would (aliases apply from the line after the one that defines them)."""
    program = need(shell)
    init_file = tmp_path / f"init.{shell}"
    init_file.write_text(init)
    script = tmp_path / f"script.{shell}"
    if shell == "fish":
        script.write_text(f"source {init_file}\n{body}\n")
        argv = [program, "--no-config", str(script)]
    elif shell == "zsh":
        script.write_text(f'eval "$(cat {init_file})"\n{body}\n')
        argv = [program, "-f", str(script)]
    else:
        # A script is not interactive: bash expands aliases in one only when asked to.
        script.write_text(f'shopt -s expand_aliases\neval "$(cat {init_file})"\n{body}\n')
        argv = [program, "--norc", "--noprofile", str(script)]
    result = subprocess.run(argv, env=environ, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_pip_goes_through_safepip(shell: str, fake_pip: Path, tmp_path: Path) -> None:
    need(shell)
    environ = shell_environ(fake_pip)
    init = generate(shell, environ)
    status = "$status" if shell == "fish" else "$?"
    out = run_script(
        shell,
        init,
        "\n".join(
            [
                "pip --safepip-version",
                "pip argv 'a b' c",
                "pip3 argv three",
                "pip exit 3",
                f"echo status={status}",
            ]
        ),
        environ,
        tmp_path,
    )
    lines = out.splitlines()
    assert lines[0].startswith("safepip "), out
    assert lines[1:] == ["['a b', 'c']", "['three']", "status=3"], out
    assert "real pip" not in out


@pytest.mark.parametrize("shell", SHELLS)
def test_pip_version_is_the_real_pips_through_safepip(
    shell: str, fake_pip: Path, tmp_path: Path
) -> None:
    need(shell)
    environ = shell_environ(fake_pip, standin=False)
    out = run_script(shell, generate(shell, environ), "pip --version", environ, tmp_path)
    # pip names the interpreter safepip was told to use, not the fake pip first on PATH.
    assert out.startswith("pip "), out
    assert "real pip" not in out


@pytest.mark.parametrize("shell", SHELLS)
def test_command_pip_bypasses_safepip(shell: str, fake_pip: Path, tmp_path: Path) -> None:
    need(shell)
    environ = shell_environ(fake_pip)
    body = ["command pip argv bypassed", "command pip3 argv bypassed"]
    expected = ["real pip argv bypassed", "real pip3 argv bypassed"]
    if shell != "fish":  # a backslash skips aliases in bash and zsh; fish has no such escape
        body.append("\\pip argv escaped")
        expected.append("real pip argv escaped")
    out = run_script(shell, generate(shell, environ), "\n".join(body), environ, tmp_path)
    assert out.splitlines() == expected


@pytest.mark.parametrize("shell", SHELLS)
def test_scripts_are_untouched(shell: str, fake_pip: Path, tmp_path: Path) -> None:
    """A script started from the shell keeps the real pip: nothing is exported to it."""
    program = need(shell)
    environ = shell_environ(fake_pip)
    child = tmp_path / "child.sh"
    child.write_text("#!/bin/sh\npip argv from-a-script\n")
    child.chmod(0o755)
    out = run_script(shell, generate(shell, environ), f"{program} -c {child}", environ, tmp_path)
    assert out.splitlines() == ["real pip argv from-a-script"]


@pytest.mark.parametrize(("shell", "check"), [("bash", "-n"), ("zsh", "-n"), ("fish", "-n")])
def test_syntax(shell: str, check: str, fake_pip: Path, tmp_path: Path) -> None:
    program = need(shell)
    path = tmp_path / f"init.{shell}"
    path.write_text(generate(shell, shell_environ(fake_pip)))
    flag = "--no-execute" if shell == "fish" else check
    result = subprocess.run([program, flag, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_from_an_interactive_start_up_file(shell: str, fake_pip: Path, tmp_path: Path) -> None:
    """What a user does: the one-liner in the rc file, then `pip` typed at the prompt."""
    program = need(shell)
    environ = shell_environ(fake_pip)
    line = " ".join(f"'{word}'" for word in init_argv(shell))
    rc = tmp_path / "rc"
    rc.write_text(f'eval "$({line})"\n')
    if shell == "bash":
        argv = [program, "--noprofile", "--rcfile", str(rc), "-i"]
    else:
        (tmp_path / ".zshrc").write_text(rc.read_text())
        environ["ZDOTDIR"] = str(tmp_path)
        argv = [program, "-i"]
    result = subprocess.run(
        argv,
        input="pip argv typed\ncommand pip argv typed\nexit\n",
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "['typed']" in result.stdout, result.stdout + result.stderr
    assert "real pip argv typed" in result.stdout


def test_fallback_when_safepip_is_gone(fake_pip: Path, tmp_path: Path) -> None:
    need("bash")
    environ = shell_environ(fake_pip)
    init = shell_init.render("bash", [str(tmp_path / "uninstalled" / "safepip")])
    out = run_script("bash", init, "pip argv still-works", environ, tmp_path)
    assert out.splitlines() == ["real pip argv still-works"]


# -- generating the code ------------------------------------------------------------------------


def test_quoting_of_odd_paths() -> None:
    odd = "/opt/it's here/$HOME/safepip"
    assert "'/opt/it'\\''s here/$HOME/safepip'" in shell_init.render("bash", [odd])
    assert "'/opt/it\\'s here/$HOME/safepip'" in shell_init.render("fish", [odd])
    assert "'/opt/it''s here/$HOME/safepip'" in shell_init.render("powershell", [odd])


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_odd_path_runs(shell: str, fake_pip: Path, tmp_path: Path) -> None:
    need(shell)
    folder = tmp_path / "it's $odd"
    folder.mkdir()
    program = folder / "safepip"
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m safepip "$@"\n')
    program.chmod(0o755)
    environ = shell_environ(fake_pip)
    out = run_script(
        shell, shell_init.render(shell, [str(program)]), "pip argv ok", environ, tmp_path
    )
    assert out.splitlines() == ["['ok']"]


def test_calls_this_installation_by_absolute_path() -> None:
    command, _why = shell_init.safepip_command()
    assert Path(command[0]).is_absolute()
    result = subprocess.run(
        [*command, "--safepip-version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("safepip ")


def test_powershell_code_shape() -> None:
    code = shell_init.render("powershell", ["C:\\Program Files\\safepip.exe"])
    assert "function global:pip {" in code
    assert "function global:pip3 {" in code
    assert "'C:\\Program Files\\safepip.exe'" in code


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SHELL": "/usr/bin/zsh"}, "zsh"),
        ({"SHELL": "/usr/local/bin/fish"}, "fish"),
        ({"SHELL": "/bin/bash"}, "bash"),
        ({"SHELL": "/usr/bin/pwsh"}, "powershell"),
        ({"SHELL": "/bin/tcsh"}, None),
        ({}, None),
    ],
)
def test_detect_from_shell_variable(
    environ: dict[str, str], expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shell_init, "_parent_name", lambda: None)
    monkeypatch.setattr(sys, "platform", "linux")
    assert shell_init.detect_shell(environ) == expected


def test_parent_process_wins_over_shell_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell_init, "_parent_name", lambda: "-zsh")
    assert shell_init.detect_shell({"SHELL": "/bin/bash"}) == "zsh"


def test_detects_the_calling_shell(fake_pip: Path) -> None:
    program = need("zsh")
    environ = shell_environ(fake_pip)
    environ["SHELL"] = "/bin/bash"  # a login shell of bash that started zsh
    line = " ".join(f"'{word}'" for word in init_argv())
    result = subprocess.run(
        [program, "-f", "-c", f"{line}; true"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "(zsh)" in result.stdout.splitlines()[0]


@pytest.mark.parametrize("args", [["tcsh"], ["bash", "zsh"]])
def test_unknown_shell_is_one_line_and_status_2(args: list[str]) -> None:
    result = subprocess.run(
        init_argv(*args), env=clean_environ(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_undetectable_shell(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shell_init, "_parent_name", lambda: "python3")
    monkeypatch.setenv("SHELL", "/bin/tcsh")
    monkeypatch.delenv("PSModulePath", raising=False)
    assert shell_init.run([]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "/bin/tcsh" in err


@pytest.mark.parametrize("shell", SHELLS)
def test_called_as_pip_runs_the_pip_path_finds_next(shell: str, tmp_path: Path) -> None:
    """No $SAFEPIP_PYTHON: `pip` and `pip3` run the pip and pip3 PATH finds (after a folder of
    safepip's launchers, skipped), and that pip does not see $SAFEPIP_INVOKED_AS."""
    need(shell)
    launchers = tmp_path / "launchers"
    real = tmp_path / "real"
    for folder in (launchers, real):
        folder.mkdir()
        for name in ("pip", "pip3"):
            script = folder / name
            script.write_text(
                f'#!/bin/sh\necho "{folder.name} {name} ${{SAFEPIP_INVOKED_AS-}}$*"\n'
            )
            script.chmod(0o755)
    (launchers / ".safepip-launchers").write_text("")
    environ = shell_environ(real, standin=False)
    del environ["SAFEPIP_PYTHON"]
    environ["PATH"] = f"{launchers}:{environ['PATH']}"
    out = run_script(shell, generate(shell, environ), "pip list\npip3 show x", environ, tmp_path)
    assert out.splitlines() == ["real pip list", "real pip3 show x"]


@pytest.mark.skipif(sys.platform == "win32", reason="job control is POSIX here")
@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_jobs_shows_the_arguments_typed(shell: str, tmp_path: Path) -> None:
    """Ctrl-Z on `pip install ...`: the shell's job list shows the arguments typed (not the body
    of a function, nor, in zsh, nothing at all), and `pip` says it is pip."""
    import pexpect

    program = need(shell)
    safepip = tmp_path / "safepip"
    safepip.write_text('#!/bin/sh\necho "ready $SAFEPIP_INVOKED_AS"\nexec sleep 60\n')
    safepip.chmod(0o755)
    init = tmp_path / "init"
    init.write_text(shell_init.render(shell, [str(safepip)]))
    flags = ["--norc", "--noprofile", "-i"] if shell == "bash" else ["-f", "-i"]
    child = pexpect.spawn(
        program,
        flags,
        env=clean_environ({"HOME": str(tmp_path), "TERM": "dumb"}),
        cwd=str(tmp_path),
        timeout=60,
        encoding="utf-8",
        dimensions=(24, 200),
    )
    try:
        # Each step waits for a marker that only the command's output contains (not its echo).
        child.sendline(f". {init}; echo sourced-$((1+1))")
        child.expect_exact("sourced-2")
        child.sendline("pip install some-package==1.0")
        child.expect_exact("ready pip")
        child.sendcontrol("z")
        child.sendline("jobs; echo listed-$((1+1))")
        child.expect_exact("listed-2")
        jobs = str(child.before)
        assert re.search(r"suspended|Stopped", jobs), jobs
        assert "pip" in jobs
        assert "install some-package==1.0" in jobs, jobs
        child.sendline("kill -9 %1; echo killed-$((1+1))")
        child.expect_exact("killed-2")
    finally:
        child.close(force=True)
