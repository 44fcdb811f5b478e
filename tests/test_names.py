"""safepip.names: canonical names, requirement names and sdist/wheel file names, held to
packaging's answers (the module cuts some of them itself: the live reading must not import
packaging), with the text that is not a requirement."""

from __future__ import annotations

import subprocess
import sys

import pytest
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

from safepip.names import (
    SDIST_SUFFIXES,
    canonical_name,
    is_sdist,
    leading_name,
    requirement_name,
    sdist_project,
    wheel_project,
)

NAMES = [
    "flit_core",
    "Flit__Core",
    "FLIT.core",
    "flit-._core",
    "Deep.Speed",
    "a",
    "A1",
    "zope.interface",
    "ruamel.yaml.clib",
    "pyyaml",
    "Remote_Widget",
]


@pytest.mark.parametrize("name", NAMES)
def test_canonical_name_is_packagings(name: str) -> None:
    assert canonical_name(name) == canonicalize_name(name)


def test_canonical_name_drops_surrounding_whitespace() -> None:
    """The one difference from packaging: a name cut from pip's line may carry a space."""
    assert canonical_name("  Flit_Core \n") == "flit-core"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param("flit_core>=3.2", "flit_core", id="specifier"),
        pytest.param("Flit_Core >= 3.2, <4", "Flit_Core", id="spaced"),
        pytest.param("foo[bar,baz]>=1", "foo", id="extras"),
        pytest.param("foo; python_version < '4'", "foo", id="marker"),
        pytest.param("foo @ https://host/foo-1.0.tar.gz", "foo", id="direct-reference"),
        pytest.param("zope.interface==6.0", "zope.interface", id="dotted"),
        pytest.param("numpy==1.19.5", "numpy", id="pinned"),
        # Not valid PEP 508, so packaging refuses it: the leading name is taken.
        pytest.param("flit_core>=", "flit_core", id="dangling-operator"),
        pytest.param("flit_core 3.2", "flit_core", id="version-without-operator"),
        pytest.param("Cython>=0.29,", "Cython", id="trailing-comma"),
        # Text that names no distribution (a path, a VCS URL): None, never the URL's scheme.
        pytest.param("./proj", None, id="relative-path"),
        pytest.param("/abs/proj", None, id="absolute-path"),
        pytest.param("git+https://host/r.git", None, id="vcs-url"),
        pytest.param("https://host/x.tar.gz", None, id="url"),
        pytest.param("proj/sub", None, id="path-with-a-name-first"),
        pytest.param("", None, id="empty"),
        pytest.param("[extra]", None, id="no-name"),
    ],
)
def test_requirement_name(text: str, name: str | None) -> None:
    assert requirement_name(text) == name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("numpy==1.19.5", "numpy"),
        ("foo[bar]>=1", "foo"),
        ("  foo", "foo"),
        ("foo @ git+https://host/foo", "foo"),
        ("./proj", None),
        ("git+https://host/r.git", None),
        ("C:\\proj", None),
        ("-e", None),
    ],
)
def test_leading_name_needs_no_parser(text: str, name: str | None) -> None:
    assert leading_name(text) == name


@pytest.mark.parametrize(
    "filename",
    [
        "flit_core-3.9.0.tar.gz",
        "Flit_Core-3.9.0.zip",
        "zope.interface-6.0.tar.gz",
        "remote-widget-1.0.tar.gz",
        "PyYAML-5.4.1.tar.gz",
        "a-1.tar.gz",
    ],
)
def test_sdist_project_is_packagings_cut(filename: str) -> None:
    project = sdist_project(filename)
    assert project is not None
    assert canonical_name(project) == parse_sdist_filename(filename)[0]


@pytest.mark.parametrize("suffix", SDIST_SUFFIXES)
def test_every_suffix_pip_accepts(suffix: str) -> None:
    """pip's ARCHIVE_EXTENSIONS (without .whl), .tar.xz among them, in any case."""
    assert sdist_project(f"Remote_Widget-1.0{suffix}") == "Remote_Widget"
    assert sdist_project(f"remote_widget-1.0{suffix.upper()}") == "remote_widget"
    assert is_sdist(f"https://host/packages/remote_widget-1.0{suffix}")


def test_the_suffixes_are_pips() -> None:
    """pip's own list, from the pip the tests run with."""
    filetypes = pytest.importorskip("pip._internal.utils.filetypes")
    pips = {suffix for suffix in filetypes.ARCHIVE_EXTENSIONS if suffix != ".whl"}
    assert set(SDIST_SUFFIXES) == pips


@pytest.mark.parametrize(
    ("filename", "project"),
    [
        ("https://host/packages/foo_bar-2.0.tar.xz", "foo_bar"),
        ("https://host/packages/foo_bar-2.0.tar.gz#sha256=00ff", "foo_bar"),
        ("./wheels/remote_widget-1.0.tar.gz", "remote_widget"),
        ("foo.tar.gz", None),  # no version
        ("-1.0.tar.gz", None),  # no name
        ("foo-1.0.whl", None),  # a wheel
        ("foo-1.0.txt", None),
    ],
)
def test_sdist_project_of_paths_and_odd_names(filename: str, project: str | None) -> None:
    assert sdist_project(filename) == project


@pytest.mark.parametrize(
    "filename",
    [
        "remote_widget-1.0-py3-none-any.whl",
        "Flit_Core-3.9.0-py3-none-any.whl",
        "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "foo-1.0-1build-py3-none-any.whl",
    ],
)
def test_wheel_project_is_packagings(filename: str) -> None:
    project = wheel_project(f"https://host/{filename}")
    assert project is not None
    assert canonical_name(project) == parse_wheel_filename(filename)[0]


def test_wheel_project_of_other_names() -> None:
    assert wheel_project("foo-1.0.tar.gz") is None
    assert wheel_project("foo.whl") is None


def test_importing_names_imports_no_packaging() -> None:
    """The live reading imports this module on every install (tests/test_startup.py)."""
    code = (
        "import sys, safepip.names as n; n.canonical_name('A_b'); n.leading_name('x>=1'); "
        "n.sdist_project('x-1.tar.gz'); n.wheel_project('x-1-py3-none-any.whl'); "
        "print(any(m.startswith('packaging') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
