"""Environment faults, each met by the real safepip in a child process (issue 7, item 5).

The target interpreter missing, pip missing in it, pip dying of a signal, a full disk or a file
size limit when safepip writes, no permission to write, no terminal, and a stdout that is full,
closed or closed early. For each: one clear line from safepip (never a traceback of its own), the
right exit status (pip's, where pip ran; see docs/exit-status.md), and nothing lost: the project
either untouched or fully patched, no temporary file left behind, pip's output passed through.

pip is the real one in a real virtual environment (conftest's ``pip_venv``, offline through the
wheelhouse), except where pip has to die of a signal: there a stand-in interpreter does.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from testing.environ import clean_environ, offline_environ, safepip_argv
from testing.paths import PROJECTS
from testing.runs import (
    CRASH_SIGNALS,
    STANDIN_STDERR,
    Run,
    assert_no_traceback_of_ours,
    copy_project,
    crashing_pip,
    run_argv,
    run_pip,
    run_safepip,
    tree,
    write_script,
)
from testing.venvs import make_venv, venv_python
from testing.wheels import build_wheel

if os.name != "posix":
    pytest.skip(
        "signals, resource limits, /dev/full and script stand-ins are POSIX",
        allow_module_level=True,
    )

pytestmark = pytest.mark.slow

PROJECT = "flit-missing"
#: The fixture's pyproject.toml, and exactly what safepip's fix makes of it.
ORIGINAL = (PROJECTS / PROJECT / "pyproject.toml").read_bytes()
PATCHED = ORIGINAL.replace(b"requires = []", b'requires = ["flit_core>=3.2"]', 1)
#: pip's words for the failure, whatever its version (pip < 26 in a traceback of its own).
PIP_SAYS = "No module named 'flit_core'"
#: What pip prints when it meets a closed stdout (pip 21.3 to 26.x).
PIP_BROKEN_PIPE = "ERROR: Pipe to stdout was broken"

needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash for pipelines")
needs_dev_full = pytest.mark.skipif(
    not Path("/dev/full").exists(), reason="no /dev/full on this system"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the flit-missing project in ``tmp_path`` (the folder the runs use)."""
    return copy_project(PROJECT, tmp_path)


@pytest.fixture
def environ(tmp_path: Path, wheelhouse: Path, pip_venv: Path) -> dict[str, str]:
    """Offline pip in the shared venv; safepip's transcripts in a folder of this test's own."""
    return offline_environ(wheelhouse, pip_venv, SAFEPIP_LOG_DIR=str(tmp_path / "log"))


@pytest.fixture(scope="module")
def plain_pip(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path, pip_venv: Path) -> Run:
    """Plain pip failing to build the project: the status safepip must return when it fails too."""
    folder = tmp_path_factory.mktemp("plain-pip")
    copy_project(PROJECT, folder)
    run = run_pip(
        pip_venv, ["install", f"./{PROJECT}"], offline_environ(wheelhouse, pip_venv), cwd=folder
    )
    assert run.status != 0
    assert PIP_SAYS in run.err
    return run


def assert_untouched(project: Path) -> None:
    """The project holds exactly what the fixture holds: no change, no backup, no temporary."""
    assert tree(project) == tree(PROJECTS / PROJECT)


def assert_untouched_or_fully_patched(project: Path) -> None:
    """Either nothing happened, or the whole fix with its backup, and nothing else."""
    now = tree(project)
    if now == tree(PROJECTS / PROJECT):
        return
    assert now.pop("pyproject.toml") == PATCHED
    assert now.pop("pyproject.toml.safepip-backup") == ORIGINAL
    assert now == {k: v for k, v in tree(PROJECTS / PROJECT).items() if k != "pyproject.toml"}


def assert_pip_failure_passed_through(run: Run) -> None:
    """pip's own report of the build failure reached the user, not only safepip's summary."""
    assert any(PIP_SAYS in line for line in run.pip_lines()), run.err


def assert_no_leftovers_in(folder: Path) -> None:
    """No spool or temporary file of safepip's left behind (kept transcripts are fine)."""
    if folder.exists():
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


# --- 1. The target interpreter is missing ---------------------------------------------------------


