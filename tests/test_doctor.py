"""``safepip doctor``: output, JSON, exit statuses and ``--fix`` with the consent rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.commands.doctor import run
from safepip.main import OWN_COMMANDS
from testing.environ import clean_environ
from testing.runs import run_safepip

PROJECTS = Path(__file__).parent / "projects"
SOUND = PROJECTS / "flit-ok"


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A writable copy of the flit-missing fixture project."""
    target = tmp_path / "flit-missing"
    shutil.copytree(PROJECTS / "flit-missing", target)
    return target


@pytest.fixture(autouse=True)
def _no_consent_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFEPIP_YES", raising=False)
    monkeypatch.delenv("SAFEPIP_NO_FIX", raising=False)
    # --fix reads the configuration file's [options] fix: the tests' empty one, not the user's.
    monkeypatch.setenv("SAFEPIP_CONFIG", clean_environ()["SAFEPIP_CONFIG"])


def doctor(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "safepip", "doctor", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_environ(env),
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run([str(SOUND)]) == 0
    assert capsys.readouterr().out == ""


def test_findings_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        run([str(SOUND), str(PROJECTS / "flit-missing"), str(PROJECTS / "wrong-backend-path")]) == 1
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        (
            f"{PROJECTS / 'flit-missing' / 'pyproject.toml'}:4: backend-not-in-requires: "
            "build-backend 'flit_core.buildapi' is provided by flit_core, which [build-system] "
            "requires does not list: pip's isolated build cannot import it "
            '(fix: add "flit_core>=3.2" to [build-system] requires)'
        ),
        (
            f"{PROJECTS / 'wrong-backend-path' / 'pyproject.toml'}:6: backend-unknown: "
            "build-backend 'flit_core.build_api' is not a known build backend; it looks like a "
            "typo of 'flit_core.buildapi', and pip will fail to import it "
            '(fix: set build-backend = "flit_core.buildapi")'
        ),
    ]


def test_default_path_is_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(PROJECTS / "hatchling-missing")
    assert run([]) == 1
    assert capsys.readouterr().out.startswith("pyproject.toml:4: backend-not-in-requires: ")


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--json", str(PROJECTS / "poetry-missing"), str(SOUND)]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document == {
        "findings": [
            {
                "path": str(PROJECTS / "poetry-missing" / "pyproject.toml"),
                "line": 4,
                "kind": "backend-not-in-requires",
                "message": "build-backend 'poetry.core.masonry.api' is provided by poetry-core, "
                "which [build-system] requires does not list: pip's isolated build cannot "
                "import it",
                "distribution": "poetry-core",
                "fix": 'add "poetry-core>=2" to [build-system] requires',
            }
        ]
    }


def test_json_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--json", str(SOUND)]) == 0
    assert json.loads(capsys.readouterr().out) == {"findings": []}


def test_unreadable_paths_exit_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "pyproject.toml").write_text('[build-system]\nrequires = ["x"\n', encoding="utf-8")
    status = run([str(tmp_path / "nowhere"), str(bad), str(PROJECTS / "flit-missing")])
    assert status == 2
    captured = capsys.readouterr()
    first, second = captured.err.splitlines()
    assert first == f"safepip doctor: cannot read {tmp_path / 'nowhere'}: it does not exist"
    # The reason after the position is the TOML parser's wording (tomllib, tomli): not ours.
    assert second.startswith(
        f"safepip doctor: {bad / 'pyproject.toml'} is not valid TOML (line 3, column 1): "
    )
    assert "backend-not-in-requires" in captured.out  # the other paths are still checked


