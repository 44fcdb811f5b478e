"""The exit-status contract (issue 7, item 6): every row of docs/exit-status.md, provoked for real.

Each case below runs the real safepip in a child process and names the row of the table it
provokes, as ``(status, for)`` spelt as in the document. The table is parsed here, and the rows
and the cases must match both ways: a status documented without a test, or tested without being
documented, fails. Ctrl-C (130) is provoked in tests/test_interrupts.py, and only checked for here.

Where a fault is covered in depth (every signal, every way the interpreter can be missing, full
disks), that is tests/test_environment_faults.py; here one case a row is enough, more where a
row says several things.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from testing.environ import clean_environ
from testing.paths import PROJECTS, ROOT, TESTS
from testing.runs import (
    CRASH_SIGNALS,
    Run,
    copy_project,
    crashing_pip,
    run_argv,
    run_pip,
    run_safepip,
    write_script,
)
from testing.venvs import make_venv, venv_python

DOC = ROOT / "docs" / "exit-status.md"
LOGS = TESTS / "logs"
HEADER = re.compile(r"^\|\s*status\s*\|\s*for\s*\|\s*when\s*\|\s*$")

#: Cases whose stand-in interpreter is a script (run through its ``#!`` line), or a signal.
NEEDS_POSIX = {"pip-exits-23", "pip-killed-by-SIGKILL"}
#: Rows whose status is provoked by another test module, which must exist and assert it.
ELSEWHERE = {("130", "all"): TESTS / "test_interrupts.py"}


def documented_rows() -> list[tuple[str, str]]:
    """The ``(status, for)`` of each row of the table in docs/exit-status.md, in order."""
    rows: list[tuple[str, str]] = []
    lines = iter(DOC.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if HEADER.match(line):
            break
    else:
        pytest.fail(f"{DOC} has no table headed | status | for | when |")
    for line in lines:
        if not line.startswith("|"):
            break
        cells = [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]
        if set("".join(cells)) <= set("- "):
            continue  # the separator line
        assert len(cells) == 3, f"a row of three cells, not {line!r}"
        rows.append((cells[0], cells[1]))
    return rows


class Context(NamedTuple):
    tmp_path: Path
    request: pytest.FixtureRequest

    def pip_venv(self) -> Path:
        venv: Path = self.request.getfixturevalue("pip_venv")
        return venv


class Case(NamedTuple):
    row: tuple[str, str]
    #: Runs safepip; returns the run and the status the row promises for it.
    provoke: Callable[[Context], tuple[Run, int]]


CASES: dict[str, Case] = {}


def case(
    status: str, for_: str, name: str
) -> Callable[[Callable[[Context], tuple[Run, int]]], None]:
    def register(provoke: Callable[[Context], tuple[Run, int]]) -> None:
        assert name not in CASES, name
        CASES[name] = Case((status, for_), provoke)

    return register


def one_line(run: Run, prefix: str, *words: str) -> None:
    """safepip said it in one line of stderr, the whole of what it said there."""
    [line] = run.err.splitlines()
    assert line.startswith(prefix), line
    for word in words:
        assert word in line, line


# --- pip commands: pip's own status ---------------------------------------------------------------


def _same_as_pip(context: Context, args: list[str], **extra: str) -> tuple[Run, int]:
    python = context.pip_venv()
    environ = clean_environ({"SAFEPIP_PYTHON": str(python), **extra})
    plain = run_pip(python, args, clean_environ())
    run = run_safepip(args, environ)
    assert run.stdout == plain.stdout
    assert run.stderr == plain.stderr
    return run, plain.status


@case("pip's", "pip commands", "pip-succeeds")
def _(context: Context) -> tuple[Run, int]:
    run, status = _same_as_pip(context, ["--version"])
    assert status == 0
    return run, status


@case("pip's", "pip commands", "pip-finds-nothing-to-install")
def _(context: Context) -> tuple[Run, int]:
    run, status = _same_as_pip(context, ["install", "--no-index", "safepip-no-such-distribution"])
    assert status == 1
    return run, status


@case("pip's", "pip commands", "pip-usage-error")
def _(context: Context) -> tuple[Run, int]:
    run, status = _same_as_pip(context, ["install", "--no-such-option"])
    assert status == 2
    return run, status


@case("pip's", "pip commands", "pip-exits-23")
def _(context: Context) -> tuple[Run, int]:
    # Any status at all comes back as it was: a stand-in interpreter exits 23.
    python = write_script(context.tmp_path / "python", "import sys\nsys.exit(23)\n")
    return run_safepip(["list"], clean_environ({"SAFEPIP_PYTHON": str(python)})), 23


@case("pip's", "pip commands", "unusable-configuration-not-read-by-list")
def _(context: Context) -> tuple[Run, int]:
    return _same_as_pip(context, ["list"], SAFEPIP_CONFIG=str(context.tmp_path / "missing.toml"))


# --- pip commands: pip killed by a signal ---------------------------------------------------------


@case("128 + N", "pip commands", "pip-killed-by-SIGKILL")
def _(context: Context) -> tuple[Run, int]:
    environ, _ = crashing_pip(context.tmp_path, "SIGKILL", b"Package    Version\n")
    return run_safepip(["list"], environ), 128 + CRASH_SIGNALS["SIGKILL"]


# --- pip commands: safepip could not run pip ------------------------------------------------------


@case("1", "pip commands", "interpreter-does-not-exist")
def _(context: Context) -> tuple[Run, int]:
    missing = str(context.tmp_path / "python")
    run = run_safepip(["list"], clean_environ({"SAFEPIP_PYTHON": missing}))
    one_line(run, "safepip: error: ", missing, "does not exist")
    return run, 1


@case("1", "pip commands", "interpreter-has-no-pip")
def _(context: Context) -> tuple[Run, int]:
    root = context.tmp_path / "venv"
    make_venv(root, with_pip=False)
    run = run_safepip(["list"], clean_environ({"SAFEPIP_PYTHON": str(venv_python(root))}))
    assert "has no pip" in run.err.splitlines()[-1]
    return run, 1


# --- install, wheel, download: an unusable configuration file -------------------------------------


@case("1", "install, wheel, download", "configuration-file-missing")
def _(context: Context) -> tuple[Run, int]:
    missing = str(context.tmp_path / "config.toml")
    run = run_safepip(["install", "anything"], clean_environ({"SAFEPIP_CONFIG": missing}))
    one_line(run, "safepip: error: ", missing, "does not exist")
    return run, 1


@case("1", "install, wheel, download", "configuration-file-invalid")
def _(context: Context) -> tuple[Run, int]:
    config = context.tmp_path / "config.toml"
    config.write_text('[options]\nfix = "maybe"\n')
    run = run_safepip(["wheel", "anything"], clean_environ({"SAFEPIP_CONFIG": str(config)}))
    one_line(run, f"safepip: error: {config}:2: ", "options.fix")
    return run, 1


# --- all: a bad option of safepip's own -----------------------------------------------------------


@case("1", "all", "yes-with-no-fix")
def _(context: Context) -> tuple[Run, int]:
    run = run_safepip(["--yes", "--no-fix", "list"], clean_environ())
    one_line(run, "safepip: error: --yes and --no-fix contradict each other")
    return run, 1


@case("1", "all", "report-without-a-file")
def _(context: Context) -> tuple[Run, int]:
    run = run_safepip(["--report"], clean_environ())
    one_line(run, "safepip: error: --report needs a file name")
    return run, 1


@case("1", "all", "SAFEPIP_YES-not-a-boolean")
def _(context: Context) -> tuple[Run, int]:
    run = run_safepip(["--safepip-version"], clean_environ({"SAFEPIP_YES": "maybe"}))
    one_line(run, "safepip: error: $SAFEPIP_YES must be 1 or 0")
    return run, 1


@case("1", "all", "SAFEPIP_NO_FIX-not-a-boolean-for-doctor")
def _(context: Context) -> tuple[Run, int]:
    run = run_safepip(["doctor", str(PROJECTS / "flit-ok")], clean_environ({"SAFEPIP_NO_FIX": "?"}))
    one_line(run, "safepip: error: $SAFEPIP_NO_FIX must be 1 or 0")
    return run, 1


# --- all: a bug in safepip ------------------------------------------------------------------------

# The error boundary itself, reached through its public entry: the simplest bug there is.
CRASH = "import sys\nfrom safepip.errors import guarded\nsys.exit(guarded(lambda: 1 // 0))\n"


@case("3", "all", "bug-in-safepip")
def _(context: Context) -> tuple[Run, int]:
    crash_logs = context.tmp_path / "tmp"
    crash_logs.mkdir()
    environ = clean_environ({"TMPDIR": str(crash_logs), "TEMP": str(crash_logs)})
    run = run_argv([sys.executable, "-c", CRASH], environ)
    [line] = run.err.splitlines()
    match = re.fullmatch(
        r"safepip: internal error: ZeroDivisionError: (.+) \(traceback in (.+)\)", line
    )
    assert match is not None, line
    [log] = crash_logs.iterdir()
    assert match.group(2) == str(log)
    assert log.name.startswith("safepip-crash-")
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "ZeroDivisionError" in text
    assert "Traceback" not in run.err
    return run, 3


# --- safepip's own commands -----------------------------------------------------------------------


def _own(args: list[str], **extra: str) -> Run:
    return run_safepip(args, clean_environ(extra))


@case("0", "--safepip-help, --safepip-version", "safepip-help")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["--safepip-help"])
    assert run.stdout.startswith(b"usage: safepip")
    return run, 0


@case("0", "--safepip-help, --safepip-version", "safepip-version")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["--safepip-version"])
    assert run.stdout.startswith(b"safepip ")
    return run, 0


@case("1", "own commands", "own-output-to-a-full-device")
def _(context: Context) -> tuple[Run, int]:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with Path("/dev/full").open("wb") as full:
        run = run_safepip(["--safepip-version"], clean_environ(), stdout=full)
    one_line(run, "safepip: error: No space left on device")
    return run, 1


@case("141", "own commands", "own-output-reader-gone")
def _(context: Context) -> tuple[Run, int]:
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before safepip writes a byte
    try:
        run = run_safepip(["config-show"], clean_environ(), stdout=write_end)
    finally:
        os.close(write_end)
    assert run.err == ""  # quietly: the reader left on purpose
    return run, 141


@case("0", "diagnose", "diagnose-sound-log")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["diagnose", str(LOGS / "pip25.0.1-sound.log")])
    assert b"no build failure" in run.stdout
    return run, 0


@case("1", "diagnose", "diagnose-failure-found")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["diagnose", str(LOGS / "pip26.3-flit-missing.log")])
    assert b"flit_core" in run.stdout
    return run, 1


@case("2", "diagnose", "diagnose-log-missing")
def _(context: Context) -> tuple[Run, int]:
    missing = str(context.tmp_path / "pip.log")
    run = _own(["diagnose", missing])
    one_line(run, f"safepip diagnose: cannot read {missing}")
    return run, 2


@case("2", "diagnose", "diagnose-log-is-a-folder")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["diagnose", str(context.tmp_path)])
    one_line(run, f"safepip diagnose: cannot read {context.tmp_path}")
    return run, 2


@case("2", "diagnose", "diagnose-binary-file")
def _(context: Context) -> tuple[Run, int]:
    binary = context.tmp_path / "pip.log.gz"
    binary.write_bytes(bytes(range(256)))
    run = _own(["diagnose", str(binary)])
    one_line(run, f"safepip diagnose: {binary} is not a pip log: it is a binary file")
    return run, 2


@case("2", "diagnose", "diagnose-last-without-transcript")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["diagnose", "--last"], SAFEPIP_LOG_DIR=str(context.tmp_path / "empty"))
    one_line(run, "safepip diagnose: no transcript kept yet")
    return run, 2


@case("2", "diagnose", "diagnose-bad-argument")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["diagnose", "--no-such-option"])
    assert "unrecognized arguments: --no-such-option" in run.err
    return run, 2


@case("0", "doctor", "doctor-sound-project")
def _(context: Context) -> tuple[Run, int]:
    return _own(["doctor", str(PROJECTS / "flit-ok")]), 0


@case("0", "doctor", "doctor-fix-leaves-nothing")
def _(context: Context) -> tuple[Run, int]:
    project = copy_project("flit-missing", context.tmp_path)
    run = _own(["doctor", "--fix", "--yes", str(project)])
    assert b"no findings left" in run.stdout
    return run, 0


@case("1", "doctor", "doctor-findings")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["doctor", str(PROJECTS / "flit-missing")])
    assert b"backend-not-in-requires" in run.stdout
    return run, 1


@case("2", "doctor", "doctor-path-missing")
def _(context: Context) -> tuple[Run, int]:
    missing = str(context.tmp_path / "nowhere")
    run = _own(["doctor", missing, str(PROJECTS / "flit-missing")])  # 2 wins over 1
    one_line(run, f"safepip doctor: cannot read {missing}")
    assert b"backend-not-in-requires" in run.stdout  # the other path is still checked
    return run, 2


@case("2", "doctor", "doctor-bad-argument")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["doctor", "--no-such-option"])
    assert "unrecognized arguments: --no-such-option" in run.err
    return run, 2


@case("0", "shell-init", "shell-init-bash")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["shell-init", "bash"])
    assert b"alias pip=" in run.stdout
    return run, 0


@case("2", "shell-init", "shell-init-unknown-shell")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["shell-init", "tcsh"])
    one_line(run, "safepip shell-init: unknown shell 'tcsh'")
    return run, 2


@case("2", "shell-init", "shell-init-two-shells")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["shell-init", "bash", "zsh"])
    one_line(run, "safepip shell-init: one shell at most")
    return run, 2


@case("0", "config-show", "config-show")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["config-show"])
    assert b"[options]" in run.stdout
    return run, 0


@case("1", "config-show", "config-show-file-missing")
def _(context: Context) -> tuple[Run, int]:
    missing = str(context.tmp_path / "config.toml")
    run = _own(["config-show"], SAFEPIP_CONFIG=missing)
    one_line(run, "safepip config-show: ", missing, "does not exist")
    return run, 1


@case("2", "config-show", "config-show-bad-argument")
def _(context: Context) -> tuple[Run, int]:
    run = _own(["config-show", "--no-such-option"])
    assert "unrecognized arguments: --no-such-option" in run.err
    return run, 2


# --- The tests ------------------------------------------------------------------------------------


def _expected_from_row(status: str, expected: int) -> None:
    """The status a case expects is the one its row documents."""
    if status == "pip's":
        return  # pip's own, whatever it is: each case compares with pip or a stand-in
    if status == "128 + N":
        assert expected - 128 in CRASH_SIGNALS.values()
        return
    assert status.isdigit(), f"an undocumented kind of status: {status!r}"
    assert expected == int(status)


@pytest.mark.every_python
@pytest.mark.slow  # each case is a real safepip process, most with real pip
@pytest.mark.parametrize("name", list(CASES))
def test_exit_status(name: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    row, provoke = CASES[name]
    if name in NEEDS_POSIX and sys.platform == "win32":
        pytest.skip("stand-in interpreters are scripts run by their #! line, and signals POSIX")
    run, expected = provoke(Context(tmp_path, request))
    _expected_from_row(row[0], expected)
    assert run.status == expected, run.err
    assert "Traceback" not in run.err


def _asserted_statuses(module: Path) -> set[int]:
    """The integers that the test functions of ``module`` compare something with."""
    found: set[int] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Compare):
                    found.update(
                        side.value
                        for side in [inner.left, *inner.comparators]
                        if isinstance(side, ast.Constant) and isinstance(side.value, int)
                    )
    return found


@pytest.mark.parametrize(
    ("row", "module"), [pytest.param(row, module, id=row[0]) for row, module in ELSEWHERE.items()]
)
def test_exit_status_provoked_elsewhere(row: tuple[str, str], module: Path) -> None:
    assert module.exists(), f"{module.name} should provoke exit status {row[0]}"
    assert int(row[0]) in _asserted_statuses(module)


def test_table_and_tests_list_the_same_rows() -> None:
    rows = documented_rows()
    assert len(rows) == len(set(rows)), "a row appears twice"
    tested = {case.row for case in CASES.values()} | set(ELSEWHERE)
    assert sorted(set(rows) - tested) == [], "documented but not tested"
    assert sorted(tested - set(rows)) == [], "tested but not documented"
    assert not NEEDS_POSIX - set(CASES), "a stale name in NEEDS_POSIX"


def test_the_table_is_linked_from_the_other_pages() -> None:
    for page in ("usage.md", "index.md"):
        assert "(exit-status.md)" in (ROOT / "docs" / page).read_text(encoding="utf-8"), page