def _deleted_venv(folder: Path) -> str:
    root = folder / "gone-venv"
    make_venv(root, with_pip=False)
    shutil.rmtree(root)
    return str(root)


def _venv_without_python(folder: Path) -> str:
    """An environment folder that is there, but its interpreter is not (a deleted $VIRTUAL_ENV
    is not an error: safepip then runs the pip on PATH, as pip would, with a note)."""
    root = folder / "broken-venv"
    (root / "bin").mkdir(parents=True)
    return str(root)


def _not_executable(folder: Path) -> str:
    path = folder / "python"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o644)
    return str(path)


def _not_a_program(folder: Path) -> str:
    path = folder / "python"
    path.write_text("this is not a program\n")
    path.chmod(0o755)
    return str(path)


def _nonexistent(folder: Path) -> str:
    return str(folder / "no-such-dir" / "python")


def _name_not_on_path(folder: Path) -> str:
    del folder
    return "python0.99"


# id: (variable, how to make its value, safepip's words)
MISSING_INTERPRETERS: dict[str, tuple[str, Callable[[Path], str], str]] = {
    "SAFEPIP_PYTHON-nonexistent": ("SAFEPIP_PYTHON", _nonexistent, "does not exist"),
    "SAFEPIP_PYTHON-name-not-on-PATH": ("SAFEPIP_PYTHON", _name_not_on_path, "does not exist"),
    "SAFEPIP_PYTHON-not-executable": ("SAFEPIP_PYTHON", _not_executable, "is not executable"),
    "SAFEPIP_PYTHON-not-a-program": ("SAFEPIP_PYTHON", _not_a_program, "Exec format error"),
    "VIRTUAL_ENV-without-python": ("VIRTUAL_ENV", _venv_without_python, "does not exist"),
    "CONDA_PREFIX-deleted": ("CONDA_PREFIX", _deleted_venv, "does not exist"),
}


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@pytest.mark.parametrize(
    ("case", "command"),
    [
        *(pytest.param(case, "list", id=f"{case}-list") for case in MISSING_INTERPRETERS),
        # An interpreter that exists but cannot be run passes safepip's check: a consented
        # pre-flight fix may then land before the spawn fails (as test_pip_missing_in_the_target
        # allows). Here only the interpreters safepip refuses before doing anything.
        *(
            pytest.param(case, "yes-install", id=f"{case}-yes-install")
            for case in MISSING_INTERPRETERS
            if not case.endswith("not-a-program")
        ),
    ],
)
def test_missing_interpreter_is_one_line_and_status_1(
    case: str, command: str, tmp_path: Path, project: Path
) -> None:
    variable, make, words = MISSING_INTERPRETERS[case]
    value = make(tmp_path)
    args = ["list"] if command == "list" else ["--yes", "install", f"./{PROJECT}"]
    run = run_safepip(args, clean_environ({variable: value}), cwd=tmp_path)
    assert run.status == 1
    assert run.stdout == b""
    [line] = run.err.splitlines()  # the whole of stderr: one line
    assert line.startswith("safepip: error: ")
    assert words in line
    assert value in line
    assert_no_traceback_of_ours(run)
    assert_untouched(project)


# --- 2. pip is missing in the target --------------------------------------------------------------


@pytest.fixture(scope="module")
def python_without_pip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("no-pip") / "venv"
    make_venv(root, with_pip=False)
    return venv_python(root)


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["list"], id="list"),
        pytest.param(["install", f"./{PROJECT}"], id="install-no-terminal"),
        pytest.param(["--yes", "install", f"./{PROJECT}"], id="yes-install"),
    ],
)
def test_pip_missing_in_the_target(
    args: list[str], python_without_pip: Path, tmp_path: Path, project: Path
) -> None:
    environ = clean_environ({"SAFEPIP_PYTHON": str(python_without_pip)})
    run = run_safepip(args, environ, cwd=tmp_path)
    assert run.status == 1
    assert run.stdout == b""
    [line] = run.error_lines()
    assert line.startswith(
        f"safepip: error: {python_without_pip} (from $SAFEPIP_PYTHON) has no pip"
    )
    assert f"{python_without_pip} -m ensurepip --upgrade" in line
    # Python's own one line is passed through as it was printed.
    python_says = f"{python_without_pip}: No module named pip"
    assert_no_traceback_of_ours(run)
    if "--yes" in args:
        # The pre-flight check needs no pip: its consented fix (shown as a diff) may land before
        # pip is found missing, and then whole, with its backup.
        assert python_says in run.pip_lines()
        assert_untouched_or_fully_patched(project)
    else:
        assert run.pip_lines() == [python_says]
        assert_untouched(project)


