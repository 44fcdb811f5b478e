"""The session loop in-process: a fake pip (a runner that prints a real pip's lines) and a
reporter that records what the session tells it. The real pip runs are in test_fixes.py."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from safepip.config import resolve_fix
from safepip.deciding.remedies import Remedy
from safepip.memory import Entry
from safepip.options import Invocation, SafepipOptions
from safepip.reading.consumer import Fanout
from safepip.reading.findings import BuildFailure
from safepip.reporting.records import RunRecord, SessionRecord
from safepip.reporting.reporter import Reporter, TerminalReporter
from safepip.session import Session
from safepip.target import TargetPython
from testing.piplogs import TRACEBACK, get_requires_failed

#: A real pip 26.3 log of a project whose backend is not declared.
FLIT_MISSING = (Path(__file__).parent / "logs" / "pip26.3-flit-missing.log").read_text("utf-8")
PYPROJECT = '[build-system]\nbuild-backend = "flit_core.buildapi"\n\n[project]\nname = "x"\n'


class FakePip:
    """Prints ``outputs[i]`` on its i-th run and exits with ``statuses[i]``."""

    def __init__(self, outputs: Sequence[str], statuses: Sequence[int]) -> None:
        self.outputs, self.statuses = list(outputs), list(statuses)
        self.argvs: list[list[str]] = []

    def __call__(
        self, argv: Sequence[str], consumer: Fanout, env: Mapping[str, str] | None = None
    ) -> int:
        run = len(self.argvs)
        self.argvs.append(list(argv))
        for line in self.outputs[run].splitlines():
            consumer.feed_line("stdout", line)
        return self.statuses[run]


class Recorder:
    """A reporter (the :class:`Reporter` protocol, checked by mypy) that keeps each event's name
    and its first value, and asks nobody: it answers no."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.record: SessionRecord | None = None

    def _event(self, name: str, value: object = None) -> None:
        self.events.append((name, value))

    def before_pip(self, failures: Sequence[BuildFailure]) -> None:
        self._event("before_pip", failures)

    def explained(self, failure: BuildFailure, advice: str | None) -> None:
        self._event("explained", failure)

    def proposed(self, remedy: Remedy) -> None:
        self._event("proposed", remedy)

    def preview(self, remedy: Remedy, preview: str) -> None:
        self._event("preview", remedy)

    def alternatives(self, remedies: Sequence[Remedy]) -> None:
        self._event("alternatives", remedies)

    def ask(self, *, before_pip: bool) -> bool:
        self._event("ask", before_pip)
        return False

    def preapproved(self) -> None:
        self._event("preapproved")

    def explain_only(self) -> None:
        self._event("explain_only")

    def dry_run(self, *, before_pip: bool) -> None:
        self._event("dry_run")

    def trying_alternatives(self, remedies: Sequence[Remedy]) -> None:
        self._event("trying_alternatives", remedies)

    def fix_failed(self, error: Exception) -> None:
        self._event("fix_failed", error)

    def cannot_prepare(self, error: Exception) -> None:
        self._event("cannot_prepare", error)

    def running_again(self, args: Sequence[str], pip_constraint: str | None) -> None:
        self._event("running_again", args)

    def stopping(self, rounds: int) -> None:
        self._event("stopping", rounds)

    def transcript_not_kept(self, error: OSError) -> None:
        self._event("transcript_not_kept", error)

    def wheels_unused(self, projects: Sequence[str]) -> None:
        self._event("wheels_unused", projects)

    def pip_killed(self, signal_name: str) -> None:
        self._event("pip_killed", signal_name)

    def output_unreadable(self, reason: str) -> None:
        self._event("output_unreadable", reason)

    def not_installed(self, name: str) -> None:
        self._event("not_installed", name)

    def already_changed(self, path: str) -> None:
        self._event("already_changed", path)

    def rebased(self, path: str) -> None:
        self._event("rebased", path)

    def patched_build_failed(self, sdist_name: str) -> None:
        self._event("patched_build_failed", sdist_name)

    def fetching(self, sdist: str, index: str) -> None:
        self._event("fetching", sdist)

    def reused(self, entries: Sequence[Entry]) -> None:
        self._event("reused", ", ".join(entry.name for entry in entries))

    def remembered(self, lines: Sequence[str]) -> None:
        self._event("remembered", "; ".join(lines))

    def finished(self, record: SessionRecord) -> None:
        self.record = record

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


