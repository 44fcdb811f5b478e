"""The diagnosis: normalisation, the rules, real pip output (tests/logs/), `safepip diagnose`."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from safepip import knowledge
from safepip.commands import diagnose
from safepip.reading.diagnosis import Diagnosis, normalise
from safepip.reading.findings import BuildFailure
from safepip.reading.rules import RULES
from testing.piplogs import TRACEBACK, get_requires_failed

LOGS = Path(__file__).parent / "logs"
LOG_CASES = sorted(LOGS.glob("*.log"))
FIELDS = ("kind", "package", "source", "hook", "isolated", "module", "distribution", "requirement")


def read(
    text: str, *, args: list[str] | None = None, cwd: str = "/nonexistent"
) -> list[BuildFailure]:
    diagnosis = Diagnosis()
    if args is not None:
        diagnosis.set_context(args, cwd)
    for line in text.splitlines():
        diagnosis.feed_line("stderr", line)
    return diagnosis.failures()


# ------------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("\x1b[31mERROR: Exception:\x1b[0m", "ERROR: Exception:", id="ansi-colour"),
        pytest.param(
            "2024-05-01T12:34:56.1234567Z Processing ./proj", "Processing ./proj", id="github"
        ),
        pytest.param(
            "2024-05-01T12:34:56.123456Z 01E+ ERROR: Exception:", "ERROR: Exception:", id="gitlab"
        ),
        pytest.param("[2024-05-01T12:34:56.789Z] Collecting x", "Collecting x", id="jenkins"),
        pytest.param("2024-05-01 12:34:56,789 Collecting x", "Collecting x", id="iso-comma"),
        pytest.param("12:34:56 Collecting x", "Collecting x", id="clock"),
        pytest.param("Processing ./proj\r", "Processing ./proj", id="trailing-cr"),
        pytest.param("old text\rnew text", "new text", id="redrawn-line"),
        pytest.param(
            "  Installing build dependencies ... \x1b[?25l-\b \b\\\b \b|\b \bdone",
            "  Installing build dependencies ... done",
            id="spinner",
        ),
        pytest.param("2024 was a year", "2024 was a year", id="digits-not-a-timestamp"),
        pytest.param("[end of output]", "[end of output]", id="bracket-not-a-timestamp"),
    ],
)
def test_normalise(raw: str, clean: str) -> None:
    assert normalise(raw) == clean


def test_every_rule_documents_a_sample_line() -> None:
    for rule in RULES:
        assert rule.__doc__, type(rule).__name__
        assert "``" in rule.__doc__, type(rule).__name__
        assert rule.prefixes, type(rule).__name__
        assert all(len(prefix) >= 2 for prefix in rule.prefixes), type(rule).__name__


# ------------------------------------------------------------------------------- rules


PIP23_BACKEND = """\
Processing ./flit-missing
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'done'
ERROR: Exception:
Traceback (most recent call last):
  File "/v/pip/_vendor/pyproject_hooks/_impl.py", line 1, in get_requires_for_build_wheel
pip._vendor.pyproject_hooks._impl.BackendUnavailable: Traceback (most recent call last):
  File "/v/pip/_vendor/pyproject_hooks/_in_process.py", line 77, in _build_backend