# --- 3. pip dies of a signal ----------------------------------------------------------------------

#: pip 26.3 failing to build the project (a real log), as the crashing stand-in's last words.
FLIT_FAILURE_LOG = (
    Path(__file__).parent / "corpus" / "pip26.3-py3.13-flit-missing-install-pipe" / "output.log"
)


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@pytest.mark.parametrize("signame", list(CRASH_SIGNALS))
def test_pip_killed_by_a_signal_in_a_pass_through_command(signame: str, tmp_path: Path) -> None:
    printed = b"Package    Version\n---------- -------\npip        \xff 24.0\npartial"
    environ, runs = crashing_pip(tmp_path, signame, printed)
    run = run_safepip(["list"], environ, cwd=tmp_path)
    assert run.status == 128 + CRASH_SIGNALS[signame]
    assert run.stdout == printed  # byte for byte, the partial last line too
    assert run.stderr.startswith(STANDIN_STDERR)
    assert len(run.own_lines()) <= 1  # at most one line of safepip's, naming the signal
    assert all(signame in line for line in run.own_lines())
    assert_no_traceback_of_ours(run)
    assert runs.read_text().splitlines() == ["-m pip list"]


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@pytest.mark.parametrize("mode", ["no-terminal", "yes"])
@pytest.mark.parametrize("signame", list(CRASH_SIGNALS))
def test_pip_killed_by_a_signal_in_a_session_proposes_nothing(
    signame: str, mode: str, tmp_path: Path, project: Path
) -> None:
    environ, runs = crashing_pip(tmp_path, signame, FLIT_FAILURE_LOG.read_bytes())
    environ["SAFEPIP_PREFLIGHT"] = "0"  # so that only pip's (crashed) run could lead to a fix
    args = ["install", f"./{PROJECT}"]
    run = run_safepip(["--yes", *args] if mode == "yes" else args, environ, cwd=tmp_path)
    assert run.status == 128 + CRASH_SIGNALS[signame]
    assert_no_traceback_of_ours(run)
    assert runs.read_text().splitlines() == [f"-m pip {' '.join(args)}"]  # not run again
    assert "proposed fix" not in run.err
    assert "safepip --yes" not in run.err
    assert_untouched(project)
    assert run.stdout == FLIT_FAILURE_LOG.read_bytes()
    assert run.stderr.startswith(STANDIN_STDERR)


