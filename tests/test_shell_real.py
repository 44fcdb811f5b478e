"""safepip as a user meets it in a shell: which pip runs, stdin, job control, prompts (issue 11).

Real pip in real venvs (one venv for the module, tiny wheels built locally, no index), real
shells, and a real pty (pexpect) wherever a terminal is the point.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.environ import clean_environ, offline_environ, safepip_argv
from testing.paths import PROJECTS
from testing.venvs import make_venv, seeded_venv
from testing.wheels import build_wheel

if sys.platform == "win32":
    pytest.skip("shells, ptys and job control are POSIX here", allow_module_level=True)

import pexpect

pytestmark = pytest.mark.slow
TIMEOUT = 120
SAFEPIP = " ".join(safepip_argv())
PACKAGES = ["shell_pkg_a", "shell_pkg_b", "shell_pkg_c", "shell_pkg_d", "shell_pkg_e"]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shell-wheels")
    for name in PACKAGES:
        build_wheel(folder, name)
    return folder


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real venv (its python), never activated: the tests reach it through PATH or a variable."""
    return seeded_venv(tmp_path_factory.mktemp("shell") / "venv")


def installed(python: Path, name: str) -> bool:
    probe = [str(python), "-c", f"import {name}"]
    return (
        subprocess.run(probe, env=clean_environ(), capture_output=True, check=False).returncode == 0
    )


def uninstall(python: Path, *names: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "uninstall", "-y", *names],
        env=clean_environ(),
        capture_output=True,
        check=True,
    )


def path_environ(venv: Path, wheels: Path, **extra: str) -> dict[str, str]:
    """The venv first on PATH only (no VIRTUAL_ENV), pip offline with the tiny wheels."""
    return clean_environ(
        {
            "PATH": f"{venv.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": str(wheels),
            **extra,
        }
    )