def test_fix_without_a_terminal_explains_and_changes_nothing(
    broken: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("os.isatty", lambda fd: False)
    before = (broken / "pyproject.toml").read_bytes()
    assert run(["--fix", str(broken)]) == 1
    out = capsys.readouterr().out
    assert '+requires = ["flit_core>=3.2"]  # the defect: flit_core is not listed' in out
    assert f"run: safepip doctor --fix --yes {broken / 'pyproject.toml'}" in out
    assert (broken / "pyproject.toml").read_bytes() == before
    assert not (broken / "pyproject.toml.safepip-backup").exists()


def test_fix_with_yes(broken: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--fix", "--yes", str(broken)]) == 0
    out = capsys.readouterr().out
    assert "safepip doctor: changed" in out
    assert "no findings left" in out
    text = (broken / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires = ["flit_core>=3.2"]  # the defect: flit_core is not listed' in text
    assert "# Keep this comment" in text
    assert (broken / "pyproject.toml.safepip-backup").exists()
    assert run([str(broken)]) == 0


def test_fix_with_safepip_yes(
    broken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFEPIP_YES", "1")
    assert run(["--fix", "--json", str(broken)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["findings"] == []
    assert document["changed"] == [
        {
            "path": str(broken / "pyproject.toml"),
            "backup": str(broken / "pyproject.toml.safepip-backup"),
        }
    ]


def test_safepip_no_fix_wins(
    broken: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFEPIP_NO_FIX", "1")
    before = (broken / "pyproject.toml").read_bytes()
    assert run(["--fix", "--yes", str(broken)]) == 1
    assert "SAFEPIP_NO_FIX is set" in capsys.readouterr().out
    assert (broken / "pyproject.toml").read_bytes() == before


@pytest.mark.parametrize(("answer", "changed"), [("y\n", True), ("\n", False), ("", False)])
def test_fix_on_a_terminal_asks(
    broken: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    changed: bool,
) -> None:
    import io

    monkeypatch.setattr("os.isatty", lambda fd: True)
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    before = (broken / "pyproject.toml").read_bytes()
    assert run(["--fix", str(broken)]) == (0 if changed else 1)
    assert "Apply this change to" in capsys.readouterr().err
    assert ((broken / "pyproject.toml").read_bytes() != before) is changed


def test_fix_of_a_typo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "typo"
    shutil.copytree(PROJECTS / "wrong-backend-path", target)
    assert run(["--fix", "--yes", str(target)]) == 0
    assert 'build-backend = "flit_core.buildapi"' in (target / "pyproject.toml").read_text(
        encoding="utf-8"
    )


def test_a_finding_without_automatic_fix_stays(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--fix", "--yes", str(PROJECTS / "backend-path-wrong")]) == 1
    assert "have no automatic fix" in capsys.readouterr().out


def test_bad_environment_value_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAFEPIP_YES", "maybe")
    with pytest.raises(SystemExit) as info:
        run(["--fix", str(SOUND)])
    assert info.value.code == 2
    assert "SAFEPIP_YES" in capsys.readouterr().err


# --- Through ``python -m safepip doctor`` ----------------------------------------------------


def test_doctor_is_an_own_command() -> None:
    assert "doctor" in OWN_COMMANDS


def test_subprocess_clean_and_findings() -> None:
    result = doctor(str(SOUND))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    result = doctor("flit-missing", cwd=PROJECTS)
    assert result.returncode == 1
    assert result.stdout.startswith("flit-missing/pyproject.toml:4: backend-not-in-requires: ")


def test_subprocess_json_and_errors(tmp_path: Path) -> None:
    result = doctor("--json", str(PROJECTS / "pdm-missing"))
    assert result.returncode == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["distribution"] == "pdm-backend"
    result = doctor(str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert (
        result.stderr == f"safepip doctor: cannot read {tmp_path / 'nowhere'}: it does not exist\n"
    )
    assert "Traceback" not in result.stderr


def test_subprocess_fix(broken: Path) -> None:
    result = doctor("--fix", str(broken))  # no terminal: explain only
    assert result.returncode == 1
    assert "safepip doctor --fix --yes" in result.stdout
    result = doctor("--fix", str(broken), SAFEPIP_YES="1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings left" in result.stdout


def test_subprocess_takes_safepip_options(broken: Path) -> None:
    """`safepip --yes doctor --fix` keeps --yes; `safepip --no-fix doctor --fix --yes` changes
    nothing and says why."""
    pyproject = broken / "pyproject.toml"
    before = pyproject.read_bytes()
    run = run_safepip(["--no-fix", "doctor", "--fix", "--yes", str(broken)], clean_environ())
    assert run.status == 1, run.err
    assert "safepip doctor: --no-fix is given, so nothing was changed" in run.stdout.decode()
    assert pyproject.read_bytes() == before
    run = run_safepip(["--yes", "doctor", "--fix", str(broken)], clean_environ())  # no terminal
    assert run.status == 0, run.stdout.decode() + run.err
    assert "no findings left" in run.stdout.decode()
    assert pyproject.read_bytes() != before


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), *args],
        check=True,
        capture_output=True,
        env=clean_environ(
            {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
             "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_GLOBAL": "/dev/null"}
        ),
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize(
    ("edited", "backup_kept"),
    [pytest.param(False, False, id="clean-in-git-no-backup"),
     pytest.param(True, True, id="edited-since-commit-backup-kept")],
)  # fmt: skip
def test_fix_keeps_a_backup_only_when_git_lacks_the_original(
    broken: Path, capsys: pytest.CaptureFixture[str], edited: bool, backup_kept: bool
) -> None:
    _git(broken, "init", "-q")
    _git(broken, "add", "pyproject.toml")
    _git(broken, "commit", "-q", "-m", "fixture")
    if edited:
        pyproject = broken / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + "# an edit not yet committed\n")
    assert run(["--fix", "--yes", str(broken)]) == 0
    out = capsys.readouterr().out
    assert (broken / "pyproject.toml.safepip-backup").exists() is backup_kept
    assert ("git has the original" in out) is not backup_kept


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_fix_names_the_file_a_link_inside_the_project_points_to(
    broken: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue 18, item 4: the diff and the question name the real file, which is what changes."""
    (broken / "config").mkdir()
    (broken / "pyproject.toml").rename(broken / "config" / "pyproject.toml")
    (broken / "pyproject.toml").symlink_to(Path("config") / "pyproject.toml")
    assert run(["--fix", "--yes", str(broken)]) == 0
    out = capsys.readouterr().out
    real = broken / "config" / "pyproject.toml"
    assert f"safepip doctor: changed {real} (backup: {real}.safepip-backup)" in out
    assert "flit_core>=3.2" in real.read_text(encoding="utf-8")
    assert (broken / "pyproject.toml").is_symlink()


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_fix_refuses_a_link_out_of_the_project(
    broken: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """issue 18, item 4: one line naming the link and its target; nothing written."""
    outside = tmp_path / "elsewhere" / "pyproject.toml"
    outside.parent.mkdir()
    (broken / "pyproject.toml").rename(outside)
    (broken / "pyproject.toml").symlink_to(outside)
    before = outside.read_bytes()
    run(["--fix", "--yes", str(broken)])
    out = capsys.readouterr().out
    link = broken / "pyproject.toml"
    assert (
        f"safepip doctor: cannot prepare the fix of {link}: {link} is a symbolic link to "
        f"{outside}, outside its project folder {broken}"
    ) in out
    assert outside.read_bytes() == before
    assert sorted(p.name for p in outside.parent.iterdir()) == ["pyproject.toml"]
