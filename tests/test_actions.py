"""The fix actions in-process: each applied through a real :class:`Fixer` on real files, with only
the boundaries faked (the pip that installs, the run of pip that builds a patched copy). The
real pip runs of every action are in test_fixes.py and test_index_sdist.py."""

from __future__ import annotations

import io
import sys
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from safepip.applying.fixer import Fixer
from safepip.applying.rerun import Rerun
from safepip.changes import AddRequirement, CapRequirement
from safepip.deciding.actions import (
    BuildConstraint,
    FixAction,
    FixContext,
    InstallInto,
    InstallWithoutIsolation,
    PatchedSdist,
    PatchPyproject,
    UpgradePip,
)
from safepip.errors import SafepipError
from safepip.reading.findings import BuildFailure
from safepip.reading.piprun import PipRun

if TYPE_CHECKING:  # a protocol for mypy only (reading/consumer.py is on the fast path)
    from safepip.reading.consumer import LineConsumer

PYPROJECT = '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "flit_core.buildapi"\n'
PREFIX = [sys.executable, "-m", "pip"]
INDEX = ["--index-url", "https://mirror.example/simple"]


class Events:
    """The fixer's events, kept."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def already_changed(self, path: str) -> None:
        self.said.append(("already_changed", path))

    def rebased(self, path: str) -> None:
        self.said.append(("rebased", path))

    def patched_build_failed(self, sdist_name: str) -> None:
        self.said.append(("patched_build_failed", sdist_name))

    def fetching(self, sdist: str, index: str) -> None:
        self.said.append(("fetching", sdist))


class Installer:
    """The pip that installs into the target: keeps each command, exits with ``status``."""

    def __init__(self, status: int = 0) -> None:
        self.status = status
        self.argvs: list[list[str]] = []

    def __call__(
        self, argv: Sequence[str], consumer: LineConsumer, env: Mapping[str, str] | None = None
    ) -> int:
        self.argvs.append(list(argv))
        return self.status


class Builds:
    """The session's run-and-read for a patched copy's ``pip wheel``: keeps what it was asked and
    the copy's pyproject.toml as pip would have built it; leaves a wheel when ``status`` is 0."""

    def __init__(self, status: int = 0, failures: Sequence[BuildFailure] = ()) -> None:
        self.status, self.failures = status, list(failures)
        self.calls: list[tuple[list[str], str, list[str]]] = []
        self.pyprojects: list[str] = []

    def __call__(self, args: list[str], *, purpose: str, prefix: Sequence[str], cwd: str) -> PipRun:
        self.calls.append((args, purpose, list(prefix)))
        self.pyprojects.append((Path(args[-1]) / "pyproject.toml").read_text("utf-8"))
        if self.status == 0:
            wheels = Path(args[args.index("--wheel-dir") + 1])
            (wheels / "pkg-1.0-py3-none-any.whl").write_bytes(b"")
        return PipRun(self.status, failures=list(self.failures))


class Context:
    """A fixer on a real Rerun, with its boundaries faked, and what it was told."""

    def __init__(
        self,
        tmp_path: Path,
        pip_args: Sequence[str] = ("install", "./proj"),
        *,
        pip_version: tuple[int, ...] = (26, 0),
        installer: Installer | None = None,
        builds: Builds | None = None,
    ) -> None:
        self.rerun = Rerun(
            pip_args, cwd=str(tmp_path), user_unisolated=False, pip_version=lambda: pip_version
        )
        self.installer = installer or Installer()
        self.builds = builds or Builds()
        self.events = Events()
        self.changed: list[tuple[str, str | None]] = []
        self.fixer = Fixer(
            self.rerun,
            pip_prefix=lambda: PREFIX,
            index_options=INDEX,
            events=self.events,
            runner=self.installer,
            run_and_read=self.builds,
            changed=lambda path, backup, in_git: self.changed.append((path, backup)),
        )


@pytest.fixture
def context(tmp_path: Path) -> Iterator[Context]:
    made = Context(tmp_path)
    yield made
    made.rerun.cleanup()


def _applied(action: FixAction, fixer: FixContext) -> str:
    action.prepare(fixer)
    action.apply(fixer)
    return action.applied_as(fixer)


def test_the_fixer_is_a_fix_context(context: Context) -> None:
    fixer: FixContext = context.fixer  # mypy checks the protocol; this, that it is one at all
    assert fixer.constraint_option() is True


def test_patch_pyproject_previews_the_diff_and_makes_it(tmp_path: Path, context: Context) -> None:
    pyproject = tmp_path / "proj" / "pyproject.toml"
    pyproject.parent.mkdir()
    pyproject.write_text(PYPROJECT)
    action = PatchPyproject(str(pyproject), AddRequirement("flit_core>=3.2"))
    diff = action.preview(context.fixer)
    assert '+requires = ["setuptools", "flit_core>=3.2"]' in diff
    assert pyproject.read_text() == PYPROJECT  # a preview writes nothing
    assert _applied(action, context.fixer) == "patched pyproject.toml"
    assert pyproject.read_text() == PYPROJECT.replace(
        '["setuptools"]', '["setuptools", "flit_core>=3.2"]'
    )
    [(path, backup)] = context.changed
    assert Path(path) == pyproject
    assert backup is not None
    assert Path(backup).read_text() == PYPROJECT
    assert context.installer.argvs == []


