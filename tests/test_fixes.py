"""End to end: a broken project, the real pip in a fresh venv, safepip's diagnosis and fix.

Each case runs twice: without consent (nothing changes, pip's failing status, the diagnosis
names the distribution and the command that would fix it) and with --yes (the fix lands, pip
runs again and succeeds, the package imports, only [build-system] changed, comments intact, and
the report records it all).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import tomlkit

from testing.environ import offline_environ, safepip_argv
from testing.paths import PROJECTS
from testing.runs import copy_project, run_safepip
from testing.venvs import seeded_venv

pytestmark = pytest.mark.slow


def build_system(path: Path) -> dict[str, object]:
    document = tomlkit.parse(path.read_text()).unwrap()
    return dict(document.pop("build-system", {})), document  # type: ignore[return-value]


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def imports(python: Path, module: str, environ: dict[str, str]) -> bool:
    result = subprocess.run(
        [str(python), "-c", f"import {module}"], env=environ, capture_output=True, check=False
    )
    return result.returncode == 0


# fixture, pip arguments ({project} is the copied project), distribution, requirement, module
LOCAL_CASES = [
    pytest.param("flit-missing", ["install", "{project}"], "flit_core", "flit_core>=3.2",
                 "flit_missing", id="flit_core"),
    pytest.param("hatchling-missing", ["install", "-e", "{project}"], "hatchling", "hatchling",
                 "hatchling_missing", id="hatchling-editable"),
    pytest.param("poetry-missing", ["install", "{project}"], "poetry-core", "poetry-core>=1.0.0",
                 "poetry_missing", id="poetry-core"),
    pytest.param("pdm-missing", ["install", "{project}"], "pdm-backend", "pdm-backend",
                 "pdm_missing", id="pdm-backend"),
    pytest.param("setuptools-missing", ["install", "{project}"], "setuptools",
                 "setuptools>=40.8.0", "setuptools_missing", id="setuptools"),
    pytest.param("cython-undeclared", ["install", "{project}"], "Cython", "Cython>=0.29",
                 "cython_undeclared", id="setup-py-imports-cython"),
]  # fmt: skip


def fill(args: list[str], project: Path) -> list[str]:
    return [arg.replace("{project}", str(project)) for arg in args]


@pytest.mark.parametrize(("fixture", "args", "distribution", "requirement", "module"), LOCAL_CASES)
def test_without_consent_nothing_changes(
    fixture: str,
    args: list[str],
    distribution: str,
    requirement: str,
    module: str,
    tmp_path: Path,
    pip_venv: Path,
    wheelhouse: Path,
) -> None:
    project = copy_project(fixture, tmp_path)
    before = (project / "pyproject.toml").read_bytes()
    result = run_safepip(fill(args, project), offline_environ(wheelhouse, pip_venv), cwd=tmp_path)
    assert result.status != 0
    # No terminal and no --yes: no pre-flight question; pip runs as it is, and only its failure
    # is explained, once.
    assert "before running pip" not in result.err
    assert result.err.count("proposed fix:") == 1
    assert f'add "{requirement}" to [build-system] requires' in result.err
    assert f"comes from {distribution}" in result.err or f"by {distribution}" in result.err
    assert "nothing was changed" in result.err
    assert "safepip --yes " + " ".join(fill(args, project)) in result.err
    assert (project / "pyproject.toml").read_bytes() == before
    assert sorted(p.name for p in project.iterdir()) == sorted(
        p.name for p in (PROJECTS / fixture).iterdir()
    )


@pytest.mark.parametrize(("fixture", "args", "distribution", "requirement", "module"), LOCAL_CASES)
def test_with_yes_the_fix_lands_and_pip_succeeds(
    fixture: str,
    args: list[str],
    distribution: str,
    requirement: str,
    module: str,
    tmp_path: Path,
    wheelhouse: Path,
) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = copy_project(fixture, tmp_path)
    pyproject = project / "pyproject.toml"
    before_text = pyproject.read_text()
    before_system, before_rest = build_system(pyproject)
    report = tmp_path / "report.json"
    # Without the pre-flight, so that pip fails first and the fix comes from reading its output.
    environ = offline_environ(wheelhouse, python, SAFEPIP_PREFLIGHT="0")
    result = run_safepip(
        ["--yes", "--report", str(report), *fill(args, project)], environ, cwd=tmp_path
    )
    assert result.status == 0, result.err
    assert imports(python, module, environ)
    after_system, after_rest = build_system(pyproject)
    assert after_rest == before_rest
    assert after_system["requires"] == [*before_system["requires"], requirement]  # type: ignore[misc]
    assert {k: v for k, v in after_system.items() if k != "requires"} == {
        k: v for k, v in before_system.items() if k != "requires"
    }
    assert comments(pyproject.read_text()) == comments(before_text)
    backup = project / "pyproject.toml.safepip-backup"
    assert backup.read_text() == before_text
    assert f"changed {pyproject}" in result.err
    # The report records the failure, the fix, the changed file and both runs.
    document = json.loads(report.read_text())
    assert document["pip_command"] == fill(args, project)
    statuses = [run["exit_status"] for run in document["runs"]]
    assert statuses[0] != 0
    assert statuses[1:] == [0]
    assert document["exit_status"] == 0
    [failure] = document["failures"]
    kind = "build-dependency-missing" if fixture == "cython-undeclared" else "backend-unavailable"
    assert (failure["kind"], failure["distribution"]) == (kind, distribution)
    [fix] = document["fixes"]
    assert (fix["applied"], fix["kind"]) == (True, "patch-pyproject")
    assert fix["change"] == ["add", requirement]
    [changed] = document["changed_files"]
    assert changed["path"] == str(pyproject)
    assert Path(changed["backup"]).read_text() == before_text


def test_second_failure_after_the_first_fix(tmp_path: Path, wheelhouse: Path) -> None:
    # requires lists nothing: first setuptools (the backend) is missing, then Cython.
    python = seeded_venv(tmp_path / "venv")
    project = copy_project("cython-undeclared", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('["setuptools>=61"]', "[]"))
    environ = offline_environ(wheelhouse, python, SAFEPIP_PREFLIGHT="0")
    result = run_safepip(["--yes", "install", str(project)], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    assert build_system(pyproject)[0]["requires"] == ["setuptools>=40.8.0", "Cython>=0.29"]
    assert result.err.count("running pip again") == 2
    assert imports(python, "cython_undeclared", environ)


def test_wrong_backend_path_is_corrected(tmp_path: Path, wheelhouse: Path) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = copy_project("wrong-backend-path", tmp_path)
    pyproject = project / "pyproject.toml"
    environ = offline_environ(wheelhouse, python)
    dry = run_safepip(["install", str(project)], environ, cwd=tmp_path)
    assert dry.status != 0
    assert 'set [build-system] build-backend = "flit_core.buildapi"' in dry.err
    environ["SAFEPIP_PREFLIGHT"] = "0"
    result = run_safepip(["--yes", "install", str(project)], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    assert build_system(pyproject)[0]["build-backend"] == "flit_core.buildapi"
    assert imports(python, "wrong_backend_path", environ)


def test_no_build_isolation_with_the_backend_absent(tmp_path: Path, wheelhouse: Path) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = copy_project("flit-ok", tmp_path)
    environ = offline_environ(wheelhouse, python)
    args = ["install", "--no-build-isolation", str(project)]
    dry = run_safepip(args, environ, cwd=tmp_path)
    assert dry.status != 0
    assert 'install "flit_core>=3.2" into the target environment' in dry.err
    assert not imports(python, "flit_core", environ)
    result = run_safepip(["--yes", *args], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    assert imports(python, "flit_core", environ)
    assert imports(python, "flit_ok", environ)
    assert (project / "pyproject.toml").read_bytes() == (
        PROJECTS / "flit-ok" / "pyproject.toml"
    ).read_bytes()


def make_sdist(project: Path, name: str, version: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    base = f"{name.replace('-', '_')}-{version}"
    (project / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    sdist = folder / f"{base}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(project, arcname=base)
    return sdist


def test_sdist_on_a_find_links_index(tmp_path: Path, wheelhouse: Path) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = copy_project("flit-missing", tmp_path)
    index = tmp_path / "index"
    sdist = make_sdist(project, "flit-missing", "1.0", index)
    sdist_bytes = sdist.read_bytes()
    environ = offline_environ(wheelhouse, python)
    args = ["install", "--find-links", str(index), "flit-missing"]
    dry = run_safepip(args, environ, cwd=tmp_path)
    assert dry.status != 0
    assert "build flit_missing-1.0.tar.gz from a patched copy" in dry.err
    result = run_safepip(["--yes", *args], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    assert imports(python, "flit_missing", environ)
    assert sdist.read_bytes() == sdist_bytes  # the user's sdist is never touched
    assert [p.name for p in index.iterdir()] == [sdist.name]


def test_invalid_toml_is_left_to_pip_and_nothing_changes(
    tmp_path: Path, pip_venv: Path, wheelhouse: Path
) -> None:
    project = copy_project("flit-missing", tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("requires = []", "requires = [", 1))
    before = pyproject.read_bytes()
    environ = offline_environ(wheelhouse, pip_venv)
    direct = subprocess.run(
        [str(pip_venv), "-m", "pip", "install", str(project)],
        env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip
    result = run_safepip(["--yes", "install", str(project)], environ, cwd=tmp_path)
    assert result.status == direct.returncode != 0
    assert "proposed fix" not in result.err
    assert pyproject.read_bytes() == before


@pytest.mark.parametrize("preflight", ["1", "0"], ids=["before-pip", "after-pip"])
def test_read_only_pyproject_is_refused_in_one_line(
    preflight: str, tmp_path: Path, wheelhouse: Path, pip_venv: Path
) -> None:
    project = copy_project("flit-missing", tmp_path)
    pyproject = project / "pyproject.toml"
    before = pyproject.read_bytes()
    pyproject.chmod(0o444)
    environ = offline_environ(wheelhouse, pip_venv, SAFEPIP_PREFLIGHT=preflight)
    direct = subprocess.run(
        [str(pip_venv), "-m", "pip", "install", str(project)],
        env=environ, capture_output=True, text=True, check=False,
    )  # fmt: skip
    result = run_safepip(["--yes", "install", str(project)], environ, cwd=tmp_path)
    assert result.status == direct.returncode != 0  # pip's status stands
    own = [line for line in result.err.splitlines() if line.startswith("safepip: error:")]
    assert len(own) == 1
    assert "read-only" in own[0]
    # pip's own traceback may be there (pip < 26 crashes on a missing backend); none of ours.
    assert not [line for line in result.err.splitlines() if "/safepip/" in line and "File" in line]
    assert pyproject.read_bytes() == before
    assert not (project / "pyproject.toml.safepip-backup").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="ptys exist only on POSIX")
@pytest.mark.parametrize("answer", ["n", "y"])
def test_terminal_asks_and_only_yes_applies(answer: str, tmp_path: Path, wheelhouse: Path) -> None:
    import pexpect

    python = seeded_venv(tmp_path / "venv")
    project = copy_project("flit-missing", tmp_path)
    before = (project / "pyproject.toml").read_bytes()
    argv = safepip_argv("install", str(project))
    child = pexpect.spawn(
        argv[0], argv[1:], env=offline_environ(wheelhouse, python), timeout=120, cwd=str(tmp_path)
    )
    child.expect_exact("[y/N]")
    child.sendline(answer)
    child.expect(pexpect.EOF)
    child.close()
    changed = (project / "pyproject.toml").read_bytes() != before
    if answer == "y":
        assert child.exitstatus == 0
        assert changed
    else:
        assert child.exitstatus != 0
        assert not changed


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="pip 21.2 does not run on Python 3.12+")
def test_pip_too_old_for_editable_pyproject_is_upgraded(tmp_path: Path, wheelhouse: Path) -> None:
    python = seeded_venv(tmp_path / "venv")
    environ = offline_environ(wheelhouse, python)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "pip==21.2.4"], env=environ, check=True
    )
    project = copy_project("flit-ok", tmp_path)
    dry = run_safepip(["install", "-e", str(project)], environ, cwd=tmp_path)
    assert dry.status != 0
    assert "upgrade pip in the target environment" in dry.err
    result = run_safepip(["--yes", "install", "-e", str(project)], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    assert imports(python, "flit_ok", environ)
    version = subprocess.run(
        [str(python), "-m", "pip", "--version"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert not version.stdout.startswith("pip 21.2")


@pytest.mark.parametrize(
    ("fixture", "args", "module"),
    [
        pytest.param("flit-missing", ["install", "{project}"], "flit_missing", id="flit_core"),
        pytest.param("hatchling-missing", ["install", "-e", "{project}"], "hatchling_missing",
                     id="hatchling-editable"),
        pytest.param("wrong-backend-path", ["install", "{project}"], "wrong_backend_path",
                     id="backend-typo"),
    ],
)  # fmt: skip
def test_preflight_fixes_before_pip_runs_once(
    fixture: str, args: list[str], module: str, tmp_path: Path, wheelhouse: Path
) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = copy_project(fixture, tmp_path)
    report = tmp_path / "report.json"
    environ = offline_environ(wheelhouse, python)
    result = run_safepip(
        ["--yes", "--report", str(report), *fill(args, project)], environ, cwd=tmp_path
    )
    assert result.status == 0, result.err
    assert "before running pip:" in result.err
    assert [run["exit_status"] for run in json.loads(report.read_text())["runs"]] == [0]
    assert imports(python, module, environ)


def test_pkg_resources_gets_a_setuptools_cap_not_a_package(
    tmp_path: Path, wheelhouse: Path
) -> None:
    python = seeded_venv(tmp_path / "venv")
    project = copy_project("pkg-resources", tmp_path)
    pyproject = project / "pyproject.toml"
    before_text = pyproject.read_text()
    environ = offline_environ(wheelhouse, python, SAFEPIP_PREFLIGHT="0")
    dry = run_safepip(["install", str(project)], environ, cwd=tmp_path)
    assert dry.status != 0
    assert 'constrain "setuptools<82"' in dry.err
    assert "pip install pkg_resources" not in dry.err
    result = run_safepip(["--yes", "install", str(project)], environ, cwd=tmp_path)
    assert result.status == 0, result.err
    assert build_system(pyproject)[0]["requires"] == ["setuptools>=61,<82"]
    assert comments(pyproject.read_text()) == comments(before_text)
    assert imports(python, "uses_pkg_resources", environ)


def test_missing_setuptools_for_a_setup_py_importing_pkg_resources_is_one_change(
    tmp_path: Path, wheelhouse: Path
) -> None:
    """requires = ["wheel"] and a setup.py that imports pkg_resources: one question, one pip
    run, one backup (setuptools comes capped), not setuptools and then its cap (issue 19)."""
    python = seeded_venv(tmp_path / "venv")
    project = tmp_path / "wheel-only"
    (project / "wheel_only").mkdir(parents=True)
    (project / "wheel_only" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["wheel"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "wheel-only"\nversion = "1.0"\n\n'
        '[tool.setuptools]\npackages = ["wheel_only"]\n'
    )
    (project / "setup.py").write_text(
        'import pkg_resources\nfrom setuptools import setup\n\npkg_resources.parse_version("1")\n'
        "setup()\n"
    )
    report = tmp_path / "report.json"
    environ = offline_environ(wheelhouse, python)
    result = run_safepip(["--yes", "--report", str(report), "install", str(project)], environ)
    assert result.status == 0, result.err
    document = json.loads(report.read_text())
    assert [run["exit_status"] for run in document["runs"]] == [0]
    assert [changed["path"] for changed in document["changed_files"]] == [
        str(project / "pyproject.toml")
    ]
    assert build_system(project / "pyproject.toml")[0]["requires"] == [
        "wheel",
        "setuptools>=61,<82",
    ]
    assert imports(python, "wheel_only", environ)
