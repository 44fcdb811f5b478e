"""pip's -q and -v, and PIP_QUIET/PIP_VERBOSE, for safepip's own lines (docs/usage.md, "Quiet and
verbose"): -q hides safepip's INFO lines, -qq its WARNING lines too (a failure is then its one
headline), -qqq its ERROR lines too; what consent rests on always shows."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from safepip.reading.findings import BuildFailure
from safepip.reading.verbosity import pip_verbosity
from safepip.reporting.reporter import TerminalReporter
from testing.environ import clean_environ, safepip_argv
from testing.paths import PROJECTS


@pytest.mark.parametrize(
    ("args", "environ", "verbosity"),
    [
        (["install", "x"], {}, 0),
        (["install", "-q", "x"], {}, -1),
        (["-q", "install", "--quiet", "x"], {}, -2),
        (["install", "-qqq", "x"], {}, -3),
        (["install", "-qv", "x"], {}, 0),
        (["install", "-vv", "x"], {}, 2),
        (["--verbose", "install", "x"], {}, 1),
        (["install", "-qr", "-q.txt"], {}, -1),  # -r's value, bundled or not, is no flag
        (["install", "-r", "-q.txt"], {}, 0),
        (["install", "--", "-q"], {}, 0),
        (["install", "-U", "x"], {}, 0),
        (["install", "-Uq", "x"], {}, -1),
        (["install", "x"], {"PIP_QUIET": "2"}, -2),
        (["install", "-q", "x"], {"PIP_QUIET": "yes"}, -2),
        (["install", "x"], {"PIP_QUIET": "false", "PIP_VERBOSE": "1"}, 1),
        (["install", "x"], {"PIP_QUIET": "lots"}, 0),  # pip refuses it itself
    ],
)
def test_verbosity_counted_as_pip_counts_it(
    args: list[str], environ: dict[str, str], verbosity: int
) -> None:
    assert pip_verbosity(args, environ) == verbosity


FAILURE = BuildFailure(
    kind="backend-unavailable",
    package="./p",
    source="local",
    requirement="flit_core>=3.2",
    explanation="pip could not load the build backend",
    evidence="ModuleNotFoundError: No module named 'flit_core'",
)


@pytest.mark.parametrize(
    ("verbosity", "shown"),
    [
        (1, ["headline", "why", "error", "warning", "info"]),
        (0, ["headline", "why", "error", "warning", "info"]),
        (-1, ["headline", "why", "error", "warning"]),
        (-2, ["headline", "error"]),
        (-3, []),
    ],
)
def test_each_line_at_its_level(
    verbosity: int, shown: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    reporter = TerminalReporter(["install", "./p"], None, verbosity=verbosity)
    reporter.explained(FAILURE, None)
    reporter.fix_failed(OSError("read-only file system"))  # error
    reporter.stopping(3)  # warning
    reporter.running_again(["install", "./p"], None)  # info
    err = capsys.readouterr().err
    lines = {
        "headline": "safepip: The local project ./p could not be built",
        "why": "safepip: Why: pip could not load the build backend",
        "error": "safepip: error: read-only file system",
        "warning": "safepip: stopping after 3 rounds of fixes",
        "info": "safepip: running pip again: install ./p",
    }
    assert [name for name, line in lines.items() if line in err] == shown, err


def test_verbosity_comes_from_pips_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    TerminalReporter(["install", "-qq", "./p"], None).explained(FAILURE, None)
    err = capsys.readouterr().err
    assert "could not be built" in err
    assert "Why:" not in err


@pytest.mark.slow
@pytest.mark.parametrize(
    ("quiet", "environ", "headline", "why"),
    [
        pytest.param([], {}, True, True, id="default"),
        pytest.param(["-q"], {}, True, True, id="q"),
        pytest.param(["-qq"], {}, True, False, id="qq"),
        pytest.param([], {"PIP_QUIET": "2"}, True, False, id="PIP_QUIET=2"),
        pytest.param(["-qqq"], {}, False, False, id="qqq"),
    ],
)
def test_a_real_run_at_each_quietness(
    pip_venv: Path,
    tmp_path: Path,
    quiet: list[str],
    environ: dict[str, str],
    headline: bool,
    why: bool,
) -> None:
    """Real pip, a project whose backend is missing, --no-fix: the proposed fix and its diff show
    at every quietness; the failure's headline up to -qq, its Why up to -q."""
    project = tmp_path / "flit-missing"
    shutil.copytree(PROJECTS / "flit-missing", project)
    result = subprocess.run(
        safepip_argv("--no-fix", "install", "--no-index", *quiet, str(project)),
        capture_output=True,
        text=True,
        env=clean_environ({"SAFEPIP_PYTHON": str(pip_venv), **environ}),
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    err = result.stderr
    assert 'safepip: proposed fix: add "flit_core>=3.2"' in err, err
    assert '+requires = ["flit_core>=3.2"]' in err
    assert ("could not be built: its build backend is unavailable" in err) == headline, err
    assert ("safepip: Why:" in err) == why, err
    assert ("nothing was changed. To apply this fix, run:" in err) == why, err
