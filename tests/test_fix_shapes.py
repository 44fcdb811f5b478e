"""End to end, offline: the shapes real PyPI sdists take, reproduced by local fixtures.

Each sdist is built from a folder of tests/projects into a --find-links folder, and installed by
name with --no-index from the wheelhouse, the way a package from an index is: safepip never owns
its source. One virtual environment serves every case (each installs other packages). On Python
3.10+ it runs the newest pip of the wheelhouse (caps go through ``--build-constraint``), on 3.9
the pip that ships with it (caps go through ``PIP_CONSTRAINT``): CI covers both mechanisms.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from testing.environ import offline_environ, safepip_argv
from testing.paths import PROJECTS
from testing.venvs import seeded_venv
from testing.wheels import build_wheel

pytestmark = pytest.mark.slow


def make_sdist(fixture: str, folder: Path) -> Path:
    """The fixture as an sdist NAME-1.0.tar.gz in ``folder`` (named after its folder)."""
    base = f"{fixture.replace('-', '_')}-1.0"
    staging = folder.parent / "staging" / base
    shutil.copytree(PROJECTS / fixture, staging)
    (staging / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {fixture}\nVersion: 1.0\n")
    folder.mkdir(parents=True, exist_ok=True)
    sdist = folder / f"{base}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(staging, arcname=base)
    return sdist


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> tuple[Path, Path]:
    """(a venv, a find-links folder holding every fixture's sdist and one provider wheel)."""
    root = tmp_path_factory.mktemp("shapes")
    python = seeded_venv(root / "venv")
    if sys.version_info >= (3, 10):
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--upgrade", "pip>=25.3"],
            env=offline_environ(wheelhouse, python),
            check=True,
        )
    links = root / "links"
    for fixture in (
        "legacy-pkg-resources",
        "depends-on-legacy",
        "no-build-system",
        "setup-requires-cython",
        "python2-only",
        "imports-installed-module",
        "legacy-msvccompiler",
    ):
        make_sdist(fixture, links)
    build_wheel(links, "safepip_frob_dist", package="frobmod")
    return python, links


