"""Files safepip writes, as root in folders other users own or can change (docs/security.md,
"Files safepip writes").

The attacker is a second user: a folder is given to an unused uid, and the moves that user could
make between safepip's steps (a name swapped for a symbolic link to a file of root's) are made
by a hook at that very step, so that no test depends on winning a race.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.applying import safewrite
from safepip.applying.pyproject import BACKUP_SUFFIX, PatchError, apply_plan, plan_add_requirement
from testing.environ import clean_environ
from testing.runs import Run, assert_no_traceback_of_ours

TESTS = Path(__file__).parent
ORIGINAL = TESTS / "projects" / "flit-missing" / "pyproject.toml"
REQUIREMENT = "flit_core>=3.2"
#: A uid no account has: the other user of these tests.
OTHER_UID = 64123
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX owners, modes and links")
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root, to give a folder to another uid")


def root_secret(tmp_path: Path) -> Path:
    """A file only its owner may read: what the attacker wants root to hand over."""
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    path = secret / "shadow"
    path.write_bytes(b"root's secret\n")
    path.chmod(0o600)
    return path


def unchanged(path: Path, status: os.stat_result) -> bool:
    now = path.stat()
    return (now.st_mode, now.st_uid, now.st_gid, now.st_ino) == (
        status.st_mode,
        status.st_uid,
        status.st_gid,
        status.st_ino,
    ) and path.read_bytes() == b"root's secret\n"


def project(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "pyproject.toml"
    shutil.copy(ORIGINAL, path)
    return path


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | str]]:
    result: dict[str, tuple[int, bytes | str]] = {}
    for entry in sorted(folder.iterdir()):
        status = entry.lstat()
        content = str(entry.readlink()) if entry.is_symlink() else entry.read_bytes()
        result[entry.name] = (status.st_mode, content)
    return result


# --- Item 1: root in a folder another user owns ------------------------------------------------


@posix
@needs_root
def test_root_refuses_a_folder_another_user_owns(tmp_path: Path) -> None:
    """``sudo safepip install /home/bob/proj``: bob could swap any name in his folder for a link
    to a file of root's while root writes, so root writes nothing there and says what to do."""
    secret = root_secret(tmp_path)
    before_secret = secret.stat()
    folder = tmp_path / "bob"
    path = project(folder)
    os.chown(path, OTHER_UID, OTHER_UID)
    os.chown(folder, OTHER_UID, OTHER_UID)
    # What bob leaves for root: the backup's name already a link to root's secret file.
    (folder / ("pyproject.toml" + BACKUP_SUFFIX)).symlink_to(secret)
    plan = plan_add_requirement(str(path), REQUIREMENT)
    before = snapshot(folder)
    with pytest.raises(PatchError) as caught:
        apply_plan(plan)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"not writing {path} as root: its folder {folder} belongs to ")
    assert f"run safepip as uid {OTHER_UID} (sudo -u '#{OTHER_UID}' ...)" in message
    assert "copy the project" in message
    assert message.endswith("nothing written")
    assert snapshot(folder) == before
    assert unchanged(secret, before_secret)


