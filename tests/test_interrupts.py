"""Ctrl-C, wherever it comes: safepip stops, exits 130, and leaves every file consistent.

At the consent prompt nothing has been written: the project is byte for byte as it was. During
the retry the consented change stays, whole, with its backup; nothing more is run or changed.
Both ways pip can run are covered: a pty (a terminal) and pipes (CI, where the terminal's
SIGINT reaches the whole process group).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomlkit

from testing.environ import offline_environ, safepip_argv
from testing.paths import PROJECTS

if sys.platform == "win32":
    pytest.skip("process groups and ptys are POSIX", allow_module_level=True)

import pexpect

# process groups, ptys and signals to real children
pytestmark = [pytest.mark.slow, pytest.mark.every_python]

TIMEOUT = 120
ORIGINAL = (PROJECTS / "flit-missing" / "pyproject.toml").read_bytes()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "flit-missing"
    shutil.copytree(PROJECTS / "flit-missing", target)
    return target


def spawn(args: list[str], environ: dict[str, str], cwd: Path) -> pexpect.spawn:  # type: ignore[type-arg]
    argv = safepip_argv(*args)
    return pexpect.spawn(argv[0], argv[1:], env=environ, cwd=str(cwd), timeout=TIMEOUT)


def finish(child: pexpect.spawn) -> tuple[int, bytes]:  # type: ignore[type-arg]
    child.expect(pexpect.EOF)
    rest = child.before or b""
    child.close()
    if child.signalstatus is not None:
        return 128 + int(child.signalstatus), rest
    return int(child.exitstatus), rest


def leftovers(project: Path) -> list[str]:
    """Files safepip may have created in the project: temporaries and backups."""
    return sorted(name.name for name in project.iterdir() if "safepip" in name.name)


def requires(project: Path) -> list[str]:
    document = tomlkit.parse((project / "pyproject.toml").read_text()).unwrap()
    return list(document["build-system"]["requires"])


@pytest.mark.parametrize(
    "preflight", [True, False], ids=["prompt-before-pip", "prompt-after-pip-failed"]
)
def test_ctrl_c_at_the_prompt_changes_nothing(
    preflight: bool, project: Path, pip_venv: Path, wheelhouse: Path
) -> None:
    extra = {} if preflight else {"SAFEPIP_PREFLIGHT": "0"}
    environ = offline_environ(wheelhouse, pip_venv, **extra)
    child = spawn(["install", str(project)], environ, project.parent)
    if not preflight:
        child.expect_exact("flit_core")  # pip ran and failed: the diagnosis names the backend
    # Before pip ran, the question does not speak of running the command "again".
    child.expect_exact(
        "apply this fix, then run pip? [y/N] "
        if preflight
        else "apply this fix and run the command again? [y/N] "
    )
    child.sendintr()
    status, rest = finish(child)
    assert status == 130
    assert b"Traceback" not in rest
    assert (project / "pyproject.toml").read_bytes() == ORIGINAL
    assert leftovers(project) == []


def test_ctrl_c_during_the_retry_keeps_the_whole_fix_and_stops(
    project: Path, pip_venv: Path, wheelhouse: Path
) -> None:
    environ = offline_environ(wheelhouse, pip_venv, SAFEPIP_PREFLIGHT="0")
    child = spawn(["install", str(project)], environ, project.parent)
    child.expect_exact("apply this fix and run the command again? [y/N] ")
    child.sendline("y")
    child.expect_exact("running pip again")
    child.expect_exact("Processing")  # the retry's pip has started on the project
    child.sendintr()
    status, rest = finish(child)
    assert status == 130
    assert b"Traceback" not in rest
    assert b"proposed fix" not in rest  # nothing more was proposed, run or changed
    assert requires(project) == ["flit_core>=3.2"]  # the consented change, whole and once
    backups = [project / name for name in leftovers(project)]
    assert [path.name for path in backups] == ["pyproject.toml.safepip-backup"]
    assert backups[0].read_bytes() == ORIGINAL


def read_until(process: subprocess.Popen[bytes], stream: str, marker: bytes) -> dict[str, bytes]:
    """Read both of the child's pipes until ``marker`` shows on ``stream``; return what came."""
    assert process.stdout is not None
    assert process.stderr is not None
    seen = {"stdout": b"", "stderr": b""}
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ, "stdout")
        selector.register(process.stderr, selectors.EVENT_READ, "stderr")
        deadline = time.monotonic() + TIMEOUT
        while marker not in seen[stream]:
            assert time.monotonic() < deadline, f"no {marker!r} on {stream}: {seen!r}"
            for key, _ in selector.select(timeout=1):
                chunk = os.read(key.fileobj.fileno(), 65536)  # type: ignore[union-attr]
                assert chunk, f"{key.data} ended before {marker!r}: {seen!r}"
                seen[key.data] += chunk
    return seen