def bash(
    script: str, environ: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", script],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def spawn_bash(environ: dict[str, str], cwd: Path) -> pexpect.spawn:  # type: ignore[type-arg]
    """An interactive bash on a pty (job control on), with a prompt that is easy to wait for."""
    child = pexpect.spawn(
        "bash",
        ["--norc", "--noprofile", "-i"],
        env={**environ, "PS1": "PROMPT> ", "TERM": "dumb"},
        cwd=str(cwd),
        timeout=TIMEOUT,
        encoding="utf-8",
        codec_errors="replace",
        dimensions=(24, 200),
    )
    child.expect_exact("PROMPT> ")
    return child


def run_line(child: pexpect.spawn, line: str) -> str:  # type: ignore[type-arg]
    """Type ``line``, wait for the next prompt; return what was printed (the echo removed)."""
    child.sendline(line)
    child.expect_exact("PROMPT> ")
    return str(child.before).split("\n", 1)[-1]


# --- 1. which pip runs ----------------------------------------------------------------------------


def test_called_as_pip_with_a_venv_only_on_path(venv: Path, wheels: Path) -> None:
    """A Dockerfile's `ENV PATH=/opt/venv/bin:$PATH`: no VIRTUAL_ENV, and `pip` is that venv's."""
    uninstall(venv, "shell_pkg_a")
    environ = path_environ(venv, wheels, SAFEPIP_INVOKED_AS="pip")
    result = bash(f"{SAFEPIP} install shell_pkg_a && {SAFEPIP} --version", environ)
    assert result.returncode == 0, result.stderr
    assert installed(venv, "shell_pkg_a")
    assert str(venv.parent.parent) in result.stdout  # pip --version names that venv
    # The variable is safepip's: pip (here a fake one that prints its environment) never sees it.
    fake = venv.parent.parent / "fakebin"
    fake.mkdir(exist_ok=True)
    (fake / "pip3").write_text('#!/bin/sh\necho "fake pip3 [${SAFEPIP_INVOKED_AS-unset}] $*"\n')
    (fake / "pip3").chmod(0o755)
    environ = path_environ(venv, wheels, SAFEPIP_INVOKED_AS="pip3")
    environ["PATH"] = f"{fake}{os.pathsep}{environ['PATH']}"
    assert bash(f"{SAFEPIP} list", environ).stdout == "fake pip3 [unset] list\n"


def test_safepip_in_its_own_venv_targets_it_without_activation() -> None:
    """`.venv/bin/safepip install .` in CI: safepip's own ordinary venv is the target."""
    script = Path(sys.executable).with_name("safepip")
    if not script.exists():
        pytest.skip(f"no safepip script next to {sys.executable}")
    result = subprocess.run(
        [str(script), "--version"], env=clean_environ(), capture_output=True, text=True, check=True
    )
    assert str(Path(sys.prefix)) in result.stdout, result.stdout


@pytest.fixture(scope="module")
def pipx_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A pipx-style install: an application venv marked by pipx_metadata.json, holding safepip
    (through a .pth onto the test venv's site-packages), its script linked from a bin folder."""
    root = tmp_path_factory.mktemp("pipx")
    app = root / "venvs" / "safepip"
    make_venv(app, with_pip=False)
    (app / "pipx_metadata.json").write_text("{}\n")
    import sysconfig

    here = sysconfig.get_paths()["purelib"]
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    # `import` lines of a .pth run: addsitedir also reads the test venv's .pth (the editable one).
    pth = app / "lib" / version / "site-packages" / "test-venv.pth"
    pth.write_text(f"import site; site.addsitedir({here!r})\n")
    script = app / "bin" / "safepip"
    script.write_text(
        f"#!{app}/bin/python\nimport sys\nfrom safepip.main import main\nsys.exit(main())\n"
    )
    script.chmod(0o755)
    bindir = root / "bin"
    bindir.mkdir()
    (bindir / "safepip").symlink_to(script)
    return app, bindir


def test_pipx_install_runs_the_pip_on_path(
    pipx_app: tuple[Path, Path], venv: Path, wheels: Path, tmp_path: Path
) -> None:
    _, bindir = pipx_app
    uninstall(venv, "shell_pkg_b")
    environ = path_environ(venv, wheels)
    environ["PATH"] = f"{bindir}{os.pathsep}{environ['PATH']}"
    version = bash("safepip --version", environ)
    assert str(venv.parent.parent) in version.stdout, version  # the PATH pip, not the app's
    assert bash("safepip install shell_pkg_b", environ).returncode == 0
    assert installed(venv, "shell_pkg_b")
    # Uninstalling safepip's own dependency acts on the PATH pip's venv, and safepip still works.
    gone = bash("safepip uninstall -y pexpect", environ)
    assert gone.returncode == 0, gone.stderr
    assert "internal error" not in gone.stderr
    assert bash("safepip --safepip-version && safepip list", environ).returncode == 0
    # No pip on PATH at all: one line saying what to set, status 1.
    environ["PATH"] = f"{bindir}{os.pathsep}{tmp_path}"
    alone = subprocess.run(
        [str(bindir / "safepip"), "list"], env=environ, capture_output=True, text=True, check=False
    )
    assert alone.returncode == 1
    assert alone.stdout == ""
    [line] = alone.stderr.splitlines()
    assert "no `pip` on PATH" in line
    assert "$SAFEPIP_PYTHON" in line


def test_stale_virtual_env_is_a_note_then_the_pip_on_path(
    venv: Path, wheels: Path, tmp_path: Path
) -> None:
    environ = path_environ(venv, wheels, VIRTUAL_ENV=str(tmp_path / "deleted-venv"))
    result = bash(f"{SAFEPIP} --version", environ)
    assert result.returncode == 0
    assert str(venv.parent.parent) in result.stdout
    [note] = result.stderr.splitlines()
    assert note.startswith("safepip: note: $VIRTUAL_ENV names ")
    assert note.endswith("which no longer exists: using pip on PATH")


def test_pip_names_itself_as_plain_pip_does(venv: Path) -> None:
    """Usage lines say `pip install [options]`, not `<python> -m pip install`."""
    environ = clean_environ({"VIRTUAL_ENV": str(venv.parent.parent)})
    for args in (["help", "install"], ["install", "--no-such-option"]):
        plain = subprocess.run(
            [str(venv.with_name("pip")), *args], env=environ, capture_output=True, check=False
        )
        through = subprocess.run(safepip_argv(*args), env=environ, capture_output=True, check=False)
        assert (through.returncode, through.stdout, through.stderr) == (
            plain.returncode,
            plain.stdout,
            plain.stderr,
        )
        assert b"pip install [options]" in plain.stdout + plain.stderr


# --- 2, 3. stdin is the user's ------------------------------------------------------------------


@pytest.mark.every_python
def test_requirements_from_stdin_and_process_substitution(venv: Path, wheels: Path) -> None:
    uninstall(venv, "shell_pkg_c", "shell_pkg_d")
    environ = path_environ(venv, wheels, SAFEPIP_INVOKED_AS="pip")
    piped = bash(f"printf 'shell_pkg_c\\n' | {SAFEPIP} install -r /dev/stdin", environ)
    assert piped.returncode == 0, piped.stderr
    assert installed(venv, "shell_pkg_c")
    substituted = bash(f"{SAFEPIP} install -r <(printf 'shell_pkg_d\\n')", environ)
    assert substituted.returncode == 0, substituted.stderr
    assert installed(venv, "shell_pkg_d")


@pytest.mark.every_python
def test_piped_stdin_on_a_terminal(venv: Path, wheels: Path, tmp_path: Path) -> None:
    """On a terminal, a piped stdin is pip's alone: a while-read loop installs every line,
    `yes |` ends at once, and `echo y |` answers pip's prompt with nothing stray shown."""
    uninstall(venv, "shell_pkg_a", "shell_pkg_b")
    child = spawn_bash(path_environ(venv, wheels, SAFEPIP_INVOKED_AS="pip"), tmp_path)
    loop = (
        f"printf 'shell_pkg_a\\nshell_pkg_b\\n' | while read p; do {SAFEPIP} install -q \"$p\"; "
        "done; echo loop=$?"
    )
    assert "loop=0" in run_line(child, loop)
    assert installed(venv, "shell_pkg_a")
    assert installed(venv, "shell_pkg_b")
    assert "yes=0" in run_line(child, f"yes | {SAFEPIP} --version >/dev/null; echo yes=$?")
    out = run_line(child, f"yes | {SAFEPIP} uninstall -y shell_pkg_a; echo y1=$?")
    assert "y1=0" in out
    out = run_line(child, f"echo y | {SAFEPIP} uninstall shell_pkg_b; echo y2=$?")
    assert "y2=0" in out
    # pip's question, then straight to its next line: no echoed "y" anywhere.
    assert re.search(r"Proceed \(Y/n\)\? +Successfully uninstalled shell", out), out
    assert "\ny\r" not in out
    assert not installed(venv, "shell_pkg_b")
    child.sendline("exit")
    child.expect(pexpect.EOF)


# --- 4. job control -----------------------------------------------------------------------------

#: A stand-in interpreter for pip (SAFEPIP_PYTHON): `install` says ready, waits for a flag file,
#: says done. It keeps safepip's relay and pty in the way, as a real install does.
SLOW_PIP = """\
import os, sys, time
flag = os.environ["SLOW_PIP_FLAG"]
print("ready", os.isatty(1), os.isatty(2), flush=True)
open(flag + ".ready", "w").close()
while not os.path.exists(flag):
    time.sleep(0.05)
print("done", flush=True)
"""


def stat_of(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def children_of(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(word) for word in found.stdout.split()]


@pytest.mark.every_python
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_z_fg_background_and_ctrl_c(tmp_path: Path) -> None:
    python = tmp_path / "slow-python"
    python.write_text(f"#!{sys.executable}\n{SLOW_PIP}")
    python.chmod(0o755)
    flag = tmp_path / "flag"
    environ = clean_environ({"SAFEPIP_PYTHON": str(python), "SLOW_PIP_FLAG": str(flag)})
    child = spawn_bash(environ, tmp_path)
    terminal = run_line(child, "stty -g")

    # Ctrl-Z stops safepip and pip together; fg resumes both and the command completes.
    child.sendline(f"{SAFEPIP} install slow")
    child.expect_exact("ready True True")
    child.sendcontrol("z")
    child.expect("Stopped")
    child.expect_exact("PROMPT> ")
    [safepip] = children_of(child.pid)
    [pip] = children_of(safepip)
    assert (stat_of(safepip), stat_of(pip)) == ("T", "T")
    flag.write_text("")
    child.sendline("fg; echo fg=$?")
    child.expect_exact("done")
    child.expect_exact("fg=0")
    child.expect_exact("PROMPT> ")
    flag.unlink()

    # `&`: runs in the background as pip would, not stopped for touching the terminal.
    # `jobs -l` only once pip has said "ready": under load safepip and pip may take longer than
    # any fixed sleep, and the job line must come after "ready" for the expectations below.
    ready = f"{flag}.ready"
    Path(ready).unlink()
    child.sendline(
        f"{SAFEPIP} install slow & until [ -e {ready} ]; do sleep 0.05; done;"
        f" jobs -l; touch {flag}; wait $!; echo bg=$?"
    )
    child.expect_exact("ready True True")
    child.expect_exact("Running")
    child.expect_exact("bg=0")
    child.expect_exact("PROMPT> ")
    flag.unlink()

    # Ctrl-C: the documented 130, and the terminal as it was.
    child.sendline(f"{SAFEPIP} install slow; echo int=$?")
    child.expect_exact("ready True True")
    child.sendintr()
    child.expect_exact("int=130")
    child.expect_exact("PROMPT> ")
    assert run_line(child, "stty -g") == terminal
    child.sendline("exit")
    child.expect(pexpect.EOF)


# --- 5, 6. prompts only for a person; streams as they are ---------------------------------------


@pytest.mark.parametrize(
    ("extra", "args", "redirect"),
    [
        pytest.param({"CI": "true"}, [], "", id="CI-true"),
        pytest.param({}, ["--no-input"], "", id="no-input"),
        pytest.param({"PIP_NO_INPUT": "1"}, [], "", id="PIP_NO_INPUT"),
        pytest.param({}, [], "2>err.log", id="stderr-to-a-file"),
    ],
)
def test_no_prompt_where_no_one_can_answer(
    extra: dict[str, str],
    args: list[str],
    redirect: str,
    pip_venv: Path,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    shutil.copytree(PROJECTS / "flit-missing", tmp_path / "flit-missing")
    original = (tmp_path / "flit-missing" / "pyproject.toml").read_bytes()
    environ = offline_environ(wheelhouse, pip_venv, **extra)
    child = spawn_bash(environ, tmp_path)
    words = " ".join(["install", *args, "./flit-missing"])
    out = run_line(child, f"{SAFEPIP} {words} {redirect}; echo status=$?")
    errors = (tmp_path / "err.log").read_text() if redirect else out
    assert re.search(r"status=[12]\r", out), out  # pip's failure (2 from pip < 25), no wait
    assert "[y/N]" not in errors
    assert "To apply this fix, run:" in errors
    assert (tmp_path / "flit-missing" / "pyproject.toml").read_bytes() == original
    child.sendline("exit")
    child.expect(pexpect.EOF)


@pytest.mark.every_python
def test_stdout_on_a_terminal_stderr_to_a_file(
    standin_environ: dict[str, str], tmp_path: Path
) -> None:
    """pip's stdout keeps its terminal (a pty), stderr stays a file (relay path: `install`)."""
    (tmp_path / "bin").mkdir()
    python = tmp_path / "bin" / "python"
    body = "import os\nprint('isatty', os.isatty(0), os.isatty(1), os.isatty(2))\n"
    python.write_text(f"#!{sys.executable}\n{body}")
    python.chmod(0o755)
    child = spawn_bash({**standin_environ, "SAFEPIP_PYTHON": str(python)}, tmp_path)
    out = run_line(child, f"{SAFEPIP} install x 2>err.log")
    assert "isatty True True False\r\n" in out  # once "\r\n": the user's terminal's own
    child.sendline("exit")
    child.expect(pexpect.EOF)


# --- 7. own options in the wrong place; --report checked first ----------------------------------


def test_misplaced_own_option_gets_a_hint(venv: Path, wheels: Path) -> None:
    environ = path_environ(venv, wheels, SAFEPIP_INVOKED_AS="pip")
    result = bash(f"{SAFEPIP} install --yes shell_pkg_e", environ)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[-2] == "no such option: --yes"  # pip's, as it is
    assert lines[-1] == (
        "safepip: --yes is safepip's own option: put it before the pip command "
        "(safepip --yes install ...)"
    )


@pytest.mark.parametrize(
    ("report", "words"),
    [
        pytest.param("-", "not one", id="dash"),
        pytest.param("missing/report.json", "does not exist", id="missing-folder"),
        pytest.param(".", "a folder", id="a-folder"),
    ],
)
def test_report_path_is_checked_before_pip_runs(
    report: str, words: str, venv: Path, wheels: Path, tmp_path: Path
) -> None:
    uninstall(venv, "shell_pkg_e")
    environ = path_environ(venv, wheels, SAFEPIP_INVOKED_AS="pip")
    result = bash(f"{SAFEPIP} --report {report} install shell_pkg_e", environ, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("safepip: error: --report")
    assert words in line
    assert not installed(venv, "shell_pkg_e")


def test_help_points_to_safepips_own(venv: Path) -> None:
    environ = clean_environ({"VIRTUAL_ENV": str(venv.parent.parent)})
    for args in ([], ["--help"]):
        result = subprocess.run(safepip_argv(*args), env=environ, capture_output=True, check=False)
        assert result.stdout.startswith(b"\nUsage:")
        assert result.stderr.endswith(
            b"safepip: safepip's own options and commands: safepip --safepip-help\n"
        )