ModuleNotFoundError: No module named 'flit_core'
"""


def test_backend_unavailable_from_the_traceback_clue() -> None:
    (failure,) = read(PIP23_BACKEND)
    assert failure.kind == "backend-unavailable"
    assert (failure.package, failure.source) == ("./flit-missing", "local")
    assert failure.hook == "get_requires_for_build_wheel"
    assert failure.isolated is True
    assert (failure.module, failure.distribution, failure.requirement) == (
        "flit_core",
        "flit_core",
        "flit_core>=3.2",
    )
    assert failure.evidence == "ModuleNotFoundError: No module named 'flit_core'"


def test_the_same_log_with_ci_timestamps_and_colour() -> None:
    stamped = "\n".join(
        f"2024-05-01T12:34:56.{index:07d}Z \x1b[31m{line}\x1b[0m"
        for index, line in enumerate(PIP23_BACKEND.splitlines())
    )
    assert [f.to_json() for f in read(stamped)] == [f.to_json() for f in read(PIP23_BACKEND)]


def test_pip25_names_the_backend() -> None:
    text = PIP23_BACKEND.replace(
        "BackendUnavailable: Traceback (most recent call last):",
        "BackendUnavailable: Cannot import 'poetry.core.masonry.api'",
    ).replace("'flit_core'", "'poetry'")
    (failure,) = read(text)
    assert failure.backend == "poetry.core.masonry.api"
    assert (failure.module, failure.distribution, failure.requirement) == (
        "poetry.core",
        "poetry-core",
        "poetry-core>=1.0.0",
    )


def test_backend_path_wrong_names_no_distribution() -> None:
    text = PIP23_BACKEND.replace(
        "BackendUnavailable: Traceback (most recent call last):",
        "BackendUnavailable: Cannot find module 'backend' in ['/p/_build']",
    ).replace("'flit_core'", "'backend'")
    (failure,) = read(text)
    assert failure.kind == "backend-unavailable"
    assert failure.module == "backend"
    assert failure.distribution is None
    assert failure.requirement is None


def test_backend_typo_suggests_the_real_backend() -> None:
    (failure,) = read(PIP23_BACKEND.replace("'flit_core'", "'flit_core.build_api'"))
    assert failure.module == "flit_core.build_api"
    assert failure.distribution is None
    assert failure.suggestion == "flit_core.buildapi"


PIP26_BACKEND = """\
Processing ./flit-missing
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'error'
  error: backend-unavailable

  × Cannot import build backend 'flit_core.buildapi'.
  ╰─> ModuleNotFoundError: No module named 'flit_core'

  note: This is likely not a problem with pip.