# --- 4. A full disk, a file size limit, a full device ---------------------------------------------


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for this test (root on Linux); skipped where mounting is refused."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not sys.platform.startswith("linux") or mount is None or umount is None:
        pytest.skip("mounting a tmpfs needs Linux and mount(8)")
    point = tmp_path / "tmpfs"
    point.mkdir()
    result = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (root only): {result.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run([umount, str(point)], check=True)


def _write_until_it_fails(handle: BinaryIO, block: bytes) -> int | None:
    """Write ``block`` again and again; the errno that stops it."""
    try:
        while True:
            handle.write(block)
    except OSError as exc:
        return exc.errno


def fill(folder: Path, leave_pages: int) -> None:
    """Fill the file system of ``folder`` up, then free ``leave_pages`` of its blocks."""
    filler = folder / "filler"
    block = os.statvfs(folder).f_frsize
    with filler.open("wb", buffering=0) as handle:
        assert _write_until_it_fails(handle, b"\0" * block) == errno.ENOSPC
    with filler.open("r+b") as handle:
        handle.truncate(filler.stat().st_size - leave_pages * block)
    free = os.statvfs(folder)
    assert free.f_bavail * free.f_frsize == leave_pages * block


@pytest.mark.parametrize(
    ("leave_pages", "words"),
    [
        pytest.param(0, "cannot write a backup of", id="no-room-for-the-backup"),
        pytest.param(1, "cannot write", id="room-for-the-backup-only"),
    ],
)
def test_full_disk_when_patching(
    leave_pages: int,
    words: str,
    tiny_tmpfs: Path,
    environ: dict[str, str],
    plain_pip: Run,
) -> None:
    project = copy_project(PROJECT, tiny_tmpfs)
    fill(tiny_tmpfs, leave_pages)
    run = run_safepip(["--yes", "install", f"./{PROJECT}"], environ, cwd=tiny_tmpfs)
    assert run.status == plain_pip.status  # pip ran, on the unfixed project: its status stands
    [line] = run.error_lines()
    assert line.startswith(f"safepip: error: {words} ")
    assert line.endswith(": No space left on device")
    assert_untouched(project)  # no change, no half backup, no temporary file
    assert_pip_failure_passed_through(run)
    assert_no_traceback_of_ours(run, pip_may_print_one=True)


# safepip in a child whose file size limit is the size of the original pyproject.toml: its
# backup fits, the longer patched file does not (EFBIG; Python ignores SIGXFSZ).
LIMITED_SAFEPIP = """\
import os, resource, sys
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), hard))
os.execv(sys.executable, [sys.executable, "-m", "safepip", *sys.argv[2:]])
"""
# The target interpreter lifts the limit again, so that only safepip's own writes meet it (pip
# runs with SIGXFSZ at its default, which would kill it).
UNLIMITED_PYTHON = """\
import os, resource, sys
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
os.execv({python!r}, [{python!r}, *sys.argv[1:]])
"""


@pytest.mark.parametrize("preflight", ["1", "0"], ids=["patched-before-pip", "patched-after-pip"])
def test_file_size_limit_when_patching(
    preflight: str,
    tmp_path: Path,
    project: Path,
    environ: dict[str, str],
    pip_venv: Path,
    plain_pip: Run,
) -> None:
    python = write_script(tmp_path / "python", UNLIMITED_PYTHON.format(python=str(pip_venv)))
    environ.update(SAFEPIP_PYTHON=str(python), SAFEPIP_PREFLIGHT=preflight)
    argv = [sys.executable, "-c", LIMITED_SAFEPIP, str(len(ORIGINAL))]
    run = run_argv([*argv, "--yes", "install", f"./{PROJECT}"], environ, cwd=tmp_path)
    assert run.status == plain_pip.status
    [line] = [line for line in run.error_lines() if "pyproject.toml" in line]
    assert line == f"safepip: error: cannot write {project / 'pyproject.toml'}: File too large"
    # The transcript of pip's run meets the same limit: said in one line, and not kept in part.
    efbig = f"[Errno {errno.EFBIG}] {os.strerror(errno.EFBIG)}"
    others = [other for other in run.error_lines() if other != line]
    assert others in ([], [f"safepip: could not keep the transcript of this run: {efbig}"])
    assert_no_leftovers_in(tmp_path / "log")
    assert_untouched(project)
    assert_pip_failure_passed_through(run)
    assert_no_traceback_of_ours(run, pip_may_print_one=True)


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@needs_dev_full
@pytest.mark.parametrize("how", ["option", "environment"])
def test_report_to_a_full_device(how: str, environ: dict[str, str], pip_venv: Path) -> None:
    args = ["install", "safepip-no-such-distribution"]
    plain = run_pip(pip_venv, args, environ)
    if how == "option":
        run = run_safepip(["--report", "/dev/full", *args], environ)
    else:
        run = run_safepip(args, {**environ, "SAFEPIP_REPORT": "/dev/full"})
    assert run.status == plain.status == 1
    assert run.error_lines() == [
        "safepip: could not write the report /dev/full: No space left on device"
    ]
    assert run.stdout == plain.stdout
    assert run.pip_lines() == plain.pip_lines()  # pip's errors, all of them, unchanged
    assert_no_traceback_of_ours(run)


@pytest.fixture
def demo_wheel(tmp_path: Path) -> Path:
    folder = tmp_path / "wheels"
    folder.mkdir()
    build_wheel(folder, "safepip_demo_pkg")
    return folder


def _stdout_to_dev_full(argv: list[str], environ: dict[str, str], cwd: Path) -> Run:
    with Path("/dev/full").open("wb") as full:
        return run_argv(argv, environ, cwd=cwd, stdout=full)


def _stdout_closed(argv: list[str], environ: dict[str, str], cwd: Path) -> Run:
    return run_argv(["bash", "-c", 'exec "$@" >&-', "bash", *argv], environ, cwd=cwd)


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@needs_dev_full
@needs_bash
@pytest.mark.parametrize(
    ("stdout", "command"),
    [
        pytest.param("dev-full", "list", id="dev-full-list"),
        pytest.param("dev-full", "install", id="dev-full-install-to-a-folder"),
        pytest.param("closed", "list", id="closed-list"),
    ],
)
def test_unwritable_stdout_behaves_like_pip(
    stdout: str,
    command: str,
    tmp_path: Path,
    environ: dict[str, str],
    pip_venv: Path,
    demo_wheel: Path,
) -> None:
    def args(target: str) -> list[str]:
        if command == "list":
            return ["list"]
        return ["install", "--find-links", str(demo_wheel), "--target", target, "safepip_demo_pkg"]

    run_with = _stdout_to_dev_full if stdout == "dev-full" else _stdout_closed
    plain = run_with([str(pip_venv), "-m", "pip", *args("by-pip")], environ, tmp_path)
    run = run_with(safepip_argv(*args("by-safepip")), environ, tmp_path)
    assert run.status == plain.status
    assert len(run.error_lines()) <= 1
    # `list` is handed over to pip (exec): pip's own "Logging error" traceback is pip's, as is.
    assert_no_traceback_of_ours(run, pip_may_print_one="Traceback" in plain.err)
    if command == "install":
        # pip installs whatever becomes of its output, and so must pip under safepip.
        assert (tmp_path / "by-pip" / "safepip_demo_pkg").is_dir()
        assert (tmp_path / "by-safepip" / "safepip_demo_pkg").is_dir()


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@needs_dev_full
@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--safepip-version"], id="safepip-version"),
        pytest.param(["config-show"], id="config-show"),
        pytest.param(["doctor", str(PROJECTS / PROJECT)], id="doctor"),
    ],
)
def test_own_command_output_to_a_full_device(args: list[str], tmp_path: Path) -> None:
    crash_logs = tmp_path / "tmp"
    crash_logs.mkdir()
    environ = clean_environ({"TMPDIR": str(crash_logs)})
    run = _stdout_to_dev_full(safepip_argv(*args), environ, tmp_path)
    assert_no_traceback_of_ours(run)
    assert run.status not in (0, 3)  # a failure, and not one of safepip's bugs
    assert list(crash_logs.iterdir()) == []
    [line] = run.err.splitlines()
    assert "No space left on device" in line


