"""GitHub Actions: findings as ::error workflow commands, and a Markdown step summary."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from safepip.reporting import github
from testing.environ import offline_environ, safepip_argv
from testing.paths import PROJECTS


def test_escaping_follows_the_workflow_command_rules() -> None:
    line = github.annotation(
        {"kind": "k", "package": "a,b:c", "explanation": "50% done\nnext line"}, fix=None
    )
    assert line == "::error title=safepip%3A k (a%2Cb%3Ac)::50%25 done%0Anext line"


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        pytest.param("[project]\nname='x'\n[build-system]\nrequires = []\n", "requires", 4,
                     id="requires-key"),
        pytest.param("[build-system]\nbuild-backend = 'x'\n", "requires", 1, id="header-only"),
        pytest.param("build-system.requires = []\n", "requires", 1, id="dotted"),
        pytest.param("[tool.x]\nrequires = 1\n[build-system]\n", "requires", 3,
                     id="other-table-key-ignored"),
        pytest.param("[build-system]\nrequires=[]\nbuild-backend='y'\n", "build-backend", 3,
                     id="backend"),
    ],
)  # fmt: skip
def test_build_system_line(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    assert github.build_system_line(str(path), key) == line


def test_summary_block_says_found_done_and_the_command() -> None:
    rows = [
        github.Row(
            {"kind": "backend-unavailable", "package": "./p", "module": "flit_core",
             "explanation": "flit_core is missing"},
            'add "flit_core>=3.2" to [build-system] requires in p/pyproject.toml',
            applied=False,
        )
    ]  # fmt: skip
    summary = github.step_summary(["install", "./p"], rows, 1, "safepip --yes install ./p")
    assert summary.startswith("### safepip: `pip install ./p`\n\npip exited with status 1.")
    assert "**Found**\n\n- `./p`: flit\\_core is missing\n" in summary
    assert "**Done**\n\n- nothing was changed\n" in summary
    assert '**To fix**\n\n- add "flit\\_core&gt;=3\\.2" to \\[build\\-system\\]' in summary
    assert "```\nsafepip --yes install ./p\n```" in summary


def test_a_fixed_failure_is_a_warning_that_asks_for_a_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    pyproject = tmp_path / "p" / "pyproject.toml"
    pyproject.parent.mkdir()
    pyproject.write_text("[build-system]\nrequires = []\n")
    failure = {"kind": "backend-unavailable", "package": "./p", "pyproject": str(pyproject)}
    line = github.annotation(failure, "add x", applied=True, changed_file=str(pyproject))
    assert line.startswith("::warning file=p/pyproject.toml,line=2,")
    assert "fixed this in this run: add x. Commit the change to p/pyproject.toml" in line
    row = github.Row(failure, "add x", applied=True, changed_file=str(pyproject))
    summary = github.step_summary(["install", "./p"], [row], 0, "unused")
    assert "**Done**\n\n- add x (commit `p/pyproject.toml`)\n" in summary
    assert "To fix" not in summary


@pytest.mark.slow
def test_a_failed_install_on_github_actions(
    tmp_path: Path, pip_venv: Path, wheelhouse: Path
) -> None:
    project = tmp_path / "flit-missing"
    shutil.copytree(PROJECTS / "flit-missing", project)
    summary = tmp_path / "summary.md"
    environ = offline_environ(
        wheelhouse,
        pip_venv,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_WORKSPACE=str(tmp_path),
    )
    result = subprocess.run(
        safepip_argv("install", str(project)),
        env=environ,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode != 0
    assert "::" not in result.stdout  # workflow commands go to stderr, stdout is pip's
    [annotation] = [line for line in result.stderr.splitlines() if line.startswith("::error")]
    assert annotation.startswith(
        "::error file=flit-missing/pyproject.toml,line=4,title=safepip%3A backend-unavailable"
    )
    assert 'Fix: add "flit_core>=3.2" to [build-system] requires' in annotation
    assert "safepip --yes install" in summary.read_text()


@pytest.mark.slow
def test_nothing_extra_outside_github_actions(pip_venv: Path) -> None:
    environ = offline_environ(Path("/nonexistent"), pip_venv, GITHUB_ACTIONS="false")
    result = subprocess.run(
        safepip_argv("install", "safepip-no-such-distribution"),
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    direct = subprocess.run(
        [str(pip_venv), "-m", "pip", "install", "safepip-no-such-distribution"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout == direct.stdout
    assert result.returncode == direct.returncode == 1
