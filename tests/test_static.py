"""Static checks of ``[build-system]`` (safepip.deciding.static): every kind, with its line."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip import tomlfile
from safepip.changes import AddRequirement, SetBackend
from safepip.deciding import static
from safepip.deciding.static import check_pyproject, check_text
from safepip.deciding.static_findings import (
    BACKEND_INVALID,
    BACKEND_NOT_IN_REQUIRES,
    BACKEND_NOT_IN_TREE,
    BACKEND_PATH_INVALID,
    BACKEND_UNKNOWN,
    BUILD_SYSTEM_NOT_A_TABLE,
    KINDS,
    NO_BUILD_SYSTEM,
    REQUIREMENT_INVALID,
    REQUIRES_EXCLUDES_BACKEND,
    REQUIRES_MISSING,
    REQUIRES_NOT_A_LIST,
    StaticCheckError,
    StaticFinding,
)

FIXTURES = Path(__file__).parent / "pyprojects-static"
PROJECTS = Path(__file__).parent / "projects"


def check(name: str) -> list[StaticFinding]:
    """Check a fixture file on its own (no setup.py or backend files next to it)."""
    path = FIXTURES / name
    return check_text(path.read_text(encoding="utf-8"), str(path))


def project(tmp_path: Path, fixture: str, *files: str) -> Path:
    """A project folder holding the fixture as pyproject.toml and the given (empty) files."""
    shutil.copyfile(FIXTURES / fixture, tmp_path / "pyproject.toml")
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    return tmp_path


def test_a_sound_project_has_no_finding() -> None:
    assert check("sound.toml") == []


def test_backend_not_in_requires() -> None:
    [finding] = check("backend-not-in-requires.toml")
    assert finding.kind == BACKEND_NOT_IN_REQUIRES
    assert finding.line == 6
    assert finding.distribution == "hatchling"
    assert finding.change == AddRequirement("hatchling")
    assert finding.fix == 'add "hatchling" to [build-system] requires'
    assert "hatchling.build" in finding.message


def test_legacy_backend_needs_setuptools_in_requires() -> None:
    [finding] = check("legacy-without-setuptools.toml")
    assert finding.kind == BACKEND_NOT_IN_REQUIRES
    assert finding.line == 3
    assert finding.distribution == "setuptools"
    assert finding.change == AddRequirement("setuptools>=40.8.0")
    assert "legacy backend" in finding.message


def test_requires_missing() -> None:
    [finding] = check("requires-missing.toml")
    assert finding.kind == REQUIRES_MISSING
    assert finding.line == 4  # the [build-system] header
    assert finding.change == AddRequirement("flit_core>=3.2")
    assert finding.distribution == "flit_core"


def test_requires_not_a_list() -> None:
    [finding] = check("requires-not-a-list.toml")
    assert finding.kind == REQUIRES_NOT_A_LIST
    assert finding.line == 3
    assert finding.change is None
    assert "string" in finding.message


def test_invalid_requirements_each_on_its_line() -> None:
    findings = check("requirement-invalid.toml")
    assert [(f.kind, f.line) for f in findings] == [
        (REQUIREMENT_INVALID, 4),
        (REQUIREMENT_INVALID, 2),  # a number has no text to find: the key's line
    ]
    assert "'wheel;;'" in findings[0].message
    assert "3" in findings[1].message
    assert all(f.change is None for f in findings)


def test_backend_typo_is_suggested() -> None:
    [finding] = check("backend-typo.toml")
    assert finding.kind == BACKEND_UNKNOWN
    assert finding.line == 3
    assert finding.change == SetBackend("hatchling.build")
    assert finding.fix == 'set build-backend = "hatchling.build"'


def test_the_typo_fixture_project(tmp_path: Path) -> None:
    [finding] = check_pyproject(str(PROJECTS / "wrong-backend-path"))
    assert finding.kind == BACKEND_UNKNOWN
    assert finding.line == 6
    assert finding.change == SetBackend("flit_core.buildapi")


def test_a_dashed_module_name_is_a_typo() -> None:
    text = '[build-system]\nrequires = ["flit_core"]\nbuild-backend = "flit-core.buildapi"\n'
    [finding] = check_text(text, "pyproject.toml")
    assert finding.kind == BACKEND_UNKNOWN
    assert finding.change == SetBackend("flit_core.buildapi")


def test_a_custom_backend_from_requires_is_left_alone() -> None:
    assert check("backend-custom.toml") == []


def test_backend_invalid() -> None:
    [finding] = check("backend-invalid.toml")
    assert finding.kind == BACKEND_INVALID
    assert finding.line == 3
    [finding] = check_text(
        '[build-system]\nrequires = []\nbuild-backend = "42 is not a module"\n', "pyproject.toml"
    )
    assert finding.kind == BACKEND_INVALID


def test_requires_excludes_backend() -> None:
    [finding] = check("requires-excludes-backend.toml")
    assert finding.kind == REQUIRES_EXCLUDES_BACKEND
    assert finding.line == 2
    assert finding.distribution == "poetry-core"
    assert finding.change is None
    assert "1.0.0a6" in finding.message


@pytest.mark.parametrize(
    ("requirement", "backend", "excluded"),
    [
        ("setuptools<36.6", "setuptools.build_meta", True),
        ("setuptools<=36.5.9", "setuptools.build_meta", True),
        ("setuptools~=36.5.0", "setuptools.build_meta", True),
        ("setuptools==36.*", "setuptools.build_meta", False),
        ("setuptools==35.*", "setuptools.build_meta", True),
        ("setuptools==36.6.0", "setuptools.build_meta", False),
        ("setuptools<40.8", "setuptools.build_meta:__legacy__", True),
        ("setuptools<41", "setuptools.build_meta:__legacy__", False),
        ("flit_core<2", "flit_core.buildapi", True),
        ("flit_core>=2,<4", "flit_core.buildapi", False),
        ("poetry-core<1.0.0a7", "poetry.core.masonry.api", False),
        ("poetry-core<1", "poetry.core.masonry.api", True),
        ("poetry-core!=1.0.0", "poetry.core.masonry.api", False),
        ("hatchling<0.1", "hatchling.build", False),  # no verified first release: no claim
    ],
)
def test_version_bounds_against_the_first_release(
    requirement: str, backend: str, excluded: bool
) -> None:
    text = f'[build-system]\nrequires = ["{requirement}"]\nbuild-backend = "{backend}"\n'
    findings = check_text(text, "pyproject.toml")
    assert [f.kind for f in findings] == ([REQUIRES_EXCLUDES_BACKEND] if excluded else [])


def test_no_build_system_and_nothing_to_build() -> None:
    [finding] = check("no-build-system.toml")
    assert finding.kind == NO_BUILD_SYSTEM
    assert finding.line == 1
    assert "setuptools>=40.8.0" in finding.message
    assert "setup.py" in finding.message
    assert finding.change is None


def test_no_build_system_with_a_poetry_table_suggests_poetry_core() -> None:
    [finding] = check("no-build-system-poetry.toml")
    assert finding.kind == NO_BUILD_SYSTEM
    assert finding.distribution == "poetry-core"
    assert finding.fix is not None
    assert "poetry.core.masonry.api" in finding.fix


def test_no_build_system_is_fine_with_a_project_table() -> None:
    assert check("no-build-system-project.toml") == []


@pytest.mark.parametrize("legacy_file", ["setup.py", "setup.cfg"])
def test_no_build_system_is_fine_with_setup_files(tmp_path: Path, legacy_file: str) -> None:
    assert check_pyproject(str(project(tmp_path, "no-build-system.toml", legacy_file))) == []


def test_build_system_not_a_table() -> None:
    [finding] = check("build-system-not-a-table.toml")
    assert finding.kind == BUILD_SYSTEM_NOT_A_TABLE
    assert finding.line == 1


def test_dotted_keys_are_found_on_their_lines() -> None:
    [finding] = check("dotted-keys.toml")
    assert finding.kind == BACKEND_NOT_IN_REQUIRES
    assert finding.line == 2


def test_inline_table() -> None:
    [finding] = check("inline-table.toml")
    assert finding.kind == BACKEND_NOT_IN_REQUIRES
    assert finding.distribution == "pdm-backend"
    assert finding.line == 1


def test_a_dependency_that_brings_the_backend_counts() -> None:
    assert check("provided-via.toml") == []


def test_setuptools_with_a_project_table_needs_61() -> None:
    [finding] = check("setuptools-project.toml")
    assert finding.change == AddRequirement("setuptools>=61")


@pytest.mark.parametrize(
    ("pyproject", "requirement"),
    [
        ('[build-system]\nrequires = ["wheel"]\n', "setuptools>=40.8.0,<82"),
        (
            (
                '[build-system]\nrequires = ["wheel"]\nbuild-backend = "setuptools.build_meta"\n'
                '[project]\nname = "x"\nversion = "1"\n'
            ),
            "setuptools>=61,<82",
        ),
    ],
)
def test_setuptools_for_a_setup_py_importing_pkg_resources_comes_capped(
    tmp_path: Path, pyproject: str, requirement: str
) -> None:
    """One change, not two rounds: setuptools added, then capped once pkg_resources fails."""
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "setup.py").write_text("import pkg_resources\nfrom setuptools import setup\n")
    [finding] = check_pyproject(str(tmp_path))
    assert finding.kind == BACKEND_NOT_IN_REQUIRES
    assert finding.change == AddRequirement(requirement)
    assert "imports pkg_resources" in finding.message
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    [finding] = check_pyproject(str(tmp_path))
    assert "<82" not in str(finding.change)


def test_a_backend_requirement_with_markers_counts() -> None:
    assert check("backend-with-marker.toml") == []


@pytest.mark.parametrize(
    ("fixture", "module_file"),
    [
        ("in-tree-flit-core.toml", "flit_core/buildapi.py"),
        ("in-tree-hatchling.toml", "src/hatchling/ouroboros.py"),
        ("in-tree-setuptools.toml", "setuptools/build_meta.py"),
        ("in-tree-poetry-core.toml", "src/poetry/core/masonry/api.py"),
        ("in-tree-meson-python.toml", "mesonpy/__init__.py"),
    ],
)
def test_in_tree_backends(tmp_path: Path, fixture: str, module_file: str) -> None:
    # Found where backend-path says: nothing needed in requires.
    assert check_pyproject(str(project(tmp_path, fixture, module_file))) == []
    # Not there: pip's hook runner fails with "Cannot find module".
    (tmp_path / module_file).unlink()
    [finding] = check_pyproject(str(tmp_path))
    assert finding.kind == BACKEND_NOT_IN_TREE
    lines = (FIXTURES / fixture).read_text(encoding="utf-8").splitlines()
    assert lines[finding.line - 1].startswith("backend-path")
    assert finding.change is None


def test_the_backend_path_fixture_project() -> None:
    [finding] = check_pyproject(str(PROJECTS / "backend-path-wrong"))
    assert finding.kind == BACKEND_NOT_IN_TREE
    assert finding.line == 7


def test_in_tree_lookup_from_an_archive_listing() -> None:
    text = (FIXTURES / "in-tree-hatchling.toml").read_text(encoding="utf-8")
    names = {"src/hatchling/ouroboros.py", "src/hatchling/__init__.py"}
    assert check_text(text, "pyproject.toml", exists=names.__contains__) == []


@pytest.mark.parametrize("value", ['["../elsewhere"]', '["/abs"]', '"."', "[1]"])
def test_backend_path_invalid(value: str) -> None:
    text = f'[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = {value}\n'
    [finding] = check_text(text, "pyproject.toml")
    assert finding.kind == BACKEND_PATH_INVALID
    assert finding.line == 4


def test_backend_path_invalid_fixture() -> None:
    [finding] = check("backend-path-invalid.toml")
    assert finding.kind == BACKEND_PATH_INVALID


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("flit-missing", BACKEND_NOT_IN_REQUIRES),
        ("hatchling-missing", BACKEND_NOT_IN_REQUIRES),
        ("poetry-missing", BACKEND_NOT_IN_REQUIRES),
        ("pdm-missing", BACKEND_NOT_IN_REQUIRES),
        ("setuptools-missing", BACKEND_NOT_IN_REQUIRES),
        ("mesonpy-missing", BACKEND_NOT_IN_REQUIRES),
    ],
)
def test_fixture_projects_with_a_missing_backend(fixture: str, kind: str) -> None:
    [finding] = check_pyproject(str(PROJECTS / fixture))
    assert finding.kind == kind
    assert finding.line == 4


def test_fixture_projects_that_are_sound() -> None:
    for name in ["flit-ok", "hatchling-ok", "setuptools-ok", "legacy-setup-py-cython"]:
        assert check_pyproject(str(PROJECTS / name)) == [], name


def test_poetry_core_with_a_project_table_needs_2() -> None:
    [finding] = check_pyproject(str(PROJECTS / "poetry-missing"))
    assert finding.change == AddRequirement("poetry-core>=2")


def test_invalid_toml_is_one_line_with_line_and_column() -> None:
    with pytest.raises(StaticCheckError) as info:
        check("invalid-toml.toml")
    message = str(info.value)
    # The reason after the position is the TOML parser's wording (tomllib, tomli): not ours.
    assert re.search(r"is not valid TOML \(line 3, column 1\): \S", message), message
    assert "\n" not in message


def test_invalid_toml_at_the_end() -> None:
    with pytest.raises(StaticCheckError, match=r"not valid TOML \(line 2, column"):
        check_text('[build-system]\nrequires = ["a",', "pyproject.toml")


def test_a_bom_is_refused_like_pip_does(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(
        b"\xef\xbb\xbf" + (FIXTURES / "sound.toml").read_bytes()
    )
    with pytest.raises(StaticCheckError, match="byte order mark"):
        check_pyproject(str(tmp_path))


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[build-system]\nrequires = ['\xff']\n")
    with pytest.raises(StaticCheckError, match="not UTF-8"):
        check_pyproject(str(tmp_path))


def test_paths_that_cannot_be_checked(tmp_path: Path) -> None:
    with pytest.raises(StaticCheckError, match="does not exist"):
        check_pyproject(str(tmp_path / "nowhere"))
    with pytest.raises(StaticCheckError, match="not a Python project"):
        check_pyproject(str(tmp_path))
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(StaticCheckError, match="not a Python project"):
        check_pyproject(str(tmp_path / "pyproject.toml"))  # a folder of that name


def test_a_pyproject_path_or_its_folder(tmp_path: Path) -> None:
    project(tmp_path, "backend-not-in-requires.toml")
    by_folder = check_pyproject(str(tmp_path))
    by_file = check_pyproject(str(tmp_path / "pyproject.toml"))
    assert by_folder == by_file
    assert by_folder[0].path == str(tmp_path / "pyproject.toml")


def test_every_kind_is_exercised_and_documented() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "doctor.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert f"`{kind}`" in docs, kind


def test_render_and_json() -> None:
    [finding] = check("backend-not-in-requires.toml")
    assert finding.render().startswith(f"{FIXTURES / 'backend-not-in-requires.toml'}:6: ")
    assert finding.render().endswith('(fix: add "hatchling" to [build-system] requires)')
    assert set(finding.to_json()) == {"path", "line", "kind", "message", "distribution", "fix"}


def test_no_pip_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from safepip.deciding.static import check_pyproject; "
        f"check_pyproject({str(PROJECTS / 'flit-missing')!r}); "
        "print(any(m == 'pip' or m.startswith('pip.') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


@settings(max_examples=100, deadline=None)
@given(st.from_regex(static._SIMPLE_REQUIREMENT, fullmatch=True))
def test_the_fast_requirement_pattern_only_accepts_valid_requirements(item: str) -> None:
    from packaging.requirements import Requirement

    Requirement(item)  # must not raise


def test_without_pips_parser_tomlkit_reads_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    # Python 3.9/3.10 without tomli installed: tomlkit (a safepip dependency) parses instead.
    monkeypatch.setattr(tomlfile, "toml_parser", lambda: None)
    [finding] = check("backend-not-in-requires.toml")
    assert finding.kind == BACKEND_NOT_IN_REQUIRES
    assert finding.line == 6
    with pytest.raises(StaticCheckError, match=r"is not valid TOML \(line \d+, column \d+\)"):
        check("invalid-toml.toml")