def safepip(
    python: Path, links: Path, wheelhouse: Path, report: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    # pip < 23.1 builds a setup.py-only project with `setup.py bdist_wheel` in the target (whose
    # old setuptools still has pkg_resources) when setuptools is installed there: the isolated
    # build every newer pip makes is asked for explicitly.
    environ = offline_environ(wheelhouse, python, PIP_USE_PEP517="1")
    return subprocess.run(
        safepip_argv("--report", str(report), *args, "--find-links", str(links)),
        env=environ,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def imports(python: Path, module: str) -> bool:
    return subprocess.run([str(python), "-c", f"import {module}"], check=False).returncode == 0


def applied(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (fix["kind"], fix["applied_as"]) for round_ in report["rounds"] for fix in round_["fixes"]
    ]


def pip_version(python: Path) -> tuple[int, ...]:
    out = subprocess.run(
        [str(python), "-m", "pip", "--version"], capture_output=True, text=True, check=True
    ).stdout
    return tuple(int(part) for part in out.split()[1].split(".")[:2])


def test_a_dependency_needing_a_cap_gets_a_build_constraint(
    shapes: tuple[Path, Path], wheelhouse: Path, tmp_path: Path
) -> None:
    """A setup.py-only sdist importing pkg_resources, deep in the resolve: one build constraint
    reaches it, isolation kept, nothing patched."""
    python, links = shapes
    report = tmp_path / "report.json"
    result = safepip(python, links, wheelhouse, report, "--yes", "install", "depends-on-legacy")
    assert result.returncode == 0, result.stderr
    document = json.loads(report.read_text())
    option = "--build-constraint" if pip_version(python) >= (25, 3) else "PIP_CONSTRAINT"
    assert applied(document) == [("build-constraint", f"build constraint ({option})")]
    assert [run["exit_status"] for run in document["runs"]] == [1, 0]
    assert "--no-build-isolation" not in document["runs"][-1]["argv"]
    assert imports(python, "legacy_pkg_resources")
    assert imports(python, "depends_on_legacy")


def test_a_build_tool_newer_than_the_sdist_is_capped_by_a_build_constraint(
    shapes: tuple[Path, Path], wheelhouse: Path, tmp_path: Path
) -> None:
    """A setup.py importing what setuptools 74 removed (preshed 3.0.6's shape): the build fails
    inside the build environment's setuptools; one build constraint, setuptools<74, builds it."""
    python, links = shapes
    report = tmp_path / "report.json"
    result = safepip(python, links, wheelhouse, report, "--yes", "install", "legacy-msvccompiler")
    assert result.returncode == 0, result.stderr
    document = json.loads(report.read_text())
    assert [(f["kind"], f["requirement"]) for f in document["failures"]] == [
        ("build-dependency-too-new", "setuptools<74")
    ]
    option = "--build-constraint" if pip_version(python) >= (25, 3) else "PIP_CONSTRAINT"
    assert applied(document) == [("build-constraint", f"build constraint ({option})")]
    assert [run["exit_status"] for run in document["runs"]] == [1, 0]
    assert "setuptools 74.0.0 removed" in result.stderr
    assert imports(python, "legacy_msvccompiler")


def test_no_build_system_under_no_binary_with_a_second_missing_piece(
    shapes: tuple[Path, Path], wheelhouse: Path, tmp_path: Path
) -> None:
    """A pyproject.toml without [build-system], under --no-binary NAME: the patched copy gets a
    [build-system]; its build fails on pkg_resources, is read, and the next round caps setuptools
    in the copy; the wheel then reaches pip by URL and pip says it used it."""
    python, links = shapes
    report = tmp_path / "report.json"
    args = ["--yes", "install", "--no-binary", "no-build-system", "no-build-system"]
    result = safepip(python, links, wheelhouse, report, *args)
    assert result.returncode == 0, result.stderr
    document = json.loads(report.read_text())
    assert applied(document) == [
        ("build-patched-sdist", "patched copy"),
        ("build-patched-sdist", "patched copy"),
    ]
    purposes = [(run["purpose"].split(" of ")[0], run["exit_status"]) for run in document["runs"]]
    assert purposes == [
        ("your command", 1),
        ("build", 1),
        ("build", 0),
        ("your command", 0),
    ]
    assert "Processing " in result.stdout
    assert "no_build_system-1.0-py3-none-any.whl" in result.stdout
    assert "pip did not use the wheel" not in result.stderr
    assert imports(python, "no_build_system")


def test_fetch_build_eggs_names_its_requirement(
    shapes: tuple[Path, Path], wheelhouse: Path, tmp_path: Path
) -> None:
    python, links = shapes
    report = tmp_path / "report.json"
    result = safepip(python, links, wheelhouse, report, "--yes", "install", "setup-requires-cython")
    assert result.returncode == 0, result.stderr
    document = json.loads(report.read_text())
    assert document["failures"][0]["requirement"] == "Cython>=0.29"  # the table's, not the log's
    assert applied(document)[0] == ("build-patched-sdist", "patched copy")
    assert imports(python, "setup_requires_cython")


def test_python2_only_gets_no_finding_and_no_fix(
    shapes: tuple[Path, Path], wheelhouse: Path, tmp_path: Path
) -> None:
    python, links = shapes
    report = tmp_path / "report.json"
    result = safepip(python, links, wheelhouse, report, "--yes", "install", "python2-only")
    assert result.returncode == 1
    document = json.loads(report.read_text())
    assert [f["kind"] for f in document["failures"]] == ["unidentified-import"]
    assert document["fixes"] == []
    assert len(document["runs"]) == 1
    assert "Python 2" in result.stderr


@pytest.mark.skipif(sys.version_info < (3, 10), reason="packages_distributions() is 3.10+")
def test_an_unknown_module_is_named_by_the_target_environment_never_installed(
    shapes: tuple[Path, Path], wheelhouse: Path, tmp_path: Path
) -> None:
    """The target has the one distribution providing the import, in no curated table: it is
    named as a hint, with how to map it, and nothing is proposed or installed (issue 18,
    item 11: only the curated tables or the user's [mapping] are proposed)."""
    python, links = shapes
    environ = offline_environ(wheelhouse, python)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--find-links",
            str(links),
            "safepip_frob_dist",
        ],
        env=environ,
        check=True,
    )
    report = tmp_path / "report.json"
    result = safepip(
        python, links, wheelhouse, report, "--yes", "install", "imports-installed-module"
    )
    assert result.returncode == 1, result.stderr
    assert "safepip_frob_dist is the one installed distribution" in result.stderr
    assert 'frobmod = "safepip_frob_dist" to [mapping]' in result.stderr
    document = json.loads(report.read_text())
    assert document["failures"][0]["kind"] == "unidentified-import"
    assert document["failures"][0]["distribution"] == "safepip_frob_dist"
    assert document["fixes"] == []
    assert len(document["runs"]) == 1
    assert not imports(python, "imports_installed_module")
