"""Import names the curated table does not list: which PyPI distribution provides them, if any.

Two sourced lists, bundled as plain text in ``safepip/data/`` and read only when a build has
failed on an import the curated table (``knowledge.PROVIDERS``) and the user's ``[mapping]`` do
not know (never on the pass-through or the building start-up path: tests/test_startup.py):

- ``pipreqs-mapping.txt``: pipreqs' module-to-distribution table (``yaml:PyYAML``,
  ``bs4:beautifulsoup4``), the one uv vendors for its hint;
- ``top-pypi-packages.txt``: the most-downloaded distributions on PyPI (hugovk/top-pypi-packages);
- ``stdlib-names.txt``: the standard library's top-level names, Python 3.9 to 3.13.

A name is answered only when the distribution it leads to is on the download list: a module
from pipreqs' table whose distribution is there, or else the distribution of the same name after
PEP 503 normalisation (``tqdm``, ``docopt``, ``sphinx_rtd_theme``). Never for a name outside the
list (an unknown name on PyPI may belong to anyone: dependency confusion), a standard-library
name of any Python 3 (a project's own ``queue.py`` lost in a Python 2 build is not ``future``), a
Python 2 or dropped standard-library name, a namespace shared by many distributions
(``google``), or a name projects commonly give their own modules (``utils``, ``config``: a
module missing from an sdist is not the PyPI project of that name). Sources and dates:
docs/table-sources.md, "Import names no table lists".
"""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

from safepip import knowledge
from safepip.names import canonical_name

_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
MAPPING_FILE = os.path.join(_DATA, "pipreqs-mapping.txt")
TOP_FILE = os.path.join(_DATA, "top-pypi-packages.txt")
STDLIB_FILE = os.path.join(_DATA, "stdlib-names.txt")

#: Where each list came from, for the explanation (the data files' headers say the same).
MAPPING_SOURCE = "pipreqs' module-to-distribution table (bndr/pipreqs, 2025-12-22)"
TOP_COUNT = 8000
TOP_SOURCE = "hugovk/top-pypi-packages, downloads of March 2026"

#: Top-level names many distributions share (namespace packages): the missing top says nothing
#: about which of them the build wanted (``google``: protobuf, google-cloud-*, google-auth...).
NAMESPACES = frozenset(
    {"google", "azure", "zope", "jaraco", "backports", "sphinxcontrib", "mpl_toolkits", "ruamel"}
)

#: Names on the download list that projects also give their own modules (web.py 0.37's
#: ``web/__init__.py`` does ``import utils, db, ...``, Python 2 relative imports; a setup.py may
#: import a ``config`` or ``tools`` module its sdist forgot): such a missing module is far more
#: often the project's own than the PyPI project of that name, so it is never answered.
GENERIC = frozenset(
    {
        "auth", "build", "common", "config", "data", "events", "fields", "httpserver", "image",
        "lib", "logger", "logging", "path", "schema", "shell", "storage", "tables", "tools",
        "utils", "validators", "vector", "colour", "version", "test", "tests", "src", "setup",
    }
)  # fmt: skip


class Found(NamedTuple):
    """A distribution for an import name, and where that came from (for the explanation)."""

    distribution: str
    source: str  # "mapping" or "identity"

    def why(self, module: str) -> str:
        """Where the name came from, in the words of the explanation."""
        if self.source == "mapping":
            return (
                f"{MAPPING_SOURCE} says {module!r} is provided by {self.distribution}, which is "
                f"among the {TOP_COUNT:,} most-downloaded distributions on PyPI ({TOP_SOURCE})"
            )
        return (
            f"{self.distribution} has the same name on PyPI and is among the {TOP_COUNT:,} "
            f"most-downloaded distributions there ({TOP_SOURCE})"
        )


class _Lists(NamedTuple):
    mapping: dict[str, str]  # module -> distribution, for modules with exactly one
    top: dict[str, str]  # canonical name -> the name as the download list spells it
    stdlib: frozenset[str]  # every Python 3.9 to 3.13 standard-library name, and this one's


_loaded: list[_Lists] = []


def _lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as file:
        return [line.strip() for line in file if line.strip() and not line.startswith("#")]


def _lists() -> _Lists:
    """Both lists, read once per process, on first use."""
    if not _loaded:
        top = {canonical_name(name): name for name in _lines(TOP_FILE)}
        pairs = [line.split(":", 1) for line in _lines(MAPPING_FILE) if ":" in line]
        seen: dict[str, set[str]] = {}
        for module, distribution in pairs:
            seen.setdefault(module.strip(), set()).add(distribution.strip())
        # A module pipreqs maps to several distributions (``models``) names none of them.
        mapping = {module: next(iter(d)) for module, d in seen.items() if len(d) == 1}
        stdlib = frozenset(_lines(STDLIB_FILE)) | getattr(sys, "stdlib_module_names", frozenset())
        _loaded.append(_Lists(mapping, top, stdlib))
    return _loaded[0]


def refused(module: str) -> bool:
    """Whether ``module`` (a top-level name) must never be answered from these lists."""
    return (
        module in knowledge.PYTHON2_MODULES
        or module in knowledge.REMOVED_STDLIB
        or module == "distutils"
        or module in _lists().stdlib
        or module in NAMESPACES
        or module.lower() in GENERIC
        or module.startswith("_")
    )


def lookup(module: str) -> Found | None:
    """The distribution on the download list that provides top-level ``module``, or None."""
    if not module or "." in module or refused(module):
        return None
    lists = _lists()
    mapped = lists.mapping.get(module)
    if mapped is not None:
        spelled = lists.top.get(canonical_name(mapped))
        # pipreqs' table is consulted first; its entry counts only for a listed distribution.
        return Found(spelled, "mapping") if spelled is not None else None
    spelled = lists.top.get(canonical_name(module))
    return Found(spelled, "identity") if spelled is not None else None


def on_the_list(distribution: str) -> bool:
    """Whether ``distribution`` (any spelling) is on the download list: the only names the
    lists ever answer (the fuzz tests hold every finding to the tables and this list)."""
    return canonical_name(distribution) in _lists().top