ERROR: Failed to build './flit-missing' when calling build backend hook get_requires_for_build_wheel
"""


def test_pip26_backend_block() -> None:
    (failure,) = read(PIP26_BACKEND)
    assert failure.kind == "backend-unavailable"
    assert failure.backend == "flit_core.buildapi"
    assert failure.hook == "get_requires_for_build_wheel"
    assert failure.requirement == "flit_core>=3.2"
    assert failure.evidence == "× Cannot import build backend 'flit_core.buildapi'."


def test_ascii_console_without_glyphs() -> None:
    text = PIP26_BACKEND.replace("× ", "").replace("╰─> ", "")
    (failure,) = read(text)
    assert failure.backend == "flit_core.buildapi"


BLOCK = get_requires_failed(
    "Processing ./numpy-setup",
    [TRACEBACK, '        File "<string>", line 1, in <module>', "      {clue}"],
    "error: subprocess-exited-with-error",
)


@pytest.mark.parametrize(
    ("clue", "module", "distribution", "requirement"),
    [
        ("ModuleNotFoundError: No module named 'numpy'", "numpy", "numpy", "numpy"),
        ("ModuleNotFoundError: No module named 'Cython'", "Cython", "Cython", "Cython>=0.29"),
        ("ImportError: No module named Cython.Build", "Cython.Build", "Cython", None),
        ("ModuleNotFoundError: No module named 'yaml'", "yaml", "PyYAML", "PyYAML"),
        ("ModuleNotFoundError: No module named 'lxml'", "lxml", "lxml", "lxml"),
        (
            "ModuleNotFoundError: No module named 'pkg_resources'",
            "pkg_resources",
            "setuptools",
            "setuptools<82",
        ),
        (
            "ModuleNotFoundError: No module named 'distutils'",
            "distutils",
            "setuptools",
            "setuptools",
        ),
        ("error: invalid command 'bdist_wheel'", None, "wheel", "wheel"),
        (
            "pkg_resources.DistributionNotFound: The 'setuptools_scm' distribution was not found",
            None,
            "setuptools_scm",
            "setuptools_scm>=6.2",  # the curated table's bound: only the name is the log's
        ),
    ],
)
def test_build_dependency_missing(
    clue: str, module: str | None, distribution: str | None, requirement: str | None
) -> None:
    (failure,) = read(BLOCK.format(clue=clue))
    assert failure.kind == "build-dependency-missing"
    assert (failure.module, failure.distribution, failure.requirement) == (
        module,
        distribution,
        requirement,
    )
    assert failure.hook == "get_requires_for_build_wheel"
    assert failure.isolated is True


def test_unknown_module_gets_no_guessed_distribution() -> None:
    (failure,) = read(BLOCK.format(clue="ModuleNotFoundError: No module named 'reqeusts'"))
    assert failure.kind == "unidentified-import"
    assert failure.distribution is None
    assert failure.requirement is None
    assert "does not know which distribution" in failure.explanation


@pytest.mark.parametrize(
    ("clue", "module", "words"),
    [
        pytest.param(
            "ModuleNotFoundError: No module named 'ConfigParser'",
            "ConfigParser",
            "Python 2",
            id="python2-configparser",
        ),
        pytest.param(
            "ImportError: No module named urllib2", "urllib2", "Python 2", id="python2-urllib2"
        ),
        pytest.param(
            "ModuleNotFoundError: No module named 'imp'", "imp", "Python 3.12 removed", id="imp"
        ),
        pytest.param(
            "ModuleNotFoundError: No module named 'numpy.distutils'",
            "numpy.distutils",
            "dropped",
            id="dropped-submodule",
        ),
        pytest.param(
            "ModuleNotFoundError: No module named 'frobnicate'",
            "frobnicate",
            "does not know which distribution",
            id="unknown",
        ),
    ],
)
def test_imports_no_build_requirement_provides(clue: str, module: str, words: str) -> None:
    """Explained, never a build dependency: no distribution, no requirement, hence no fix."""
    (failure,) = read(BLOCK.format(clue=clue))
    assert failure.kind == "unidentified-import"
    assert (failure.module, failure.distribution, failure.requirement) == (module, None, None)
    assert words in failure.explanation


def test_a_submodule_setuptools_dropped_from_its_distutils_is_no_missing_setuptools() -> None:
    # POT 0.8.2 with setuptools 74 (pypa/setuptools#4612): numpy.distutils, in the build
    # environment, imports distutils.msvccompiler; distutils is there (setuptools'), the
    # submodule is not. Adding setuptools would change nothing: no fix.
    frame = (
        '        File "/tmp/pip-build-env-0kfp4m0w/overlay/lib/python3.11/site-packages/numpy/'
        'distutils/mingw32ccompiler.py", line 28, in <module>\n'
        "          from distutils.msvccompiler import get_build_version as get_build_msvc_version\n"
        "      ModuleNotFoundError: No module named 'distutils.msvccompiler'"
    )
    (failure,) = read(BLOCK.format(clue=frame))
    assert (failure.kind, failure.module, failure.distribution, failure.requirement) == (
        "unidentified-import",
        "distutils.msvccompiler",
        None,
        None,
    )
    assert "not in the build environment" not in failure.explanation
    assert "the build environment has distutils (setuptools provides it)" in failure.explanation


def test_pkg_resources_is_not_said_to_lack_setuptools() -> None:
    # The build environment has setuptools 84, without pkg_resources: the words must not say
    # setuptools is missing, nor re-case the module's name.
    (failure,) = read(BLOCK.format(clue="ModuleNotFoundError: No module named 'pkg_resources'"))
    assert failure.requirement == "setuptools<82"
    assert "not in the build environment" not in failure.explanation
    assert "Pkg_resources" not in failure.explanation
    assert "setuptools 82 removed it" in failure.explanation
    assert "With setuptools<82 the build gets a release that still has it." in failure.explanation


def test_own_words_of_a_setup_py_name_each_distribution() -> None:
    failures = read(BLOCK.format(clue="Cython>=0.22 and NumPy are required."))
    assert [(f.kind, f.distribution, f.requirement) for f in failures] == [
        ("build-dependency-missing", "Cython", "Cython>=0.29"),
        ("build-dependency-missing", "numpy", "numpy"),
    ]


def test_own_words_for_pkg_resources_name_the_cap() -> None:
    (failure,) = read(BLOCK.format(clue="Failed to import the 'pkg_resources' Python module."))
    assert (failure.module, failure.requirement) == ("pkg_resources", "setuptools<82")


def test_a_bare_import_from_the_packages_own_file_is_explained() -> None:
    # web.py 0.37 (pip 26.3 on Python 3.13): web/__init__.py line 14 is
    # "import utils, db, net, ...", a Python 2 implicit relative import.
    frame = (
        '        File "/tmp/pip-install-7qljoggo/web-py_a8174113041d4d62abf41035e4875998/'
        'web/__init__.py", line 14, in <module>\n'
        "          import utils, db, net, wsgi, http, webapi, httpserver, debugerror\n"
        "      ModuleNotFoundError: No module named 'utils'"
    )
    (failure,) = read(BLOCK.format(clue=frame))
    assert (failure.kind, failure.module, failure.distribution) == (
        "unidentified-import",
        "utils",
        None,
    )
    assert "from web/__init__.py" in failure.explanation
    assert "own submodule (web.utils)" in failure.explanation
    assert "Python 2 implicit relative import" in failure.explanation


@pytest.mark.parametrize(
    ("words", "modules"),
    [
        # colubridae 0.0.1's setup.py: print(...) then sys.exit(1)
        ("numpy is required during installation", ["numpy"]),
        # vlfeat-ctypes 0.1.0's setup.py: raise ImportError(...)
        ("ImportError: py-sdm requires numpy to be installed", ["numpy"]),
        # dmoj 2.1.0's setup.py, printed to stderr before sys.exit(1)
        ("You need to install cython first before installing DMOJ.", ["Cython"]),
        # lap 0.4.0: pip's own command in the sentence names pip only as the tool
        ('ImportError: lap requires numpy, please "pip install numpy".', ["numpy"]),
        ("Cython>=0.22 and NumPy are required.", ["Cython", "numpy"]),
        ("Could not import Cython.Distutils. Install `cython` and rerun.", ["Cython"]),
        ("ImportError: NumPy does not seem to be installed.", ["numpy"]),
        ("You don't seem to have Cython installed.", ["Cython"]),
        ("ERROR: pybind11 must be installed first", ["pybind11"]),
    ],
)
def test_a_build_scripts_own_words_name_what_it_lacks(words: str, modules: list[str]) -> None:
    """One class rule: a curated name with an installation phrase, the build's last words."""
    failures = read(BLOCK.format(clue=words))
    assert [(f.kind, f.module) for f in failures] == [
        ("build-dependency-missing", module) for module in modules
    ]
    assert f'The build said "{words}"' in failures[0].explanation


