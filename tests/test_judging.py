"""The judging, in process and with plain values: a failed step's facts -> findings.

The judging opens no file: what it learns about a local project comes through a
``ProjectFiles``. Here that is a fake holding plain values, so no test touches the disk except
the last, which checks the real one (``reading/projects.py``) on a folder made for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from safepip.reading.diagnosis import Diagnosis
from safepip.reading.judging import CommandContext, complete, judge_step
from safepip.reading.projects import DiskProjectFiles
from safepip.reading.steps import BUILD_DEPS, PEP517, Package, Step


@dataclass
class FakeProjectFiles:
    """Local projects as plain values: folder -> its build-backend, and the modules it owns."""

    backends: dict[str, str | None] = field(default_factory=dict)
    owned: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    #: The projects whose setup.py imports pkg_resources.
    pkg_resources: set[str] = field(default_factory=set)

    def project_folder(self, cwd: str, location: str) -> str | None:
        self.asked.append(f"folder {location}")
        folder = f"{cwd}/{location.lstrip('./')}"
        return folder if folder in self.backends else None

    def pyproject(self, project: str) -> str | None:
        self.asked.append(f"pyproject {project}")
        return f"{project}/pyproject.toml"

    def build_backend(self, pyproject: str) -> str | None:
        self.asked.append(f"backend {pyproject}")
        return self.backends[pyproject.rsplit("/", 1)[0]]

    def owns(self, project: str, module: str) -> bool:
        self.asked.append(f"owns {module}")
        return module in self.owned

    def imports_pkg_resources(self, project: str) -> bool:
        self.asked.append(f"setup.py {project}")
        return project in self.pkg_resources


class NoFiles(FakeProjectFiles):
    """A ProjectFiles that must not be asked anything."""

    def project_folder(self, cwd: str, location: str) -> str | None:
        raise AssertionError(f"asked for {location} without a command line")


def failed_step(package: Package | None, **facts: object) -> Step:
    step = Step(package, PEP517, "get_requires_for_build_wheel")
    step.failed = True
    for name, value in facts.items():
        setattr(step, name, value)
    return step


CONTEXT = CommandContext(["install", "./proj"], "/work")


def test_a_step_that_did_not_fail_yields_nothing() -> None:
    step = Step(Package("./proj", "local"), PEP517, "build_wheel")
    step.module, step.module_evidence = "Cython", "ModuleNotFoundError: No module named 'Cython'"
    assert judge_step(step, isolated=True) == []


def test_a_missing_module_is_judged_from_the_step_alone() -> None:
    step = failed_step(
        Package("./proj", "local"),
        module="Cython",
        module_evidence="ModuleNotFoundError: No module named 'Cython'",
    )
    [failure] = judge_step(step, isolated=True)
    assert (failure.kind, failure.module, failure.distribution) == (
        "build-dependency-missing",
        "Cython",
        "Cython",
    )
    assert (failure.package, failure.source, failure.isolated) == ("./proj", "local", True)
    assert "provided by Cython" in failure.explanation


def test_the_declared_backend_completes_a_backend_failure() -> None:
    # pip < 25 names no backend: "BackendUnavailable: Traceback" and nothing else.
    step = failed_step(
        Package("./proj", "local"),
        backend_unavailable=True,
        backend_evidence="pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback",
    )
    [failure] = judge_step(step, isolated=None)
    assert failure.backend is None
    files = FakeProjectFiles(backends={"/work/proj": "flit_core.buildapi"})
    completed = complete(failure, CONTEXT, files)
    assert completed is not None
    assert completed.pyproject == "/work/proj/pyproject.toml"
    assert (completed.backend, completed.distribution, completed.requirement) == (
        "flit_core.buildapi",
        "flit_core",
        "flit_core>=3.2",
    )
    assert completed.isolated is True  # the command line has no --no-build-isolation


@pytest.mark.parametrize(
    ("imports", "requirement"), [(True, "setuptools<82"), (False, "setuptools>=40.8.0")]
)
def test_missing_setuptools_comes_capped_for_a_setup_py_importing_pkg_resources(
    imports: bool, requirement: str
) -> None:
    """requires = ["wheel"] and setup.py imports pkg_resources: one change, not setuptools and
    then, after a second failed run, its cap (issue 19)."""
    step = failed_step(
        Package("./proj", "local"),
        backend_unavailable=True,
        backend_evidence="pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback",
    )
    [failure] = judge_step(step, isolated=None)
    files = FakeProjectFiles(
        backends={"/work/proj": "setuptools.build_meta"},
        pkg_resources={"/work/proj"} if imports else set(),
    )
    completed = complete(failure, CONTEXT, files)
    assert completed is not None
    assert (completed.distribution, completed.requirement) == ("setuptools", requirement)
    assert ("imports pkg_resources" in completed.explanation) is imports


def test_a_declared_backend_nobody_ships_gets_a_suggestion() -> None:
    step = failed_step(Package("./proj", "local"), backend_unavailable=True)
    [failure] = judge_step(step, isolated=True)
    files = FakeProjectFiles(backends={"/work/proj": "flit_core.build_api"})
    completed = complete(failure, CONTEXT, files)
    assert completed is not None
    assert (completed.suggestion, completed.distribution) == ("flit_core.buildapi", None)


def test_the_projects_own_module_is_no_failure() -> None:
    step = failed_step(
        Package("./proj", "local"),
        module="proj_helpers",
        module_evidence="ModuleNotFoundError: No module named 'proj_helpers'",
    )
    [failure] = judge_step(step, isolated=True)
    assert failure.kind == "unidentified-import"
    files = FakeProjectFiles(backends={"/work/proj": None}, owned={"proj_helpers"})
    assert complete(failure, CONTEXT, files) is None
    assert files.asked == ["folder ./proj", "owns proj_helpers"]


def test_the_command_line_names_the_project_pip_did_not() -> None:
    # pip -q printed no "Processing ./proj": the one local project of the command is the one.
    step = Step(None, BUILD_DEPS, None)
    step.failed = True
    step.requirement = "nosuchthing>=2"
    step.requirement_evidence = "ERROR: No matching distribution found for nosuchthing>=2"
    [failure] = judge_step(step, isolated=None)
    assert failure.package is None
    files = FakeProjectFiles(backends={"/work/proj": "setuptools.build_meta"})
    completed = complete(
        failure, CommandContext(["install", "--no-build-isolation", "./proj"], "/work"), files
    )
    assert completed is not None
    assert (completed.package, completed.source, completed.isolated) == ("./proj", "local", False)
    assert completed.pyproject == "/work/proj/pyproject.toml"
    assert completed.backend is None  # only a backend failure asks for the declared backend


def test_without_a_command_line_no_file_is_asked_for() -> None:
    step = failed_step(Package("./proj", "local"), backend_unavailable=True)
    [failure] = judge_step(step, isolated=None)
    files = NoFiles()
    assert complete(failure, None, files) is failure
    assert failure.pyproject is None


def test_diagnosis_reads_project_files_only_through_what_it_is_given() -> None:
    files = FakeProjectFiles(backends={"/work/proj": "hatchling.build"})
    diagnosis = Diagnosis(files=files)
    diagnosis.set_context(["install", "./proj"], "/work")
    for line in (
        "Processing ./proj",
        "  Installing build dependencies: started",
        "  Installing build dependencies: finished with status 'done'",
        "  Getting requirements to build wheel: started",
        "  Getting requirements to build wheel: finished with status 'error'",
        "  error: subprocess-exited-with-error",
        "  pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback (most recent call",
    ):
        diagnosis.feed_line("stderr", line)
    [failure] = diagnosis.failures()
    assert (failure.kind, failure.backend, failure.distribution) == (
        "backend-unavailable",
        "hatchling.build",
        "hatchling",
    )
    assert "backend /work/proj/pyproject.toml" in files.asked


@pytest.mark.parametrize(
    ("text", "backend", "present"),
    [
        pytest.param(
            '[build-system]\nbuild-backend = " flit_core.buildapi "\n',
            "flit_core.buildapi",
            True,
            id="declared",
        ),
        pytest.param("[project]\nname = 'x'\n", None, False, id="no-build-system"),
        pytest.param("[build-system\n", None, False, id="malformed"),
    ],
)
def test_disk_project_files(tmp_path: Path, text: str, backend: str | None, present: bool) -> None:
    project = tmp_path / "proj"
    (project / "src" / "proj_helpers").mkdir(parents=True)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    files = DiskProjectFiles()
    folder = files.project_folder(str(tmp_path), "./proj")
    assert folder is not None
    assert Path(folder) == project
    assert files.project_folder(str(tmp_path), "./gone") is None
    pyproject = files.pyproject(str(project))
    assert pyproject == str(project / "pyproject.toml")
    assert files.build_backend(pyproject) == backend
    assert files.build_system_present(pyproject) is present
    assert files.owns(str(project), "proj_helpers.sub")
    assert not files.owns(str(project), "numpy")
    assert files.pyproject(str(tmp_path)) is None