def test_patch_pyproject_already_made_writes_nothing_and_lets_pip_run(
    tmp_path: Path, context: Context
) -> None:
    """Made since pip failed (another run of the same command): nothing is written, the user is
    told, and the session runs pip again (no error: issue 18, item 12)."""
    done = PYPROJECT.replace('"setuptools"', '"setuptools", "flit_core>=3.2"')
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(done)
    action = PatchPyproject(str(pyproject), AddRequirement("flit_core>=3.2"))
    action.apply(context.fixer)
    assert context.changed == []
    assert context.events.said == [("already_changed", str(pyproject))]
    assert pyproject.read_text() == done
    assert not list(tmp_path.glob("*safepip*"))


@pytest.mark.parametrize(
    ("pip_version", "option", "applied_as", "preview"),
    [
        ((25, 3), True, "build constraint (--build-constraint)", "--build-constraint FILE"),
        ((25, 2), False, "build constraint (PIP_CONSTRAINT)", "PIP_CONSTRAINT=FILE (this pip"),
    ],
)
def test_build_constraint_adds_to_the_rerun(
    tmp_path: Path,
    pip_version: tuple[int, ...],
    option: bool,
    applied_as: str,
    preview: str,
) -> None:
    context = Context(tmp_path, pip_version=pip_version)
    action = BuildConstraint(CapRequirement("setuptools", "<82"))
    assert action.preview(context.fixer) == (
        f"    build constraint: setuptools<82, given to pip as {preview}"
        + ("" if option else " has no --build-constraint; the constraint then applies to the "
           "command's own resolve too)")
        + "\n"
    )  # fmt: skip
    assert _applied(action, context.fixer) == applied_as
    args, environ = context.rerun.args(), context.rerun.env()
    if option:
        assert args[:2] == ["install", "./proj"]
        assert args[2] == "--build-constraint"
        assert Path(args[3]).read_text() == "setuptools<82\n"
        assert environ is None
    else:
        assert args == ["install", "./proj"]
        assert environ is not None
        assert Path(environ["PIP_CONSTRAINT"].split()[-1]).read_text() == "setuptools<82\n"
    context.rerun.cleanup()
    assert context.installer.argvs == []


@pytest.mark.parametrize(
    ("action", "pip_install", "applied_as", "unisolated"),
    [
        (InstallInto("wheel", "here"), ["wheel"], "installed into the target environment", False),
        (
            InstallWithoutIsolation("hatchling", "here"),
            ["hatchling"],
            "no build isolation",
            True,
        ),
        (UpgradePip("pip>=21.3", "here"), ["--upgrade", "pip>=21.3"], "pip upgraded", False),
    ],
)
def test_install_into_the_target(
    context: Context,
    action: InstallInto,
    pip_install: list[str],
    applied_as: str,
    unisolated: bool,
) -> None:
    assert action.preview(context.fixer) == f"    pip install {' '.join(pip_install)}\n"
    assert _applied(action, context.fixer) == applied_as
    assert context.installer.argvs == [[*PREFIX, "install", *INDEX, *pip_install]]
    assert ("--no-build-isolation" in context.rerun.args()) is unisolated


def test_a_failed_install_is_an_error_that_changes_nothing(tmp_path: Path) -> None:
    context = Context(tmp_path, installer=Installer(status=1))
    with pytest.raises(SafepipError, match=r"installing hatchling failed \(pip exited with status"):
        InstallWithoutIsolation("hatchling", "here").apply(context.fixer)
    assert context.rerun.args() == ["install", "./proj"]


def _sdist(path: Path, pyproject: str | None) -> Path:
    """A small sdist: ``pkg-1.0/setup.py`` and, unless None, its pyproject.toml."""
    with tarfile.open(path, "w:gz") as archive:
        files = {"pkg-1.0/setup.py": "from setuptools import setup\nsetup()\n"}
        if pyproject is not None:
            files["pkg-1.0/pyproject.toml"] = pyproject
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_patched_sdist_builds_a_patched_copy_and_installs_its_wheel(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "pkg-1.0.tar.gz", PYPROJECT)
    context = Context(tmp_path, ["install", "pkg-1.0.tar.gz"])
    before = sdist.read_bytes()
    action = PatchedSdist(str(sdist), None, AddRequirement("flit_core>=3.2"))
    assert action.preview(context.fixer) == ""
    assert _applied(action, context.fixer) == "patched copy"
    [(args, purpose, prefix)] = context.builds.calls
    assert (args[:3], args[4:6], prefix) == (["wheel", "--no-deps", "--wheel-dir"], INDEX, PREFIX)
    assert purpose == "build of the patched copy of pkg-1.0.tar.gz"
    assert '"flit_core>=3.2"' in context.builds.pyprojects[0]
    assert sdist.read_bytes() == before  # the user's sdist is never changed
    [install, wheel] = context.rerun.args()
    assert (install, Path(wheel).name) == ("install", "pkg-1.0-py3-none-any.whl")
    assert context.fixer.pending == []
    context.rerun.cleanup()