@pytest.mark.parametrize(
    "words",
    [
        # line_profiler 2.1.2: an optional accelerator, with a way on
        "Could not import Cython. Using the available pre-generated C file.",
        # cytoolz 0.9.0.1
        "WARNING: Cython not installed.  Building without Cython.",
        # dtaidistance 1.2.3
        "WARNING: Numpy was not found, preparing a pure Python version.",
        # a version problem, not a missing distribution
        "This package requires setuptools<58",
        # Python's own words for a missing name, and a library's exception
        "ImportError: cannot import name 'convert_path' from 'setuptools' (/tmp/setuptools.py)",
        "pkg_resources.DistributionNotFound: The 'setuptools_scm' distribution was not found",
        # a hint that names no missing piece
        "'pkg_resources' is part of the Python 'setuptools' package.",
        "Or if you do not have pip: easy_install cython",
        # no curated name
        "Please install python3-usb.",
    ],
)
def test_words_that_are_no_missing_build_requirement(words: str) -> None:
    assert [f.module for f in read(BLOCK.format(clue=words))] in ([], [None], ["setuptools_scm"])
    assert all(f.module != "pkg_resources" for f in read(BLOCK.format(clue=words)))


@pytest.mark.parametrize(
    "then",
    [
        "running build_ext",
        "building 'cytoolz.itertoolz' extension",
        "gcc -fno-strict-overflow -Wsign-compare -c cytoolz/itertoolz.c -o build/x.o",
        # line_profiler 2.1.2 (pip 26.3 on Python 3.13): the compiler, then setuptools' words
        (
            "_line_profiler.c:152:12: fatal error: longintrepr.h: No such file or directory\n"
            "      error: Command '['gcc', '-c', 'x.c']' returned non-zero exit status 1."
        ),
        "Traceback (most recent call last):",
    ],
)
def test_own_words_the_build_went_on_past_are_not_what_stopped_it(then: str) -> None:
    words = "numpy is required during installation"
    assert read(BLOCK.format(clue=f"{words}\n      {then}")) == []
    # The same words as the build's last: a finding.
    assert [f.module for f in read(BLOCK.format(clue=f"{then}\n      {words}"))] == ["numpy"]