@posix
@needs_root
def test_root_refuses_a_folder_others_can_write(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    path = project(folder)
    folder.chmod(0o777)  # root's, but anyone may rename in it
    plan = plan_add_requirement(str(path), REQUIREMENT)
    before = snapshot(folder)
    with pytest.raises(PatchError, match=r"is writable by other users, .* nothing written$"):
        apply_plan(plan)
    assert snapshot(folder) == before


@posix
@needs_root
def test_root_writes_in_a_sticky_folder_of_its_own(tmp_path: Path) -> None:
    """A sticky folder (like /tmp): others may create files but not rename or remove root's."""
    folder = tmp_path / "sticky"
    path = project(folder)
    folder.chmod(0o1777)
    applied = apply_plan(plan_add_requirement(str(path), REQUIREMENT))
    assert applied.backup is not None
    assert REQUIREMENT.encode() in path.read_bytes()


@posix
@pytest.mark.parametrize("step", [1, 2], ids=["while-backing-up", "while-writing"])
def test_target_swapped_for_a_link_is_not_written_through(
    step: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between safepip's reading of pyproject.toml and its rename, the name is swapped for a
    symbolic link to root's 0600 file: the check before the rename sees another file, nothing is
    written, and root's file keeps its bytes, mode and owner."""
    secret = root_secret(tmp_path)
    before_secret = secret.stat()
    path = project(tmp_path / "proj")
    plan = plan_add_requirement(str(path), REQUIREMENT)
    calls = []
    sync = safewrite._sync  # the step the attacker moves at

    def swap_then_sync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == step:
            path.unlink()
            path.symlink_to(secret)
        sync(fd)

    monkeypatch.setattr(safewrite, "_sync", swap_then_sync)
    with pytest.raises(PatchError, match=r"was replaced while safepip wrote it; nothing written$"):
        apply_plan(plan)
    assert unchanged(secret, before_secret)
    assert path.is_symlink()  # the attacker's link is left alone, not written through
    assert sorted(p.name for p in path.parent.iterdir()) == ["pyproject.toml"]


@posix
def test_temporary_swapped_for_a_link_hands_nothing_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file's name is swapped for a link to root's file after it was written: its
    mode and owner are set on the descriptor (not by name), and the rename is refused."""
    secret = root_secret(tmp_path)
    before_secret = secret.stat()
    path = project(tmp_path / "proj")
    original = path.read_bytes()
    path.chmod(0o644)
    plan = plan_add_requirement(str(path), REQUIREMENT)
    sync = safewrite._sync  # the step the attacker moves at

    def swap_then_sync(fd: int) -> None:
        sync(fd)
        [temporary] = [p for p in path.parent.iterdir() if p.name.startswith(".pyproject")]
        temporary.unlink()
        temporary.symlink_to(secret)

    monkeypatch.setattr(safewrite, "_sync", swap_then_sync)
    with pytest.raises(PatchError, match=r"its temporary file was replaced"):
        apply_plan(plan, backup=False)
    assert unchanged(secret, before_secret)
    assert stat.S_ISREG(path.lstat().st_mode)
    assert path.read_bytes() == original


@posix
def test_new_files_are_created_private_and_never_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file safepip creates (temporary, backup) is opened O_CREAT|O_EXCL|O_NOFOLLOW, 0600,
    relative to the folder's descriptor."""
    path = project(tmp_path / "proj")
    opened: list[tuple[str, int, int, object]] = []
    real_open = os.open

    def spy(name: str, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        opened.append((name, flags, mode, dir_fd))
        return real_open(name, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(safewrite.os, "open", spy)
    apply_plan(plan_add_requirement(str(path), REQUIREMENT))
    created = [entry for entry in opened if entry[1] & os.O_CREAT]
    assert len(created) == 2  # the backup's temporary and the new file's
    for name, flags, mode, dir_fd in created:
        assert os.sep not in name
        assert dir_fd is not None
        assert flags & os.O_EXCL
        assert flags & os.O_NOFOLLOW
        assert mode == 0o600


# --- Item 4: a symbolic link for pyproject.toml ------------------------------------------------


@posix
def test_the_proposal_names_the_file_a_link_inside_the_project_points_to(tmp_path: Path) -> None:
    """The install path's proposal (its summary, its diff, and so the [y/N] question after
    them) names the file that changes, not the link."""
    from safepip.applying.fixer import _plan
    from safepip.deciding.preflight import preflight_remedies
    from safepip.reading.command import PipCommand

    folder = tmp_path / "proj"
    shutil.copytree(TESTS / "projects" / "flit-missing", folder)
    (folder / "config").mkdir()
    (folder / "pyproject.toml").rename(folder / "config" / "pyproject.toml")
    (folder / "pyproject.toml").symlink_to(Path("config") / "pyproject.toml")
    [remedy] = preflight_remedies(PipCommand(["install", str(folder)], str(tmp_path)))
    real = str(folder / "config" / "pyproject.toml")
    assert remedy.action.summary.endswith(f"in {real}")
    assert _plan(remedy.action).path == real  # type: ignore[arg-type]


# --- Item 2: the launchers' folder -------------------------------------------------------------


def shim_run(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from safepip.commands import shim

    status = shim.run([str(folder)])
    return status, capsys.readouterr().err


@posix
@needs_root
def test_shim_refuses_a_folder_another_user_owns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its owner could replace `pip` there with their own program, which root would then run."""
    folder = tmp_path / "bob-bin"
    folder.mkdir(mode=0o755)
    os.chown(folder, OTHER_UID, OTHER_UID)
    status, err = shim_run(folder, capsys)
    assert status == 1
    assert err == (
        f"safepip shim: {folder} belongs to another user (uid {OTHER_UID}), who could replace "
        "the launchers with their own programs; choose a folder of your own\n"
    )
    assert list(folder.iterdir()) == []


@posix
@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o775], ids=["0777", "1777", "0775"])
def test_shim_refuses_a_folder_others_can_write(
    mode: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shared-bin"
    folder.mkdir()
    folder.chmod(mode)  # sticky or not: anyone may add a `pip3.13` of their own in front
    status, err = shim_run(folder, capsys)
    assert status == 1
    assert err.count("\n") == 1
    assert "is writable by other users" in err
    assert list(folder.iterdir()) == []


@posix
def test_shim_writes_nothing_through_planted_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Links planted under the names the launchers are written through (the old temporary
    name, the marker): root's 0600 file keeps its bytes, mode and owner."""
    secret = root_secret(tmp_path)
    before_secret = secret.stat()
    folder = tmp_path / "bin"
    folder.mkdir(mode=0o755)
    (folder / "pip.safepip-tmp").symlink_to(secret)
    (folder / ".safepip-launchers").symlink_to(secret)
    status, _ = shim_run(folder, capsys)
    assert status == 0
    assert unchanged(secret, before_secret)
    assert (folder / "pip").read_text(encoding="utf-8").startswith("#!/bin/sh\n# safepip launcher")
    assert stat.S_IMODE((folder / "pip").stat().st_mode) == 0o755
    assert not (folder / ".safepip-launchers").is_symlink()


@posix
def test_shim_refuses_a_link_named_pip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = root_secret(tmp_path)
    folder = tmp_path / "bin"
    folder.mkdir(mode=0o755)
    (folder / "pip").symlink_to(secret)
    status, err = shim_run(folder, capsys)
    assert status == 2
    assert "is not a safepip launcher" in err
    assert sorted(p.name for p in folder.iterdir()) == ["pip"]


# --- Item 13: launchers copied without their folder's marker -----------------------------------


def copied_launchers(tmp_path: Path, command: list[str]) -> Path:
    """``cp DIR/* ~/bin``: the launchers without the ``.safepip-launchers`` dotfile."""
    from safepip.commands import shim

    folder = tmp_path / "launchers"
    shim.write_launchers(str(folder), command, ["pip"])
    copy = tmp_path / "home-bin"
    copy.mkdir()
    for entry in folder.iterdir():
        if not entry.name.startswith("."):
            shutil.copy2(entry, copy / entry.name)
    return copy


def run_pip_version(tmp_path: Path, path: list[Path]) -> subprocess.CompletedProcess[str]:
    environ = clean_environ({"PATH": os.pathsep.join([*map(str, path), "/usr/bin", "/bin"])})
    # The timeout only turns a loop into a failure (the launchers exec forever on main).
    return subprocess.run(
        ["sh", "-c", "pip --version"],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow  # real shells and a real pip
@posix
@pytest.mark.parametrize("installed", [True, False], ids=["safepip-installed", "safepip-gone"])
def test_launchers_copied_without_their_marker_do_not_loop(
    installed: bool, tmp_path: Path, pip_venv: Path
) -> None:
    """Known by their header, the copies are skipped and the real pip runs, whether safepip
    itself is still there (its PATH search skips them) or not (the launcher's own walk does)."""
    command = [sys.executable, "-m", "safepip"] if installed else [str(tmp_path / "gone")]
    copy = copied_launchers(tmp_path, command)
    result = run_pip_version(tmp_path, [copy, copy, pip_venv.parent])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("pip ")
    assert str(pip_venv.parent.parent) in result.stdout
    if not installed:
        assert result.stderr.startswith(f"safepip: {tmp_path / 'gone'} is gone;")


@pytest.mark.slow  # real shells
@posix
def test_a_launcher_that_runs_itself_stops_with_one_line(tmp_path: Path) -> None:
    """The last guard: a launcher edited so that its header is gone (nothing can know it for a
    launcher) and safepip uninstalled execs itself once, sees its own process id, and stops."""
    copy = copied_launchers(tmp_path, [str(tmp_path / "gone")])
    script = copy / "pip"
    lines = script.read_text(encoding="utf-8").splitlines(keepends=True)
    script.write_text(lines[0] + "".join(lines[2:]), encoding="utf-8")
    result = run_pip_version(tmp_path, [copy])
    assert result.returncode == 127
    assert result.stderr.splitlines()[-1].startswith(
        f"safepip: {script} is a safepip launcher that ran itself again"
    )
    assert result.stderr.count("is gone") == 1


# --- Item 3: transcripts in a shared log directory ---------------------------------------------


def record(directory: Path, lines: list[str], **options: int) -> str:
    from safepip.transcripts import TranscriptRecorder

    recorder = TranscriptRecorder(str(directory), **options)
    for line in lines:
        recorder.feed_line("stderr", line)
    return recorder.keep({"pip_args": ["install", "."], "exit_status": 1, "findings": 1})


@posix
def test_transcript_and_sidecar_are_owner_only(tmp_path: Path) -> None:
    """docs/logs.md: owner-only, the JSON sidecar too (it holds the command line and cwd)."""
    path = Path(record(tmp_path / "logs", ["Processing ./proj"]))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.with_suffix(".json").stat().st_mode) == 0o600


@posix
@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770], ids=["0777", "1777", "0770"])
def test_a_log_directory_others_can_write_is_not_used(mode: int, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(mode)
    with pytest.raises(OSError, match=r"^the log directory .* is writable by other users; "):
        record(logs, ["Processing ./proj"])
    assert list(logs.iterdir()) == []


@posix
@needs_root
def test_a_log_directory_of_another_user_is_not_used(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    os.chown(logs, OTHER_UID, OTHER_UID)
    with pytest.raises(OSError, match=rf"belongs to another user \(uid {OTHER_UID}\)"):
        record(logs, ["Processing ./proj"])
    assert list(logs.iterdir()) == []


@posix
def test_a_planted_link_for_a_spool_segment_is_not_written_through(tmp_path: Path) -> None:
    """The next tail segment's name, seen from the head's, planted as a link to root's file:
    the recording stops (the run goes on), root's file is untouched."""
    from safepip.transcripts import TranscriptRecorder

    secret = root_secret(tmp_path)
    before_secret = secret.stat()
    logs = tmp_path / "logs"
    recorder = TranscriptRecorder(str(logs), max_bytes=64)
    recorder.feed_line("stderr", "Processing ./proj")
    [head] = [p for p in logs.iterdir() if p.name.endswith(".head")]
    Path(str(head)[: -len(".head")] + ".tail1").symlink_to(secret)
    for _ in range(10):
        recorder.feed_line("stderr", "pip's output, which must not land in root's file")
    assert isinstance(recorder.error, FileExistsError)
    recorder.discard()
    assert unchanged(secret, before_secret)


# --- Items 3 and 9 end to end: a stand-in pip that prints a crafted log and exits 1 ------------

FLIT_LOG = (
    TESTS / "corpus" / "pip26.3-py3.13-flit-missing-install-pipe" / "output.log"
).read_bytes()
PRINTING_PIP = """\
import os, sys
with open(os.environ["STANDIN_STDOUT"], "rb") as data:
    os.write(1, data.read())
sys.exit(1)
"""


def run_with_printed(tmp_path: Path, printed: bytes, **extra: str) -> Run:
    from testing.runs import run_safepip, write_script

    (tmp_path / "printed").write_bytes(printed)
    environ = clean_environ(
        {
            "SAFEPIP_PYTHON": str(write_script(tmp_path / "printing-python", PRINTING_PIP)),
            "STANDIN_STDOUT": str(tmp_path / "printed"),
            "SAFEPIP_LOG_DIR": str(tmp_path / "log"),
            **extra,
        }
    )
    return run_safepip(["install", "flit-missing"], environ, cwd=tmp_path)


def _nul_in_folder(tmp_path: Path) -> bytes:
    return FLIT_LOG.replace(b"./flit-missing", b"./flit\x00missing")


def _nul_after_tilde(tmp_path: Path) -> bytes:
    return FLIT_LOG.replace(b"./flit-missing", b"~ro\x00ot/flit-missing")


def _fifo(tmp_path: Path) -> bytes:
    folder = tmp_path / "fifo-proj"
    folder.mkdir()
    os.mkfifo(folder / "pyproject.toml")  # nobody ever writes to it: a read would wait forever
    return FLIT_LOG.replace(b"./flit-missing", b"./fifo-proj")


def _directory(tmp_path: Path) -> bytes:
    (tmp_path / "dir-proj" / "pyproject.toml").mkdir(parents=True)
    return FLIT_LOG.replace(b"./flit-missing", b"./dir-proj")


@pytest.mark.slow  # safepip and the stand-in pip as child processes
@posix
@pytest.mark.parametrize("make", [_nul_in_folder, _nul_after_tilde, _fifo, _directory])
def test_paths_pip_printed_give_no_crash_and_no_hang(
    make: object, tmp_path: Path
) -> None:  # fmt: skip
    """issue 18, item 9: safepip ends with pip's status (1), no internal error, no hang (the
    run's timeout only turns a hang into a failure)."""
    assert callable(make)
    run = run_with_printed(tmp_path, make(tmp_path))
    assert run.status == 1, run.err
    assert_no_traceback_of_ours(run)
    assert "could not read pip's output" not in run.err
    assert "flit_core" in run.err  # the diagnosis of what pip printed is still made


@pytest.mark.slow  # safepip and the stand-in pip as child processes
@posix
def test_a_shared_log_directory_skips_the_transcript_not_the_run(tmp_path: Path) -> None:
    """issue 18, item 3: one line says why, pip's exit status is kept, nothing is written."""
    shared = tmp_path / "log"
    shared.mkdir()
    shared.chmod(0o777)
    run = run_with_printed(tmp_path, FLIT_LOG)
    assert run.status == 1
    assert_no_traceback_of_ours(run)
    notes = [line for line in run.own_lines() if "transcript" in line]
    expected = (
        f"safepip: could not keep the transcript of this run: the log directory {shared} is "
        "writable by other users; make it private (chmod go-w) or set SAFEPIP_LOG_DIR to a "
        "directory of your own"
    )
    assert notes == [expected]
    assert list(shared.iterdir()) == []


# --- Item 17: no backup where git holds the original -------------------------------------------


def git_checkout(tmp_path: Path) -> Path:
    """The flit-missing project, committed in a git repository of its own: a clean checkout."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    folder = tmp_path / "checkout"
    shutil.copytree(TESTS / "projects" / "flit-missing", folder)
    environ = {**clean_environ(), "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path)}
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "initial"],
    ):
        subprocess.run(["git", "-C", str(folder), *command], env=environ, check=True)
    return folder


def test_the_install_path_keeps_no_backup_where_git_has_the_original(tmp_path: Path) -> None:
    """The fixer (the install path and the pre-flight) skips the backup as doctor --fix does,
    and the closing line says how to see and undo the change."""
    from safepip.applying.fixer import Fixer
    from safepip.applying.rerun import Rerun
    from safepip.changes import AddRequirement
    from safepip.deciding.actions import PatchPyproject
    from safepip.reporting.records import ChangedFile

    folder = git_checkout(tmp_path)
    pyproject = folder / "pyproject.toml"
    changed: list[ChangedFile] = []
    fixer = Fixer(
        Rerun(
            ["install", str(folder)],
            cwd=str(tmp_path),
            user_unisolated=False,
            pip_version=lambda: (26, 0),
        ),
        pip_prefix=list,
        index_options=[],
        events=None,  # type: ignore[arg-type]  # not told of anything on this path
        runner=None,  # type: ignore[arg-type]
        run_and_read=None,  # type: ignore[arg-type]
        changed=lambda path, backup, in_git: changed.append(ChangedFile(path, backup, in_git)),
    )
    PatchPyproject(str(pyproject), AddRequirement("flit_core>=3.2")).apply(fixer)
    assert "flit_core>=3.2" in pyproject.read_text(encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir() if "safepip" in p.name) == []
    [record] = changed
    assert record.backup is None
    assert record.describe() == (
        f"{pyproject} (no backup: git has the original; `git diff -- {pyproject}` shows the "
        f"change, `git checkout -- {pyproject}` undoes it)"
    )
    assert record.to_json() == {"path": str(pyproject), "backup": None}  # the report as before


@pytest.mark.slow  # real pip in a real venv
@posix
def test_yes_install_in_a_clean_checkout_leaves_nothing_for_git_add(
    tmp_path: Path, wheelhouse: Path
) -> None:
    from testing.environ import offline_environ
    from testing.runs import run_safepip
    from testing.venvs import seeded_venv

    folder = git_checkout(tmp_path)
    python = seeded_venv(tmp_path / "venv")
    environ = offline_environ(wheelhouse, python, SAFEPIP_PREFLIGHT="0")
    run = run_safepip(["--yes", "install", str(folder)], environ, cwd=tmp_path)
    assert run.status == 0, run.err
    assert not list(folder.glob("*.safepip-backup*"))
    pyproject = folder / "pyproject.toml"
    assert f"`git checkout -- {pyproject}` undoes it" in run.err
    status = subprocess.run(
        ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [line for line in status.stdout.splitlines() if "safepip" in line] == []


@pytest.mark.slow  # safepip and the stand-in pip as child processes
@posix
@needs_root
def test_sudo_safepip_yes_install_in_another_users_folder_writes_nothing(tmp_path: Path) -> None:
    """issue 18, item 1 end to end: `sudo safepip --yes install /home/bob/proj`."""
    from testing.runs import run_safepip, write_script

    folder = tmp_path / "bob" / "proj"
    shutil.copytree(TESTS / "projects" / "flit-missing", folder)
    for path in [folder.parent, folder, *folder.rglob("*")]:
        os.chown(path, OTHER_UID, OTHER_UID)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    (tmp_path / "printed").write_bytes(FLIT_LOG)
    environ = clean_environ(
        {
            "SAFEPIP_PYTHON": str(write_script(tmp_path / "printing-python", PRINTING_PIP)),
            "STANDIN_STDOUT": str(tmp_path / "printed"),
            "SAFEPIP_LOG_DIR": str(tmp_path / "log"),
        }
    )
    run = run_safepip(["--yes", "install", str(folder)], environ, cwd=tmp_path)
    assert run.status == 1
    assert_no_traceback_of_ours(run)
    refusals = [line for line in run.own_lines() if "not writing" in line]
    assert refusals
    assert all(
        f"not writing {folder / 'pyproject.toml'} as root: its folder {folder} belongs to uid "
        f"{OTHER_UID}" in line
        for line in refusals
    )
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


@posix
@needs_root
def test_a_log_directory_inside_another_users_folder_is_not_made_nor_used(tmp_path: Path) -> None:
    """`sudo safepip` with HOME still bob's: root makes nothing in bob's folders (bob could
    rename root's log directory away and put his own, or a link, in its place)."""
    bob = tmp_path / "bob"
    bob.mkdir(mode=0o755)
    os.chown(bob, OTHER_UID, OTHER_UID)
    logs = bob / ".local" / "state" / "safepip" / "log"
    with pytest.raises(OSError, match=rf"^the log directory {logs} is inside {bob}, which another"):
        record(logs, ["Processing ./proj"])
    assert list(bob.iterdir()) == []
    # Made by root in there anyway (by an earlier version): still not used.
    logs.mkdir(parents=True, mode=0o700)
    with pytest.raises(OSError, match=rf"is inside {bob}, which another user owns"):
        record(logs, ["Processing ./proj"])
    assert list(logs.iterdir()) == []


@posix
@needs_root
def test_shim_makes_nothing_inside_another_users_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sudo safepip shim /home/bob/bin`: a folder root made there, bob could swap for his."""
    bob = tmp_path / "bob"
    bob.mkdir(mode=0o755)
    os.chown(bob, OTHER_UID, OTHER_UID)
    status, err = shim_run(bob / "bin", capsys)
    assert status == 1
    assert err == (
        f"safepip shim: {bob / 'bin'} is inside {bob}, which another user owns or may write in: "
        "they could swap the folder for one of their own; choose a folder of your own\n"
    )
    assert list(bob.iterdir()) == []
