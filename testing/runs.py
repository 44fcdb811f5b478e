"""Running the real safepip (and the real pip) in a child process, and reading what each said.

Shared by the environment-fault tests and the exit-status contract tests: a run is a whole
process with its exit status and both streams as bytes, and the helpers below tell safepip's own
lines from pip's, find a traceback that is safepip's, and compare folders before and after.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, NamedTuple, Union

from testing.environ import clean_environ, safepip_argv
from testing.paths import PROJECTS

#: How long one child may take (a real pip build included) before the test gives up on it.
TIMEOUT = 180

_Stream = Union[int, IO[bytes], None]

#: A line safepip itself printed: ``safepip: ...`` from a pip command, ``safepip doctor: ...``
#: (and the other own commands) from its own commands.
_OWN_LINE = re.compile(r"^safepip(?: [a-z-]+)?: ")
#: A frame of a Python traceback in safepip's own code (pip's tracebacks name pip's files).
_SAFEPIP_FRAME = re.compile(r'File "[^"]*[\\/]safepip[\\/][^"]*\.py", line \d+')


class Run(NamedTuple):
    """One finished child: its exit status (128+N for signal N, as a shell says) and output."""

    status: int
    stdout: bytes
    stderr: bytes

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def own_lines(self) -> list[str]:
        """Every line of stderr that safepip printed itself."""
        return [line for line in self.err.splitlines() if _OWN_LINE.match(line)]

    def error_lines(self) -> list[str]:
        """safepip's lines that report a failure of its own (not its diagnosis of pip's)."""
        return [
            line
            for line in self.own_lines()
            if re.match(
                r"^safepip(?: [a-z-]+)?: (?:error: |internal error: |could not |cannot )", line
            )
        ]

    def pip_lines(self) -> list[str]:
        """The lines of stderr that safepip did not print: pip's, passed through."""
        return [line for line in self.err.splitlines() if not _OWN_LINE.match(line)]


def status_of(returncode: int) -> int:
    """subprocess's return code (negative for a signal) as a shell reports it."""
    return 128 - returncode if returncode < 0 else returncode


def run_argv(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    cwd: Path | None = None,
    stdin: _Stream = subprocess.DEVNULL,
    stdout: _Stream = subprocess.PIPE,
) -> Run:
    """Run ``argv`` with no terminal anywhere (stdin /dev/null by default, pipes for output)."""
    result = subprocess.run(
        list(argv),
        env=dict(environ),
        cwd=cwd,
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=TIMEOUT,
        check=False,
    )
    return Run(status_of(result.returncode), result.stdout or b"", result.stderr)


def run_safepip(
    args: Sequence[str],
    environ: Mapping[str, str],
    *,
    cwd: Path | None = None,
    stdin: _Stream = subprocess.DEVNULL,
    stdout: _Stream = subprocess.PIPE,
) -> Run:
    """The real ``safepip ARGS`` (``python -m safepip``) in a child process."""
    return run_argv(safepip_argv(*args), environ, cwd=cwd, stdin=stdin, stdout=stdout)


def run_pip(
    python: Path,
    args: Sequence[str],
    environ: Mapping[str, str],
    *,
    cwd: Path | None = None,
    stdin: _Stream = subprocess.DEVNULL,
    stdout: _Stream = subprocess.PIPE,
) -> Run:
    """Plain ``python -m pip ARGS``, to compare safepip with in the same situation."""
    argv = [str(python), "-m", "pip", *args]
    return run_argv(argv, environ, cwd=cwd, stdin=stdin, stdout=stdout)


def assert_no_traceback_of_ours(run: Run, *, pip_may_print_one: bool = False) -> None:
    """No traceback from safepip and no crash of safepip; pip's own may be allowed.

    pip before 26 prints a traceback of its own when a build backend cannot be imported: with
    ``pip_may_print_one`` such a traceback is fine as long as no frame of it is safepip's.
    """
    assert "internal error" not in run.err, run.err
    assert not _SAFEPIP_FRAME.search(run.err), run.err
    if not pip_may_print_one:
        assert "Traceback" not in run.err, run.err


def copy_project(name: str, folder: Path) -> Path:
    """A writable copy of the fixture project ``tests/projects/NAME`` inside ``folder``."""
    target = folder / name
    shutil.copytree(PROJECTS / name, target)
    return target


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` with its bytes (None for a folder): what "nothing changed,
    nothing left behind" compares."""
    return {
        str(entry.relative_to(folder)): None if entry.is_dir() else entry.read_bytes()
        for entry in sorted(folder.rglob("*"))
    }


def write_script(path: Path, body: str) -> Path:
    """An executable Python script run by the interpreter the tests run in: a stand-in for
    a target interpreter (``SAFEPIP_PYTHON=path``), which gets ``-m pip ARGS`` and ignores them."""
    path.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    path.chmod(0o755)
    return path


#: The signals a crashing pip dies of in these tests, by name (ids) and number.
CRASH_SIGNALS = {
    name: int(getattr(signal, name))
    for name in ("SIGKILL", "SIGSEGV", "SIGTERM")
    if hasattr(signal, name)
}


# The stand-in interpreter: whatever it is asked ("-m pip ..."), it counts the run, prints what
# it is given (a partial line and invalid UTF-8 included) and dies of the signal it is given,
# without a core file.
CRASHING_PIP = """\
import os, resource, signal, sys
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
try:
    import ctypes
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no core through a pipe either
except (OSError, AttributeError):
    pass
with open(os.environ["STANDIN_RUNS"], "a") as runs:
    runs.write(" ".join(sys.argv[1:]) + "\\n")
with open(os.environ["STANDIN_STDOUT"], "rb") as data:
    os.write(1, data.read())
os.write(2, b"stand-in pip: about to crash \\xff\\n")
os.kill(os.getpid(), int(os.environ["STANDIN_SIGNAL"]))
"""
STANDIN_STDERR = b"stand-in pip: about to crash \xff\n"


def crashing_pip(folder: Path, signame: str, stdout: bytes) -> tuple[dict[str, str], Path]:
    """The environment that makes safepip run the crashing stand-in, and its run counter."""
    printed = folder / "standin-stdout"
    printed.write_bytes(stdout)
    runs = folder / "standin-runs"
    environ = clean_environ(
        {
            "SAFEPIP_PYTHON": str(write_script(folder / "crashing-python", CRASHING_PIP)),
            "STANDIN_SIGNAL": str(CRASH_SIGNALS[signame]),
            "STANDIN_STDOUT": str(printed),
            "STANDIN_RUNS": str(runs),
            "SAFEPIP_LOG_DIR": str(folder / "log"),
        }
    )
    return environ, runs