def test_own_words_outside_a_failed_builds_output_are_not_read() -> None:
    log = BLOCK.replace("      {clue}\n", "").replace(
        "Processing ./numpy-setup\n", "Processing ./numpy-setup\nnumpy is required\n"
    )
    assert read(log) == []


@pytest.mark.parametrize(
    ("words", "module", "distribution"),
    [
        # py_entitymatching 0.4.0's setup.py: raise ImportError('pip is not installed.')
        pytest.param("ImportError: pip is not installed.", "pip", "pip", id="pip"),
        # toprammer 0.19 once setuptools<82 is in: its libtoprammer says this for usb.core.
        pytest.param("Python USB (PyUSB) support module not found.", "usb", "pyusb", id="pyusb"),
    ],
)
def test_own_words_name_the_distribution(words: str, module: str, distribution: str) -> None:
    (failure,) = read(BLOCK.format(clue=words))
    assert (failure.kind, failure.module, failure.distribution, failure.requirement) == (
        "build-dependency-missing",
        module,
        distribution,
        distribution,
    )


def test_setup_requires_command_names_the_requirement() -> None:
    line = (
        "distutils.errors.DistutilsError: Command '['/tmp/pip-build-env-x/bin/python', '-m', "
        "'pip', '--disable-pip-version-check', 'wheel', '--no-deps', '-w', '/tmp/tmpq', "
        "'--quiet', 'cython>=0.27.3']' returned non-zero exit status 1."
    )
    (failure,) = read(BLOCK.format(clue=line))
    assert (failure.kind, failure.distribution, failure.requirement) == (
        "build-dependency-missing",
        "cython",
        "Cython>=0.29",  # the curated table's requirement, not the log's bound (issue 18)
    )


def test_setup_py_importing_pip_names_pip() -> None:
    (failure,) = read(BLOCK.format(clue="ModuleNotFoundError: No module named 'pip'"))
    assert (failure.distribution, failure.requirement) == ("pip", "pip")


@pytest.mark.parametrize(
    "clue",
    [
        pytest.param("RuntimeError: this project refuses to build", id="setup-raises"),
        pytest.param("src/x.c:2:10: fatal error: foo.h: No such file or directory", id="header"),
        pytest.param("ImportError: cannot import name 'x' from 'y'", id="import-name"),
    ],
)
def test_other_failures_stay_silent(clue: str) -> None:
    assert read(BLOCK.format(clue=clue)) == []


def test_an_import_error_followed_by_a_compiler_failure_is_not_ours() -> None:
    clue = (
        "ModuleNotFoundError: No module named 'Cython'\n"
        "      error: command '/usr/bin/gcc' failed with exit code 1"
    )
    assert read(BLOCK.format(clue=clue)) == []


def test_a_step_that_succeeded_yields_nothing() -> None:
    text = """\
Processing ./p
  Getting requirements to build wheel: started
  Running command Getting requirements to build wheel
  ModuleNotFoundError: No module named 'numpy'
  Getting requirements to build wheel: finished with status 'done'
Successfully installed p-1.0
"""
    assert read(text) == []


def test_pips_own_crash_is_not_a_build_failure() -> None:
    text = """\
ERROR: Exception:
Traceback (most recent call last):
  File "/v/pip/_internal/cli/base_command.py", line 1, in exc_logging_wrapper
ModuleNotFoundError: No module named 'pip._vendor.rich'
"""
    assert read(text) == []


def test_runtime_dependency_not_found_is_silent() -> None:
    text = """\
Processing ./runtime-dep
  Preparing metadata (pyproject.toml): finished with status 'done'
ERROR: Could not find a version that satisfies the requirement nope>=1 (from versions: none)
ERROR: No matching distribution found for nope>=1
"""
    assert read(text) == []


BUILD_DEPS = """\
Processing ./buildreq
  Installing build dependencies: started
  Installing build dependencies: finished with status 'error'
  error: subprocess-exited-with-error

  × pip subprocess to install build dependencies did not run successfully.
  │ exit code: 1
  ╰─> [3 lines of output]
{network}      ERROR: Could not find a version that satisfies the requirement nope>=2
      ERROR: No matching distribution found for nope>=2
      [end of output]
"""