def test_one_build_per_sdist_per_round_with_every_change(tmp_path: Path) -> None:
    sdist = str(_sdist(tmp_path / "pkg-1.0.tar.gz", None))  # a legacy sdist: setup.py only
    context = Context(tmp_path, ["install", "pkg"])
    first = PatchedSdist(sdist, None, AddRequirement("cython<3"), extra_requirements=("wheel",))
    second = PatchedSdist(sdist, None, AddRequirement("numpy"))
    context.fixer.start_round()
    for action in (first, second):
        action.prepare(context.fixer)
    for action in (first, second):
        action.apply(context.fixer)
    [built] = context.builds.pyprojects
    for requirement in ("setuptools>=40.8.0", "cython<3", "numpy", "wheel"):
        assert f'"{requirement}"' in built
    assert list(context.rerun.wheel_pins) == ["pkg"]  # not named as a file: pinned by name
    context.rerun.cleanup()


def test_a_failed_patched_build_leaves_its_failures_about_the_package(tmp_path: Path) -> None:
    sdist = str(_sdist(tmp_path / "pkg-1.0.tar.gz", PYPROJECT))
    found = BuildFailure(
        kind="build-dependency-missing",
        package="/tmp/somewhere/pkg-1.0",
        source="local",
        pyproject="/tmp/somewhere/pkg-1.0/pyproject.toml",
    )
    context = Context(tmp_path, builds=Builds(status=1, failures=[found]))
    action = PatchedSdist(sdist, None, AddRequirement("numpy"), package="pkg", source="index")
    action.apply(context.fixer)
    [failure] = context.fixer.pending
    assert (failure.package, failure.source, failure.pyproject) == ("pkg", "index", None)
    assert context.events.said == [("patched_build_failed", "pkg-1.0.tar.gz")]
    assert context.rerun.args() == ["install", "./proj"]


def test_a_failed_patched_build_with_nothing_read_is_an_error(tmp_path: Path) -> None:
    sdist = str(_sdist(tmp_path / "pkg-1.0.tar.gz", PYPROJECT))
    context = Context(tmp_path, builds=Builds(status=137))
    with pytest.raises(SafepipError, match=r"\(pip exited with status 137\); nothing of yours"):
        PatchedSdist(sdist, None, AddRequirement("numpy")).apply(context.fixer)
    assert context.fixer.pending == []


@pytest.mark.parametrize(
    ("action", "key", "fields"),
    [
        (
            PatchPyproject("p/pyproject.toml", AddRequirement("flit_core>=3.2")),
            "patch-pyproject:p/pyproject.toml:add|flit_core>=3.2::",
            ("p/pyproject.toml", ["add", "flit_core>=3.2"], [], None),
        ),
        (
            PatchedSdist("d/x-1.tar.gz", None, AddRequirement("a"), ("b", "c"), "config.toml:3"),
            "build-patched-sdist:d/x-1.tar.gz:add|a::b|c",
            (None, ["add", "a"], [], "d/x-1.tar.gz"),
        ),
        (
            PatchedSdist(None, "https://i/x-1.tar.gz", CapRequirement("cython", "<3")),
            "build-patched-sdist:https://i/x-1.tar.gz:constrain|cython|<3::",
            (None, ["constrain", "cython", "<3"], [], None),
        ),
        (
            BuildConstraint(CapRequirement("setuptools", "<82")),
            "build-constraint::constrain|setuptools|<82::",
            (None, ["constrain", "setuptools", "<82"], [], None),
        ),
        (
            InstallInto("wheel", "t"),
            "install-build-dependency:::wheel:",
            (None, [], ["wheel"], None),
        ),
        (
            InstallWithoutIsolation("numpy", "t"),
            "install-and-build-without-isolation:::numpy:",
            (None, [], ["numpy"], None),
        ),
        (
            UpgradePip("pip>=21.3", "t"),
            "upgrade-pip:::--upgrade|pip>=21.3:",
            (None, [], ["--upgrade", "pip>=21.3"], None),
        ),
    ],
)
def test_each_action_spells_its_key_and_report_fields(
    action: FixAction, key: str, fields: tuple[object, ...]
) -> None:
    assert action.key == key
    assert key.startswith(action.kind + ":")
    report = action.report_fields()
    assert list(report) == ["pyproject", "change", "install", "sdist"]
    assert tuple(report.values()) == fields


def test_the_configured_patched_copy_names_every_requirement() -> None:
    action = PatchedSdist(
        None, "https://i/flash_attn-2.tar.gz", AddRequirement("torch==2.3"), ("ninja",), "c:3"
    )
    assert action.summary == (
        'build flash_attn-2.tar.gz from a copy with "torch==2.3", "ninja" added to its build '
        "requirements (your [extra-build-dependencies], c:3) and run the command again"
    )
    assert not InstallInto("wheel", "t").caveat
    assert "no package of this command is built in isolation" in (
        InstallWithoutIsolation("wheel", "t").caveat
    )