def test_ctrl_c_through_pipes_during_the_retry_exits_130(
    project: Path, pip_venv: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    """CI: no terminal, --yes; the terminal's SIGINT goes to safepip and pip alike."""
    report = tmp_path / "report.json"
    process = subprocess.Popen(
        safepip_argv("--yes", "--report", str(report), "install", str(project)),
        env=offline_environ(wheelhouse, pip_venv, SAFEPIP_PREFLIGHT="0"),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a process group of its own, as a shell job would have
    )
    read_until(process, "stderr", b"running pip again")
    read_until(process, "stdout", b"Processing")
    os.killpg(process.pid, signal.SIGINT)
    _, errors = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130
    assert b"Traceback" not in errors
    assert requires(project) == ["flit_core>=3.2"]
    document = json.loads(report.read_text())
    assert [run.get("interrupted", False) for run in document["runs"]] == [False, True]
    assert document["changed_files"][0]["path"] == str(project / "pyproject.toml")


@pytest.fixture
def relayed_environ(standin_environ: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The stand-in through safepip's relay: an interpreter with no pip script beside it, so
    safepip cannot hand over to pip (exec) and runs it as a child, as for a building command."""
    (tmp_path / "bin").mkdir()
    python = tmp_path / "bin" / "python"
    python.symlink_to(sys.executable)
    return {**standin_environ, "SAFEPIP_PYTHON": str(python)}


@pytest.mark.parametrize(
    ("behaviour", "status"),
    [
        pytest.param([], 130, id="pip-handles-it-and-fails"),
        # pip was done (or carried on): its success stands, whatever was typed.
        pytest.param(["finish"], 0, id="pip-finishes-anyway"),
    ],
)
def test_sigint_through_pipes_while_pip_runs(
    behaviour: list[str], status: int, relayed_environ: dict[str, str]
) -> None:
    process = subprocess.Popen(
        safepip_argv("wait-ctrl-c", *behaviour),
        env=relayed_environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    read_until(process, "stdout", b"ready")
    os.killpg(process.pid, signal.SIGINT)
    output, errors = process.communicate(timeout=TIMEOUT)
    assert output == b"interrupted\n"  # pip got it ...
    assert errors == b""  # ... and safepip adds nothing to a command it only relayed
    assert process.returncode == status


def test_sigint_in_a_handed_over_command_is_pips_own(standin_environ: dict[str, str]) -> None:
    """A command that never builds is pip itself (exec): Ctrl-C gives pip's own status."""
    process = subprocess.Popen(
        safepip_argv("wait-ctrl-c"),
        env=standin_environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    read_until(process, "stdout", b"ready")
    os.killpg(process.pid, signal.SIGINT)
    output, errors = process.communicate(timeout=TIMEOUT)
    assert (output, errors, process.returncode) == (b"interrupted\n", b"", 42)


def test_sigint_to_safepips_pid_alone_reaches_pip(pip_venv: Path, tmp_path: Path) -> None:
    """``kill -INT <safepip's pid>`` (a supervisor, ``timeout -s INT``): pip is not in on it, so
    safepip passes it on once pip has not exited after a short grace; pip stops, safepip exits
    130 and nothing hangs (issue 18, item 14). pip waits on an index that never answers."""
    import socket

    with socket.socket() as index:
        index.bind(("127.0.0.1", 0))
        index.listen(8)  # connections queue up, and nothing is ever read or answered
        url = f"http://127.0.0.1:{index.getsockname()[1]}/simple"
        args = ["install", "--index-url", url, "--timeout", "600", "--retries", "0", "nothing"]
        process = subprocess.Popen(
            safepip_argv(*args),
            env=offline_environ(tmp_path, pip_venv, PIP_NO_INDEX="0"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # no terminal: the signal comes from kill, to one pid
        )
        try:
            read_until(process, "stdout", b"Looking in indexes")
            os.kill(process.pid, signal.SIGINT)
            _, errors = process.communicate(timeout=TIMEOUT)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 130, errors
    assert b"Traceback" not in errors
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # pip, in safepip's process group, is gone too