def test_build_requirement_unavailable() -> None:
    (failure,) = read(BUILD_DEPS.format(network=""))
    assert failure.kind == "build-requirement-unavailable"
    assert failure.requirement == "nope>=2"
    assert failure.hook is None
    assert failure.package == "./buildreq"


#: pip 26.3 on Python 3.13, pyEDFlib 0.1.22 (tests/corpus/pip26.3-py3.13-pypi-pyedflib-*): the
#: build requirement numpy<=1.19.3 has no wheel for 3.13, and the nested build of its sdist
#: prints its own steps and backend failure inside the build-dependency output.
NESTED_BACKEND_FAILURE = """\
Collecting pyEDFlib==0.1.22
  Downloading pyEDFlib-0.1.22.tar.gz (1.3 MB)
  Installing build dependencies: started
  Installing build dependencies: finished with status 'error'
  error: subprocess-exited-with-error

  × installing build dependencies for pyEDFlib did not run successfully.
  │ exit code: 1
  ╰─> [19 lines of output]
      Collecting setuptools
        Downloading setuptools-84.2.1-py3-none-any.whl (876 kB)
      Collecting numpy<=1.19.3
        Downloading numpy-1.19.3.zip (7.3 MB)
        Installing build dependencies: started
        Installing build dependencies: finished with status 'done'
        Getting requirements to build wheel: started
        Getting requirements to build wheel: finished with status 'done'
        error: backend-unavailable

        × Cannot import build backend 'setuptools.build_meta:__legacy__'.
        ╰─> ModuleNotFoundError: No module named 'distutils'

        note: This is likely not a problem with pip.
      ERROR: Failed to build 'numpy' when calling build backend hook get_requires_for_build_wheel
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
ERROR: Failed to build 'pyEDFlib' when installing build dependencies for pyedflib
"""


def test_a_nested_build_belongs_to_the_build_requirement() -> None:
    """Its backend, its import error and its hook are numpy's, not pyEDFlib's."""
    (failure,) = read(NESTED_BACKEND_FAILURE, args=["install", "pyEDFlib==0.1.22"])
    assert (failure.kind, failure.package, failure.distribution, failure.requirement) == (
        "build-requirement-unavailable",
        "pyEDFlib",
        "numpy",
        "numpy<=1.19.3",
    )
    assert (failure.module, failure.backend, failure.hook) == (None, None, None)


def test_network_trouble_is_not_a_missing_requirement() -> None:
    network = (
        "      WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, "
        "status=None)) after connection broken by 'NewConnectionError()': /simple/nope/\n"
    )
    assert read(BUILD_DEPS.format(network=network)) == []


def test_requirements_file_attributes_the_package_being_built() -> None:
    text = """\
Processing ./sound
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'done'
  Preparing metadata (pyproject.toml): started
  Preparing metadata (pyproject.toml): finished with status 'done'
Collecting Cython-thing==1.0
  Downloading cython_thing-1.0.tar.gz (10 kB)
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'done'
  Preparing metadata (pyproject.toml): started
  Preparing metadata (pyproject.toml): finished with status 'done'
Building wheels for collected packages: sound, Cython-thing
  Building wheel for sound (pyproject.toml): started
  Building wheel for sound (pyproject.toml): finished with status 'done'
  Building wheel for Cython-thing (pyproject.toml): started
  Building wheel for Cython-thing (pyproject.toml): finished with status 'error'
  error: subprocess-exited-with-error

  × Building wheel for Cython-thing (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> [1 lines of output]
      ModuleNotFoundError: No module named 'numpy'
      [end of output]
  ERROR: Failed building wheel for Cython-thing
Failed to build Cython-thing
"""
    (failure,) = read(text)
    assert (failure.package, failure.source) == ("Cython-thing", "index")
    assert failure.hook == "build_wheel"
    assert failure.module == "numpy"


def test_verbose_build_dependency_output_does_not_start_a_package() -> None:
    text = """\
Processing ./flit-missing
  Installing build dependencies: started
  Running command pip subprocess to install build dependencies
  Collecting setuptools
  Installing build dependencies: finished with status 'done'
""" + PIP23_BACKEND.split("\n", 3)[3]
    (failure,) = read(text)
    assert failure.package == "./flit-missing"