# --- 5. No permission to write --------------------------------------------------------------------


@pytest.mark.parametrize("what", ["read-only-pyproject", "read-only-project-folder"])
def test_no_permission_to_write(
    what: str, tmp_path: Path, project: Path, environ: dict[str, str], plain_pip: Run
) -> None:
    target = project / "pyproject.toml" if what == "read-only-pyproject" else project
    mode = target.stat().st_mode
    target.chmod(mode & ~0o222)  # chmod a-w: honoured for root too
    try:
        run = run_safepip(["--yes", "install", f"./{PROJECT}"], environ, cwd=tmp_path)
        assert_untouched(project)
    finally:
        target.chmod(mode)
    assert run.status == plain_pip.status
    pyproject = project / "pyproject.toml"
    [line] = run.error_lines()
    if what == "read-only-pyproject":
        assert line.startswith(f"safepip: error: {pyproject} is read-only: ")
    else:
        assert line.startswith(
            f"safepip: error: cannot write {pyproject}: its directory {project} is read-only "
        )
    assert_pip_failure_passed_through(run)
    assert_no_traceback_of_ours(run, pip_may_print_one=True)


# --- 6. No terminal -------------------------------------------------------------------------------


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@needs_bash
@pytest.mark.parametrize("stdin", ["dev-null", "closed"])
def test_no_terminal_explains_and_changes_nothing(
    stdin: str, tmp_path: Path, project: Path, environ: dict[str, str], plain_pip: Run
) -> None:
    args = ["install", f"./{PROJECT}"]
    if stdin == "dev-null":
        run = run_safepip(args, environ, cwd=tmp_path)
    else:
        run = run_argv(
            ["bash", "-c", 'exec "$@" <&-', "bash", *safepip_argv(*args)], environ, cwd=tmp_path
        )
    assert run.status == plain_pip.status
    lines = run.err.splitlines()
    at = lines.index("safepip: nothing was changed. To apply this fix, run:")
    assert lines[at + 1] == f"  safepip --yes install ./{PROJECT}"
    assert "[y/N]" not in run.err
    assert run.error_lines() == []
    assert_untouched(project)
    assert_pip_failure_passed_through(run)
    assert_no_traceback_of_ours(run, pip_may_print_one=True)


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
def test_no_terminal_doctor_fix_explains_and_changes_nothing(tmp_path: Path, project: Path) -> None:
    run = run_safepip(["doctor", "--fix", PROJECT], clean_environ(), cwd=tmp_path)
    assert run.status == 1  # the finding is still there
    # doctor talks on stdout (stderr with --json).
    [line] = [line for line in run.stdout.decode().splitlines() if "nothing changed" in line]
    assert line == (
        "safepip doctor: nothing changed (no terminal to ask); to apply the change above, run: "
        f"safepip doctor --fix --yes {PROJECT}/pyproject.toml"
    )
    assert_untouched(project)
    assert_no_traceback_of_ours(run)


