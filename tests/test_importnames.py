"""Import names no curated table lists: pipreqs' table and the most-downloaded names (in-process).

The lists are data files in ``safepip/data/``; what they answer, and above all what they refuse
(dependency confusion, the standard library, Python 2 and dropped names, a project's own
module), is checked here, and how a failed build's import is judged with them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from safepip import importnames
from safepip.knowledge import Provider
from safepip.names import canonical_name
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BuildFailure
from testing.piplogs import TRACEBACK, get_requires_failed

# The output of a failed "Getting requirements to build wheel" (pip 26.3, Python 3.13), with
# the lines of the build's own output in {clue}.
BLOCK = get_requires_failed(
    "Collecting demo==1.0\n  Downloading demo-1.0.tar.gz (5.8 kB)",
    [
        TRACEBACK,
        '        File "/tmp/pip-install-abc/demo_0123/setup.py", line 3, in <module>',
        "{clue}",
    ],
    "ERROR: Failed to build 'demo' when getting requirements to build wheel",
    count=12,
)


def read(clue: str, providers: dict[str, Provider] | None = None) -> BuildFailure:
    diagnosis = Diagnosis(providers=providers or {})
    for line in BLOCK.format(clue=clue).splitlines():
        diagnosis.feed_line("stderr", line)
    (failure,) = diagnosis.failures()
    return failure


def missing(module: str) -> str:
    return f"      ModuleNotFoundError: No module named '{module}'"


# --------------------------------------------------------------------------- the lookup


@pytest.mark.parametrize(
    ("module", "distribution", "source"),
    [
        pytest.param("tqdm", "tqdm", "identity", id="tqdm"),
        pytest.param("docopt", "docopt", "identity", id="docopt"),
        pytest.param("sphinx_rtd_theme", "sphinx-rtd-theme", "identity", id="normalised"),
        pytest.param("pypandoc", "pypandoc", "identity", id="pypandoc"),
        pytest.param("bs4", "beautifulsoup4", "mapping", id="pipreqs-bs4"),
        pytest.param("dateutil", "python-dateutil", "mapping", id="pipreqs-dateutil"),
        pytest.param("zmq", "pyzmq", "mapping", id="pipreqs-zmq"),
    ],
)
def test_names_the_lists_answer(module: str, distribution: str, source: str) -> None:
    found = importnames.lookup(module)
    assert found is not None
    assert (found.distribution, found.source) == (distribution, source)


@pytest.mark.parametrize(
    "module",
    [
        # outside the download list: a name on PyPI may belong to anyone
        pytest.param("reqeusts", id="typo-outside-the-list"),
        pytest.param("frobnicate", id="unknown"),
        # pipreqs maps it, but to a distribution outside the list (version:chartio, and
        # MySQLdb:MySQL-python), or to several (models)
        pytest.param("version", id="pipreqs-generic-to-an-obscure-project"),
        pytest.param("MySQLdb", id="pipreqs-distribution-not-on-the-list"),
        pytest.param("models", id="pipreqs-ambiguous"),
        # the standard library of any Python 3: pipreqs maps queue:future, configparser:...
        pytest.param("queue", id="stdlib-queue"),
        pytest.param("configparser", id="stdlib-configparser"),
        pytest.param("tomllib", id="stdlib-3.11"),
        pytest.param("parser", id="stdlib-3.9-only"),
        # Python 2 and dropped names
        pytest.param("ConfigParser", id="python2"),
        pytest.param("urllib2", id="python2-urllib2"),
        pytest.param("imp", id="dropped-3.12"),
        pytest.param("asynchat", id="dropped-asynchat"),
        pytest.param("telnetlib", id="dropped-3.13"),
        pytest.param("distutils", id="distutils"),
        # a namespace many distributions share; names projects give their own modules
        pytest.param("google", id="namespace"),
        pytest.param("utils", id="generic-utils"),
        pytest.param("config", id="generic-config"),
        pytest.param("_speedups", id="private"),
        pytest.param("tqdm.auto", id="dotted"),
        pytest.param("", id="empty"),
    ],
)
def test_names_the_lists_refuse(module: str) -> None:
    assert importnames.lookup(module) is None


def test_the_stdlib_list_covers_this_python() -> None:
    # sys.stdlib_module_names exists from 3.10; on 3.9 the bundled list stands alone
    names = getattr(sys, "stdlib_module_names", frozenset({"asyncio", "json", "formatter"}))
    assert all(importnames.refused(name) for name in names)


@pytest.mark.parametrize(
    "path", [importnames.MAPPING_FILE, importnames.TOP_FILE, importnames.STDLIB_FILE]
)
def test_data_files_are_sorted_plain_text_with_their_source(path: str) -> None:
    text = Path(path).read_text(encoding="utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert "Source" in header[1] or "Source" in header[0]
    assert body == sorted(body, key=str.lower) or body == sorted(body)
    assert all(line and line == line.strip() for line in body)
    assert len(body) == len(set(body))


def test_the_download_list_holds_the_cut_it_claims() -> None:
    names = [
        line
        for line in Path(importnames.TOP_FILE).read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert len(names) == importnames.TOP_COUNT
    assert {canonical_name(name) for name in names} >= {"tqdm", "docopt", "sphinx-rtd-theme"}


def test_the_pipreqs_table_is_whole() -> None:
    lines = [
        line
        for line in Path(importnames.MAPPING_FILE).read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    assert len(lines) > 1100
    assert all(line.count(":") == 1 for line in lines)


# --------------------------------------------------------------------------- the judging


def test_a_name_on_the_download_list_is_a_build_dependency() -> None:
    failure = read(missing("tqdm"))
    assert (failure.kind, failure.module, failure.distribution, failure.requirement) == (
        "build-dependency-missing",
        "tqdm",
        "tqdm",
        "tqdm",
    )
    # the explanation says where the name came from
    assert "same name on PyPI" in failure.explanation
    assert "8,000 most-downloaded" in failure.explanation
    assert "hugovk/top-pypi-packages" in failure.explanation


def test_a_name_from_pipreqs_table_says_so() -> None:
    failure = read(missing("bs4"))
    assert (failure.kind, failure.distribution, failure.requirement) == (
        "build-dependency-missing",
        "beautifulsoup4",
        "beautifulsoup4",
    )
    assert "pipreqs' module-to-distribution table" in failure.explanation


def test_the_curated_table_comes_first() -> None:
    failure = read(missing("yaml"))
    assert (failure.distribution, failure.requirement) == ("PyYAML", "PyYAML")
    assert "provided by PyYAML" in failure.explanation
    assert "pipreqs" not in failure.explanation


def test_the_users_mapping_comes_first() -> None:
    failure = read(missing("tqdm"), {"tqdm": Provider("tqdm-fork", "tqdm-fork>=1")})
    assert (failure.distribution, failure.requirement) == ("tqdm-fork", "tqdm-fork>=1")


def test_a_name_outside_the_list_stays_unidentified() -> None:
    failure = read(missing("reqeusts"))
    assert (failure.kind, failure.distribution, failure.requirement) == (
        "unidentified-import",
        None,
        None,
    )


def test_a_dropped_standard_library_name_stays_unidentified() -> None:
    failure = read(missing("asynchat"))
    assert (failure.kind, failure.distribution) == ("unidentified-import", None)
    assert "removed from the standard library" in failure.explanation


def test_an_import_the_build_caught_is_not_answered_from_the_lists() -> None:
    # em73xx 0.11 (pip 26.3 on Python 3.13): setup.py catches the ImportError of pypandoc and
    # then fails on its missing README.md.
    clue = "\n".join(
        [
            missing("pypandoc"),
            "",
            "      During handling of the above exception, another exception occurred:",
            "",
            "      Traceback (most recent call last):",
            '        File "<string>", line 10, in <module>',
            "      FileNotFoundError: [Errno 2] No such file or directory: 'README.md'",
        ]
    )
    failure = read(clue)
    assert (failure.kind, failure.module, failure.distribution) == (
        "unidentified-import",
        "pypandoc",
        None,
    )


def test_a_later_import_error_is_read_afresh() -> None:
    clue = "\n".join(
        [
            missing("pypandoc"),
            "      During handling of the above exception, another exception occurred:",
            "      Traceback (most recent call last):",
            missing("docopt"),
        ]
    )
    failure = read(clue)
    assert (failure.kind, failure.distribution) == ("build-dependency-missing", "docopt")


def test_a_generic_name_from_the_packages_own_file_stays_unidentified() -> None:
    # web.py 0.37: web/__init__.py's "import utils, db, ..." (utils is on the download list)
    clue = (
        '        File "/tmp/pip-install-7qljoggo/web-py_a81/web/__init__.py", line 14, in <module>'
        "\n"
        "          import utils, db, net\n" + missing("utils")
    )
    failure = read(clue)
    assert (failure.kind, failure.distribution) == ("unidentified-import", None)


def test_the_package_itself_is_not_its_own_build_dependency() -> None:
    # docopt 0.6.2's setup.py does "from docopt import __version__" (docopt/docopt#453): the
    # package's own module, although docopt is on the download list.
    diagnosis = Diagnosis()
    for line in BLOCK.format(clue=missing("docopt")).replace("demo", "docopt").splitlines():
        diagnosis.feed_line("stderr", line)
    assert [f.distribution for f in diagnosis.failures()] == []


def test_on_the_list_is_the_download_list_in_any_spelling() -> None:
    assert importnames.on_the_list("Sphinx_RTD_Theme")
    assert importnames.on_the_list("python_dateutil")
    assert not importnames.on_the_list("reqeusts")