def test_quiet_log_is_attributed_from_the_command_line(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "flit_core.buildapi"\n'
    )
    quiet = PIP23_BACKEND.split("ERROR: Exception:", 1)[1]
    (failure,) = read(
        "ERROR: Exception:" + quiet, args=["install", "-q", "./proj"], cwd=str(tmp_path)
    )
    assert (failure.package, failure.source, failure.isolated) == ("./proj", "local", True)
    assert failure.pyproject == str(project / "pyproject.toml")
    assert failure.backend == "flit_core.buildapi"


def test_no_build_isolation_from_the_command_line() -> None:
    quiet = "ERROR: Exception:" + PIP23_BACKEND.split("ERROR: Exception:", 1)[1]
    (failure,) = read(quiet, args=["install", "--no-build-isolation", "-q", "./p"])
    assert failure.isolated is False


def test_the_projects_own_module_is_not_a_missing_distribution(tmp_path: Path) -> None:
    (tmp_path / "own" / "src" / "ownmod").mkdir(parents=True)
    text = BLOCK.replace("./numpy-setup", "./own").format(
        clue="ModuleNotFoundError: No module named 'ownmod'"
    )
    assert read(text, args=["install", "./own"], cwd=str(tmp_path)) == []


def test_memory_stays_bounded_over_many_packages() -> None:
    diagnosis = Diagnosis()
    for index in range(30_000):
        diagnosis.feed_line("stdout", f"Collecting pkg{index}")
    assert len(diagnosis._recorder._packages) <= 10_001


def test_failures_can_be_asked_for_while_reading() -> None:
    diagnosis = Diagnosis()
    lines = PIP23_BACKEND.splitlines()
    for line in lines:
        diagnosis.feed_line("stderr", line)
    assert len(diagnosis.failures()) == 1
    diagnosis.feed_line("stderr", "Collecting another")
    assert len(diagnosis.failures()) == 1


# ------------------------------------------------------------------------------- knowledge


def test_knowledge_tables() -> None:
    assert knowledge.backend("setuptools.build_meta:__legacy__") is not None
    pkg_resources = knowledge.provider("pkg_resources")
    assert pkg_resources is not None
    assert pkg_resources.requirement == "setuptools<82"
    cython = knowledge.provider("Cython.Build")
    assert cython is not None
    assert cython.distribution == "Cython"
    assert knowledge.provider("reqeusts") is None
    assert knowledge.closest_backend("setuptools.build_mata") == "setuptools.build_meta"
    assert knowledge.closest_backend("something.else.entirely") is None
    for entry in knowledge.PROVIDERS.values():
        assert entry.distribution != "pkg_resources"


# ------------------------------------------------------------------------------- real pip output


