"""The session loop in-process: a fake pip (a runner that prints a real pip's lines) and a
reporter that records what the session tells it. The real pip runs are in test_fixes.py."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from safepip.config import resolve_fix
from safepip.options import Invocation, SafepipOptions
from safepip.reading.consumer import Fanout
from safepip.reporting.records import SessionRecord
from safepip.session import Session
from safepip.target import TargetPython

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
    """A reporter that keeps each event's name (and for some, a value) and asks nobody."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.record: SessionRecord | None = None

    def __getattr__(self, name: str) -> object:
        def event(*args: object, **kwargs: object) -> None:
            self.events.append((name, args[0] if args else None))

        return event

    def ask(self, *, before_pip: bool) -> bool:
        self.events.append(("ask", before_pip))
        return False

    def finished(self, record: SessionRecord) -> None:
        self.record = record

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


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
    report = reporter.record.to_json()
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
    report = reporter.record.to_json()
    assert report["exit_status"] == 0
    [round_] = report["rounds"]
    assert round_["round"] == 1
    assert [fix["applied_as"] for fix in round_["fixes"]] == ["patched pyproject.toml"]
    assert [run["exit_status"] for run in round_["runs"]] == [0]
    [changed] = report["changed_files"]
    assert changed["path"].endswith("pyproject.toml")