if TYPE_CHECKING:
    _: type[Reporter] = Recorder  # mypy checks that the fake is a whole Reporter


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "flit-missing").mkdir()
    (tmp_path / "flit-missing" / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.setenv("SAFEPIP_PREFLIGHT", "0")  # pip's failure first, not the static check
    monkeypatch.setenv("SAFEPIP_LOG_DIR", str(tmp_path / "log"))
    return tmp_path


def _session(cwd: Path, pip: FakePip, reporter: Recorder, *, yes: bool) -> Session:
    options = SafepipOptions()
    options.fix, options.fix_source = ("apply", "--yes") if yes else ("explain", "--no-fix")
    invocation = Invocation(options, ["install", "./flit-missing"])
    target = TargetPython("the test's", python=sys.executable)
    fix = resolve_fix(options, None)
    return Session(invocation, target, str(cwd), reporter=reporter, runner=pip, fix=fix)


def test_explain_only_changes_nothing_and_says_so(project: Path) -> None:
    pip, reporter = FakePip([FLIT_MISSING], [1]), Recorder()
    assert _session(project, pip, reporter, yes=False).run() == 1
    assert len(pip.argvs) == 1
    assert reporter.names() == ["explained", "proposed", "preview", "alternatives", "explain_only"]
    assert reporter.record is not None
    report: Any = reporter.record.to_json()  # JSON: read as the report's readers do
    assert [run["purpose"] for run in report["runs"]] == ["your command"]
    [fix] = report["fixes"]
    assert (fix["kind"], fix["change"], fix["applied"]) == (
        "patch-pyproject",
        ["add", "flit_core>=3.2"],
        False,
    )
    assert report["changed_files"] == []
    assert (project / "flit-missing" / "pyproject.toml").read_text() == PYPROJECT


def test_a_fix_is_made_and_the_command_runs_again(project: Path) -> None:
    pip, reporter = FakePip([FLIT_MISSING, "Successfully installed x-1\n"], [1, 0]), Recorder()
    assert _session(project, pip, reporter, yes=True).run() == 0
    assert len(pip.argvs) == 2
    assert pip.argvs[1][-2:] == ["install", "./flit-missing"]  # nothing added for this fix
    assert "flit_core>=3.2" in (project / "flit-missing" / "pyproject.toml").read_text()
    assert reporter.names()[-1] == "running_again"
    assert reporter.record is not None
    report: Any = reporter.record.to_json()  # JSON: read as the report's readers do
    assert report["exit_status"] == 0
    [round_] = report["rounds"]
    assert round_["round"] == 1
    assert [fix["applied_as"] for fix in round_["fixes"]] == ["patched pyproject.toml"]
    assert [run["exit_status"] for run in round_["runs"]] == [0]
    [changed] = report["changed_files"]
    assert changed["path"].endswith("pyproject.toml")


#: What pip 26.3 prints when a build fails for a reason safepip has no fix for (a compiler).
COMPILE_ERROR = """\
Processing ./flit-missing
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Building wheel for x (pyproject.toml): started
  Building wheel for x (pyproject.toml): finished with status 'error'
  error: subprocess-exited-with-error

  x Building wheel for x (pyproject.toml) did not run successfully.
  ╰─> [2 lines of output]
      x.c:1:10: fatal error: Python.h: No such file or directory
      error: command '/usr/bin/gcc' failed with exit code 1
      [end of output]
ERROR: Failed building wheel for x
Failed to build x
error: failed-wheel-build-for-install
"""


def test_a_fix_that_did_not_finish_the_install_says_what_failed_and_how_to_undo(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pip, reporter = FakePip([FLIT_MISSING, COMPILE_ERROR], [1, 1]), Recorder()
    assert _session(project, pip, reporter, yes=True).run() == 1
    assert len(pip.argvs) == 2
    record = reporter.record
    assert record is not None
    assert record.failed_on == "Failed building wheel for x"
    TerminalReporter(["install", "./flit-missing"], None, verbosity=0).finished(record)
    lines = capsys.readouterr().err.splitlines()
    pyproject = project / "flit-missing" / "pyproject.toml"
    assert lines == [
        (
            "safepip: the fix did not finish the install: pip failed next on Failed building "
            "wheel for x"
        ),
        f"safepip: changed {pyproject} (backup: {pyproject}.safepip-backup)",
        f"safepip: to undo the change: copy {pyproject}.safepip-backup back over {pyproject}",
    ]


def test_a_command_that_needs_no_fix_never_asks_for_the_pip_programs_python(
    project: Path,
) -> None:
    """Which Python a pip program runs in costs a process to ask: only a fix needs it."""
    options = SafepipOptions()
    invocation = Invocation(options, ["install", "./flit-missing"])
    target = TargetPython("the test's", program=str(project / "no-such-pip"))
    pip, reporter = FakePip(["Successfully installed x-1\n"], [0]), Recorder()
    fix = resolve_fix(options, None)
    session = Session(invocation, target, str(project), reporter=reporter, runner=pip, fix=fix)
    assert session.run() == 0
    assert pip.argvs == [[str(project / "no-such-pip"), "install", "./flit-missing"]]


def test_a_fix_that_changed_no_file_and_did_not_finish_says_what_failed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A build constraint or an install changes no file of the user's: no undo line, but the
    words that the fix did not finish the install, and on what."""
    record = SessionRecord(["install", "x==1"])
    record.add_run(RunRecord(["install", "x==1"], 1, "your command"))
    record.fixed.add("build-constraint:setuptools<82")
    record.failed_on = "ModuleNotFoundError: No module named 'numpy.distutils'"
    TerminalReporter(["install", "x==1"], None, verbosity=0).finished(record)
    assert capsys.readouterr().err.splitlines() == [
        (
            "safepip: the fix did not finish the install: pip failed next on "
            "ModuleNotFoundError: No module named 'numpy.distutils'"
        )
    ]
    record.runs[-1].exit_status = 0  # the install finished: nothing to say
    TerminalReporter(["install", "x==1"], None, verbosity=0).finished(record)
    assert capsys.readouterr().err == ""


# A real pip 26.3 failure of a local setup.py project whose build imports {module}.
CHAIN_FAILURE = get_requires_failed(
    "Processing ./chain",
    [
        TRACEBACK,
        '        File "<string>", line 3, in <module>',
        "      ModuleNotFoundError: No module named '{module}'",
    ],
    "ERROR: Failed to build 'file://{cwd}/chain' when getting requirements to build wheel",
)


def test_a_chain_of_names_no_table_lists_is_fixed_one_per_round(project: Path) -> None:
    """tcping 0.1.0rc1 needs click, six and prettytable, aozora-cli 0.0.1 click and jmespath:
    each round's run shows the next, and the loop's rounds reach the end of such a chain."""
    from safepip.session import MAX_FIX_ROUNDS

    (project / "chain").mkdir()
    pyproject = project / "chain" / "pyproject.toml"
    pyproject.write_text('[build-system]\nrequires = ["setuptools"]\n')
    chain = ["tqdm", "docopt", "sphinx_rtd_theme", "bs4"]
    assert len(chain) == MAX_FIX_ROUNDS  # the longest chain the rounds can finish
    outputs = [CHAIN_FAILURE.format(module=module, cwd=project) for module in chain]
    pip = FakePip([*outputs, "Successfully installed chain-1\n"], [1, 1, 1, 1, 0])
    reporter = Recorder()
    options = SafepipOptions()
    options.fix, options.fix_source = "apply", "--yes"
    invocation = Invocation(options, ["install", "./chain"])
    target = TargetPython("the test's", python=sys.executable)
    session = Session(
        invocation,
        target,
        str(project),
        reporter=reporter,
        runner=pip,
        fix=resolve_fix(options, None),
    )
    assert session.run() == 0
    assert len(pip.argvs) == len(chain) + 1
    text = pyproject.read_text()
    for requirement in ("tqdm", "docopt", "sphinx-rtd-theme", "beautifulsoup4"):
        assert f'"{requirement}"' in text
    assert "stopping" not in reporter.names()