# --- 7. A stdout closed early: `safepip list | head -1` -------------------------------------------

PIPELINE = '"$@" | head -n 1; exit "${PIPESTATUS[0]}"'


@pytest.fixture(scope="module")
def many_distributions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of 300 installed (metadata-only) distributions, deep enough that ``pip list -v``
    prints some 300 KB: more than the pipes and the read between pip and ``head`` hold, so that
    pip meets the closed pipe for certain, with safepip in between or not."""
    folder = tmp_path_factory.mktemp("many")
    for _ in range(4):
        folder /= "d" * 200
    folder.mkdir(parents=True)
    for number in range(300):
        dist_info = folder / f"fake_{number:03d}-1.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: fake-{number:03d}\nVersion: 1.0\n"
        )
    return folder


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@needs_bash
def test_closed_stdout_with_much_output_exits_as_pip_does(
    many_distributions: Path, pip_venv: Path
) -> None:
    environ = clean_environ(
        {"SAFEPIP_PYTHON": str(pip_venv), "PYTHONPATH": str(many_distributions)}
    )
    plain = run_argv(
        ["bash", "-c", PIPELINE, "bash", str(pip_venv), "-m", "pip", "list", "-v"], environ
    )
    run = run_argv(["bash", "-c", PIPELINE, "bash", *safepip_argv("list", "-v")], environ)
    # The premise: the listing (some 300 lines as long as the first) is far more than the two
    # pipes and safepip's read in between can hold, so pip is still writing when head exits.
    assert len(plain.stdout) * 300 > 3 * 64 * 1024
    assert plain.status == 1  # pip met the closed pipe and said so
    assert PIP_BROKEN_PIPE in plain.err
    assert run.status == plain.status
    assert run.stdout == plain.stdout  # the first line
    assert run.stdout.startswith(b"Package")
    assert run.pip_lines() == [PIP_BROKEN_PIPE]  # pip's one line, passed through
    assert run.own_lines() == []
    assert_no_traceback_of_ours(run)


@pytest.mark.every_python  # the interpreter's I/O meets full devices and closed streams
@needs_bash
def test_safepip_list_into_head(pip_venv: Path) -> None:
    # A short listing: whether pip itself meets the closed pipe depends on timing (0 if its
    # output was all written before head exited, 1 with pip's one line if not), so the status
    # must be one of the two pip gives, with the matching output, and no traceback either way.
    environ = clean_environ({"SAFEPIP_PYTHON": str(pip_venv)})
    run = run_argv(["bash", "-c", PIPELINE, "bash", *safepip_argv("list")], environ)
    assert run.stdout.startswith(b"Package")
    assert run.stdout.count(b"\n") == 1
    assert (run.status, run.pip_lines()) in [(0, []), (1, [PIP_BROKEN_PIPE])]
    assert run.own_lines() == []
    assert_no_traceback_of_ours(run)