def _expected(log: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(log.with_suffix(".json").read_text())
    return data


@pytest.mark.parametrize("log", LOG_CASES, ids=[path.stem for path in LOG_CASES])
def test_real_pip_output(log: Path) -> None:
    expected = _expected(log)["expected"]["failures"]
    found = diagnose.diagnose_stream(io.BytesIO(log.read_bytes())).failures()
    got = [{field: failure.to_json()[field] for field in FIELDS} for failure in found]
    want = [{field: failure.get(field) for field in FIELDS} for failure in expected]
    assert got == want


# ------------------------------------------------------------------------------- safepip diagnose


def test_diagnose_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "pip.log"
    log.write_bytes(PIP26_BACKEND.replace("\n", "\r\n").encode() + b"\xff\xfe broken bytes\r\n")
    assert diagnose.run([str(log), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    (failure,) = data["failures"]
    for field in (*FIELDS, "pyproject", "backend", "explanation", "evidence"):
        assert field in failure
    assert failure["requirement"] == "flit_core>=3.2"


def test_diagnose_human(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "flit-missing"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nbuild-backend = "flit_core.buildapi"\n'
    )
    log = tmp_path / "pip.log"
    log.write_text(PIP23_BACKEND)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        assert diagnose.run([str(log)]) == 1
    out = capsys.readouterr().out
    assert '"flit_core>=3.2"' in out
    assert str(project / "pyproject.toml") in out


def test_diagnose_clean_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "pip.log"
    log.write_text("Collecting x\nSuccessfully installed x-1.0\n")
    assert diagnose.run([str(log), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"failures": []}


def test_diagnose_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert diagnose.run([str(tmp_path / "missing.log")]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "cannot read" in captured.err
    assert diagnose.run([str(tmp_path)]) == 2  # a directory


def test_diagnose_stdin() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "safepip", "diagnose", "-", "--json"],
        input=PIP26_BACKEND.encode(),
        capture_output=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert json.loads(result.stdout)["failures"][0]["kind"] == "backend-unavailable"


def test_render_human_for_each_kind() -> None:
    failures = [
        BuildFailure(kind="backend-unavailable", package="./p", source="local", requirement="x>=1"),
        BuildFailure(
            kind="build-dependency-missing",
            package="n",
            source="index",
            module="numpy",
            requirement="numpy",
        ),
        BuildFailure(kind="build-requirement-unavailable", requirement="nope>=2"),
    ]
    text = diagnose.render_human(failures)
    assert '"x>=1"' in text
    assert "--no-build-isolation" in text
    assert "nope>=2" in text


@pytest.mark.slow  # a safepip process
def test_diagnose_through_the_safepip_command(tmp_path: Path) -> None:
    from testing.environ import clean_environ, safepip_argv

    log = tmp_path / "ci.log"
    stamped = "".join(
        f"2024-05-01T12:34:56.1234567Z {line}\n" for line in PIP26_BACKEND.splitlines()
    )
    log.write_text(stamped)
    result = subprocess.run(
        safepip_argv("diagnose", str(log), "--json"),
        capture_output=True,
        env=clean_environ(),
        check=False,
    )
    assert result.returncode == 1
    [failure] = json.loads(result.stdout)["failures"]
    assert (failure["kind"], failure["distribution"]) == ("backend-unavailable", "flit_core")
    missing = subprocess.run(
        safepip_argv("diagnose", str(tmp_path / "absent.log")),
        capture_output=True,
        text=True,
        env=clean_environ(),
        check=False,
    )
    assert missing.returncode == 2
    assert len(missing.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 8, id="bytes"),
        pytest.param(gzip.compress(PIP26_BACKEND.encode()), id="gzipped-log"),
    ],
)
def test_diagnose_names_a_binary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    """Not "no build failure": the file is not a pip log at all, in one line, status 2."""
    binary = tmp_path / "pip.log"
    binary.write_bytes(content)
    assert diagnose.run([str(binary)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"safepip diagnose: {binary} is not a pip log: it is a binary file, not text\n"
    )


def test_diagnose_reads_utf16_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Windows PowerShell 5's `pip install x > pip.log` writes UTF-16: text, not binary."""
    log = tmp_path / "pip.log"
    log.write_text(PIP26_BACKEND.replace("\n", "\r\n"), encoding="utf-16")
    assert log.read_bytes()[:2] in {b"\xff\xfe", b"\xfe\xff"}
    with log.open("rb") as handle:
        [failure] = diagnose.diagnose_stream(handle).failures()
    assert failure.requirement == "flit_core>=3.2"


@pytest.mark.skipif(sys.platform == "win32", reason="ptys are POSIX")
def test_diagnose_without_a_log_on_a_terminal_prints_its_usage() -> None:
    """Standard input a terminal and no log named: the usage and status 2, not a silent wait
    for a log to be typed (if it waited, the run would end in its timeout, and fail)."""
    from testing.environ import clean_environ, safepip_argv

    leader, terminal = os.openpty()
    try:
        result = subprocess.run(
            safepip_argv("diagnose"),
            stdin=terminal,
            capture_output=True,
            text=True,
            env=clean_environ(),
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(leader)
    assert result.returncode == 2
    assert result.stdout == ""
    usage, line = result.stderr.splitlines()
    assert usage.startswith("usage: safepip diagnose")
    assert (
        line == "safepip diagnose: name a log file, - to read one typed or pasted here, or --last"
    )
    # Piped, the same command reads standard input.
    piped = subprocess.run(
        safepip_argv("diagnose", "--json"),
        input=PIP26_BACKEND,
        capture_output=True,
        text=True,
        env=clean_environ(),
        check=False,
    )
    assert piped.returncode == 1, piped.stderr
    assert json.loads(piped.stdout)["failures"][0]["kind"] == "backend-unavailable"
