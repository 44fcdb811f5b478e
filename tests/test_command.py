"""Reading pip's command line: the local projects, sdists and options a command names."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.reading.command import PipCommand


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    for name in ("alpha", "beta", "gamma", "plain-dir"):
        (tmp_path / name).mkdir()
    (tmp_path / "alpha" / "pyproject.toml").write_text("[project]\nname = 'alpha'\n")
    (tmp_path / "beta" / "setup.py").write_text("")
    (tmp_path / "gamma" / "pyproject.toml").write_text("")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "delta-1.0.tar.gz").write_bytes(b"")
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "inner.txt").write_text("-e ../gamma  # an editable project\n")
    (tmp_path / "requirements.txt").write_text(
        "requests>=2\n"
        "# a comment\n"
        "./beta\n"
        "-r reqs/inner.txt\n"
        "./alpha[extra] \\\n"
        "    --hash=sha256:abc\n"
    )
    return tmp_path


def projects(command: PipCommand) -> list[tuple[str, bool]]:
    return [(Path(p.path).name, p.editable) for p in command.local_projects]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(["install", "."], [], id="dot-is-not-a-project-here"),
        pytest.param(["install", "./alpha"], [("alpha", False)], id="path"),
        pytest.param(["install", "-e", "alpha/"], [("alpha", True)], id="editable"),
        pytest.param(["install", "-ealpha/"], [("alpha", True)], id="editable-attached"),
        pytest.param(["install", "--editable=./beta"], [("beta", True)], id="editable-equals"),
        pytest.param(["wheel", "./alpha[extra]"], [("alpha", False)], id="extras"),
        pytest.param(["install", "alpha"], [], id="bare-name-is-a-name"),
        pytest.param(["install", "./plain-dir"], [], id="not-a-project"),
        pytest.param(["install", "-t", "./alpha", "requests"], [], id="option-value"),
        pytest.param(["list", "./alpha"], [], id="not-a-building-command"),
        pytest.param(
            ["install", "-r", "requirements.txt"],
            [("beta", False), ("gamma", True), ("alpha", False)],
            id="requirements-file",
        ),
        pytest.param(
            ["--python", "./alpha", "download", "-d", "./beta", "./alpha"],
            [("alpha", False)],
            id="global-option-and-dest",
        ),
    ],
)
def test_local_projects(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], expected: list[object]
) -> None:
    monkeypatch.chdir(workspace)
    assert projects(PipCommand(args, str(workspace))) == expected


def test_sdist_files_and_flags(workspace: Path) -> None:
    command = PipCommand(
        ["install", "--no-build-isolation", "dist/delta-1.0.tar.gz"], str(workspace)
    )
    assert command.no_build_isolation
    assert command.sdist_files == [str(workspace / "dist" / "delta-1.0.tar.gz")]


def test_index_options_are_kept_for_helper_runs(workspace: Path) -> None:
    command = PipCommand(
        ["-q", "install", "--no-index", "-f", "wh", "--index-url=https://x/simple", "-t", "t", "."],
        str(workspace),
    )
    assert command.index_options() == ["--no-index", "-f", "wh", "--index-url", "https://x/simple"]


def test_project_for_matches_only_named_projects(workspace: Path) -> None:
    command = PipCommand(["install", "./alpha"], str(workspace))
    assert command.project_for(str(workspace / "alpha" / "pyproject.toml")) is not None
    assert command.project_for(str(workspace / "gamma" / "pyproject.toml")) is None
    assert command.project_for(str(workspace / "alpha" / ".." / ".." / "etc" / "x")) is None
    assert command.project_for(None) is None


def test_unreadable_requirements_file_is_left_to_pip(workspace: Path) -> None:
    command = PipCommand(["install", "-r", "missing.txt"], str(workspace))
    assert command.local_projects == []
