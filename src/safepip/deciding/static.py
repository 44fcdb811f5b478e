"""Static checks of a project's ``[build-system]``: what will break pip's build, before pip runs.

Nothing here runs pip, imports pip or touches the network: the checks read pyproject.toml (and
look for a few files next to it) and compare it with the curated tables in
:mod:`safepip.knowledge`. They are meant to be silent on a sound project: every finding names a
build that pip would fail (or one that would go wrong), and nothing is guessed from a name the
tables do not list.

The TOML is parsed with the same parser pip uses (``tomllib``, or ``tomli`` before Python 3.11;
tomlkit only when neither is there), so "invalid TOML" means what pip would say, too.

Finding kinds (``StaticFinding.kind``), documented for users in docs/doctor.md:

``no-build-system``          no ``[build-system]`` and nothing pip's setuptools fallback can build
``build-system-not-a-table`` ``build-system`` is a value, not a table
``requires-missing``         ``[build-system]`` without ``requires`` (pip refuses the project)
``requires-not-a-list``      ``requires`` is not a list
``requirement-invalid``      an item of ``requires`` that is not a PEP 508 requirement string
``backend-invalid``          ``build-backend`` is not a string or not a ``module[:object]`` path
``backend-unknown``          ``build-backend`` is not a known backend but looks like a typo of one
``backend-path-invalid``     ``backend-path`` is not a list of relative folders inside the project
``backend-not-in-tree``      ``backend-path`` is set but the backend module is in none of those
                             folders
``backend-not-in-requires``  the backend's distribution is not in ``requires``
``requires-excludes-backend`` ``requires`` bounds the backend's distribution below every release
                             that provides the backend path
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from safepip import knowledge
from safepip.changes import AddRequirement, Change, SetBackend
from safepip.errors import SafepipError

__all__ = [
    "BACKEND_INVALID",
    "BACKEND_NOT_IN_REQUIRES",
    "BACKEND_NOT_IN_TREE",
    "BACKEND_PATH_INVALID",
    "BACKEND_SINCE",
    "BACKEND_UNKNOWN",
    "BUILD_SYSTEM_NOT_A_TABLE",
    "KINDS",
    "NO_BUILD_SYSTEM",
    "REQUIREMENT_INVALID",
    "REQUIRES_EXCLUDES_BACKEND",
    "REQUIRES_MISSING",
    "REQUIRES_NOT_A_LIST",
    "StaticCheckError",
    "StaticFinding",
    "check_pyproject",
    "check_text",
    "find_pyproject",
]

NO_BUILD_SYSTEM = "no-build-system"
BUILD_SYSTEM_NOT_A_TABLE = "build-system-not-a-table"
REQUIRES_MISSING = "requires-missing"
REQUIRES_NOT_A_LIST = "requires-not-a-list"
REQUIREMENT_INVALID = "requirement-invalid"
BACKEND_INVALID = "backend-invalid"
BACKEND_UNKNOWN = "backend-unknown"
BACKEND_PATH_INVALID = "backend-path-invalid"
BACKEND_NOT_IN_TREE = "backend-not-in-tree"
BACKEND_NOT_IN_REQUIRES = "backend-not-in-requires"
REQUIRES_EXCLUDES_BACKEND = "requires-excludes-backend"

KINDS = (
    NO_BUILD_SYSTEM,
    BUILD_SYSTEM_NOT_A_TABLE,
    REQUIRES_MISSING,
    REQUIRES_NOT_A_LIST,
    REQUIREMENT_INVALID,
    BACKEND_INVALID,
    BACKEND_UNKNOWN,
    BACKEND_PATH_INVALID,
    BACKEND_NOT_IN_TREE,
    BACKEND_NOT_IN_REQUIRES,
    REQUIRES_EXCLUDES_BACKEND,
)

#: Backend path -> (distribution, the earliest release its changelog records as providing it).
#: Only versions read in the projects' own changelogs are listed (docs/doctor.md names them); a
#: ``requires`` entry whose bounds allow nothing from that release on cannot work.
BACKEND_SINCE: dict[str, tuple[str, str]] = {
    # setuptools CHANGES.rst, v36.6.0: "Added setuptools.build_meta module" (#1143).
    "setuptools.build_meta": ("setuptools", "36.6.0"),
    # setuptools CHANGES.rst, v40.8.0: "Added the build_meta:__legacy__ backend" (#1652).
    "setuptools.build_meta:__legacy__": ("setuptools", "40.8.0"),
    # flit doc/history.rst, Version 2.0: "The flit_core package now provides a PEP 517 backend".
    "flit_core.buildapi": ("flit_core", "2.0"),
    # flit doc/history.rst, Version 0.12: "implement the PEP 517 API".
    "flit.buildapi": ("flit", "0.12"),
    # poetry-core CHANGELOG.md: 1.0.0a6 is the first release it records, already with the
    # PEP 517 backend ("Fix PEP-517 issues for projects using build scripts").
    "poetry.core.masonry.api": ("poetry-core", "1.0.0a6"),
}

#: Distributions that install a backend's distribution as their own dependency: declaring the
#: dependent is enough for the backend to be importable (``requires = ["hatch-vcs"]`` brings
#: hatchling), so it is not reported. Each was read in the dependent's ``Requires-Dist`` on PyPI:
#: hatch-vcs 0.5.0, hatch-fancy-pypi-readme 25.1.0, hatch-requirements-txt 0.4.1 and hatch 1.18.2
#: (hatchling), flit 4.2.0 (flit_core), poetry 2.5.1 (poetry-core), setuptools-scm 10.3.4 and
#: setuptools-rust 1.13.0 (setuptools), PyQt-builder 1.21.0 (sip).
_PROVIDED_VIA: dict[str, tuple[str, ...]] = {
    "hatchling": ("hatch", "hatch-vcs", "hatch-fancy-pypi-readme", "hatch-requirements-txt"),
    "flit-core": ("flit",),
    "poetry-core": ("poetry",),
    "setuptools": ("setuptools-scm", "setuptools-rust"),
    "sip": ("pyqt-builder",),
}

#: ``[tool.X]`` tables that say which backend a project without ``[build-system]`` was meant for.
_TOOL_BACKENDS: dict[str, str] = {
    "poetry": "poetry.core.masonry.api",
    "flit": "flit_core.buildapi",
    "hatch": "hatchling.build",
    "pdm": "pdm.backend",
    "maturin": "maturin",
    "scikit-build": "scikit_build_core.build",
    "meson-python": "mesonpy",
}

#: What pip installs and runs for a project that has no ``[build-system]`` (pip's pyproject.py).
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIREMENT = "setuptools>=40.8.0"

_UTF8_BOM = b"\xef\xbb\xbf"
# A PEP 517 backend path: a dotted module, optionally ``:`` and a dotted object inside it.
_BACKEND_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$")
# The leading name of a requirement string, for items packaging cannot parse at all.
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")
# Requirements that are certainly valid PEP 508 without asking packaging (whose import costs more
# than the whole check): a name, extras, and comma-separated plain version clauses.
_VERSION = r"\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?"
_EXTRA = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_CLAUSE = (
    rf"(?:(?:==|!=)[ \t]*(?:{_VERSION}|\d+(?:\.\d+)*\.\*)"
    rf"|(?:<=|>=|<|>)[ \t]*{_VERSION}"
    r"|~=[ \t]*\d+(?:\.\d+)+)"
)
_SIMPLE_REQUIREMENT = re.compile(
    r"^[ \t]*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?[ \t]*"
    rf"(?:\[[ \t]*{_EXTRA}(?:[ \t]*,[ \t]*{_EXTRA})*[ \t]*\])?[ \t]*"
    rf"(?:{_CLAUSE}(?:[ \t]*,[ \t]*{_CLAUSE})*)?[ \t]*$",
    re.ASCII,  # \d must not match other scripts' digits, which PEP 508 does not allow
)


class StaticCheckError(SafepipError):
    """A path that cannot be checked: unreadable, not a project, or not valid TOML."""


@dataclasses.dataclass(frozen=True)
class StaticFinding:
    """One problem in a pyproject.toml that would break (or mislead) pip's build."""

    path: str  # the pyproject.toml, as the caller named it
    line: int  # 1-based line of the offending key or value (the [build-system] header, or 1)
    kind: str  # one of KINDS
    message: str  # what is wrong and what pip will do about it, one sentence
    distribution: str | None = None  # the distribution concerned, from the curated table only
    fix: str | None = None  # what to do, for a person
    #: The same change remedies make; None when there is no safe automatic fix.
    change: Change | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields of ``safepip doctor --json`` (``change`` is internal)."""
        return {
            "path": self.path,
            "line": self.line,
            "kind": self.kind,
            "message": self.message,
            "distribution": self.distribution,
            "fix": self.fix,
        }

    def render(self) -> str:
        """``file:line: kind: message (fix: ...)``, the line ``safepip doctor`` prints."""
        fix = f" (fix: {self.fix})" if self.fix else ""
        return f"{self.path}:{self.line}: {self.kind}: {self.message}{fix}"


# --- Entry points ------------------------------------------------------------------------------


def find_pyproject(path: str) -> tuple[str, str] | None:
    """(pyproject.toml, project folder) for a folder or a pyproject.toml; None for a folder
    that has no pyproject.toml. A path that does not exist raises StaticCheckError."""
    if os.path.isdir(path):
        # "." names the file plainly, as pip users see it: pyproject.toml, not ./pyproject.toml.
        candidate = "pyproject.toml" if path == os.curdir else os.path.join(path, "pyproject.toml")
        if os.path.exists(candidate) or os.path.islink(candidate):
            return candidate, path
        return None
    if os.path.exists(path):
        return path, os.path.dirname(path) or os.curdir
    if os.path.islink(path):
        raise StaticCheckError(f"cannot read {path}: it is a broken symbolic link")
    raise StaticCheckError(f"cannot read {path}: it does not exist")


def check_pyproject(path: str) -> list[StaticFinding]:
    """Check the ``[build-system]`` of the project at ``path`` (a folder or its pyproject.toml).

    A folder without pyproject.toml is fine when it has a setup.py or setup.cfg (pip builds it
    with setuptools' legacy backend); otherwise it is not a Python project: StaticCheckError,
    as for an unreadable file or invalid TOML.
    """
    found = find_pyproject(path)
    if found is None:
        if _has_legacy_files(lambda name: os.path.isfile(os.path.join(path, name))):
            return []
        raise StaticCheckError(
            f"{path} has no pyproject.toml, setup.py or setup.cfg: not a Python project"
        )
    pyproject, project = found
    text = _read_text(pyproject)

    def exists(relative: str) -> bool:
        return os.path.isfile(os.path.join(project, *relative.split("/")))

    return check_text(text, pyproject, exists=exists)


def check_text(
    text: str, path: str, *, exists: Callable[[str], bool] | None = None
) -> list[StaticFinding]:
    """Check pyproject.toml ``text``; ``path`` is only used to name it in findings.

    ``exists(relative)`` says whether a file exists in the project, by a ``/``-separated path
    relative to the project folder (for setup.py, and for in-tree backends); by default nothing
    exists. This is what lets a pyproject.toml be checked straight from an sdist archive.
    """
    if exists is None:

        def exists(relative: str) -> bool:  # the default: an empty project
            return False

    data = _parse(path, text)
    return _Checker(path, text, data, exists).run()


# --- Reading -----------------------------------------------------------------------------------


def _read_text(path: str) -> str:
    from safepip.tomlerrors import MAX_PYPROJECT_BYTES, describe_too_large

    try:
        with open(path, "rb") as file:
            original = file.read(MAX_PYPROJECT_BYTES + 1)
    except IsADirectoryError:
        raise StaticCheckError(f"cannot read {path}: it is a directory") from None
    except PermissionError:
        raise StaticCheckError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise StaticCheckError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(original) > MAX_PYPROJECT_BYTES:
        raise StaticCheckError(describe_too_large(path))
    if original.startswith(_UTF8_BOM):
        # pip reads pyproject.toml as plain UTF-8, so the BOM reaches its TOML parser, which
        # rejects it at line 1, column 1: the build fails before it starts.
        raise StaticCheckError(
            f"{path} is not valid TOML for pip (line 1, column 1): it starts with a byte order "
            "mark (BOM); save it as UTF-8 without BOM"
        )
    try:
        return original.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StaticCheckError(
            f"{path} is not UTF-8 text (byte 0x{original[exc.start]:02x} at offset "
            f"{exc.start}); TOML files must be UTF-8"
        ) from None


def _toml_parser() -> tuple[Callable[[str], dict[str, Any]], type[ValueError]] | None:
    """pip's own TOML parser: tomllib from Python 3.11, tomli before (when installed)."""
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads, tomllib.TOMLDecodeError
    try:
        import tomli  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    loads: Callable[[str], dict[str, Any]] = tomli.loads
    return loads, tomli.TOMLDecodeError


def _parse(path: str, text: str) -> dict[str, Any]:
    """The document as plain Python values, parsed the way pip parses it."""
    parser = _toml_parser()
    if parser is None:
        return _parse_with_tomlkit(path, text)
    loads, error = parser
    try:
        return loads(text)
    except error as exc:
        message = str(exc)
        match = re.match(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", message, re.DOTALL)
        if match:
            reason, line, column = match.group(1), int(match.group(2)), int(match.group(3))
        else:  # "(at end of document)"
            reason = re.sub(r"\s*\(at end of document\)$", "", message)
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        raise StaticCheckError(
            f"{path} is not valid TOML (line {line}, column {column}): {reason.rstrip('.')}"
        ) from None


def _parse_with_tomlkit(path: str, text: str) -> dict[str, Any]:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from safepip.tomlerrors import describe_tomlkit_error

    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise StaticCheckError(describe_tomlkit_error(path, exc)) from None
    value: dict[str, Any] = document.unwrap()
    return value


def _has_legacy_files(exists: Callable[[str], bool]) -> bool:
    return exists("setup.py") or exists("setup.cfg")


# --- Finding lines -----------------------------------------------------------------------------


class _Lines:
    """Line numbers of ``[build-system]`` keys, found in the text (the parsed values have none)."""

    _HEADER = re.compile(
        r"""^[ \t]*\[[ \t]*(?:build-system|"build-system"|'build-system')[ \t]*\]"""
    )
    _TOP_KEY = re.compile(r"""^[ \t]*(?:build-system|"build-system"|'build-system')[ \t]*[.=]""")
    _ANY_HEADER = re.compile(r"^[ \t]*\[")

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.header = 0  # 0-based index of the [build-system] header (or its first dotted key)
        self.end = len(self.lines)
        for index, line in enumerate(self.lines):
            if self._HEADER.match(line):
                self.header = index
                self.end = next(
                    (
                        later
                        for later in range(index + 1, len(self.lines))
                        if self._ANY_HEADER.match(self.lines[later])
                    ),
                    len(self.lines),
                )
                break
        else:
            for index, line in enumerate(self.lines):
                if self._TOP_KEY.match(line):
                    self.header = index
                    break

    def table(self) -> int:
        return self.header + 1

    def key(self, key: str) -> int:
        """The line of ``key = ...`` in [build-system], or the header's line."""
        quoted = rf"""(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')"""
        in_table = re.compile(rf"^[ \t]*{quoted}[ \t]*=")
        dotted = re.compile(
            rf"""^[ \t]*(?:build-system|"build-system"|'build-system')[ \t]*\.[ \t]*{quoted}"""
            r"[ \t]*="
        )
        for index in range(self.header, self.end):
            if in_table.match(self.lines[index]) or dotted.match(self.lines[index]):
                return index + 1
        inline = re.compile(rf"[{{,][ \t]*{quoted}[ \t]*=")
        for index in range(self.header, self.end):  # build-system = { requires = [...] }
            if inline.search(self.lines[index]):
                return index + 1
        return self.table()

    def item(self, key: str, value: str) -> int:
        """The line holding the string ``value`` inside the array of ``key``."""
        start = self.key(key) - 1
        for index in range(start, min(start + 200, len(self.lines))):
            if value and value in self.lines[index]:
                return index + 1
        return start + 1


# --- The checks --------------------------------------------------------------------------------


class _Checker:
    def __init__(
        self, path: str, text: str, data: Mapping[str, Any], exists: Callable[[str], bool]
    ) -> None:
        self.path = path
        self.data = data
        self.exists = exists
        self.lines = _Lines(text)
        self.findings: list[StaticFinding] = []

    def add(
        self,
        line: int,
        kind: str,
        message: str,
        *,
        distribution: str | None = None,
        fix: str | None = None,
        change: Change | None = None,
    ) -> None:
        self.findings.append(
            StaticFinding(self.path, line, kind, message, distribution, fix, change)
        )

    def run(self) -> list[StaticFinding]:
        table = self.data.get("build-system")
        if table is None:
            self.no_build_system()
            return self.findings
        if not isinstance(table, dict):
            self.add(
                self.lines.table(),
                BUILD_SYSTEM_NOT_A_TABLE,
                f"build-system is a {_toml_type(table)}, not a table: pip cannot read the "
                "project's build requirements",
                fix=(
                    "make it a table: [build-system] with requires = [...] and "
                    'build-backend = "..."'
                ),
            )
            return self.findings
        requirements = self.requires(table)
        backend_path = self.backend(table)
        if backend_path is None:
            return self.findings
        if "backend-path" in table:
            self.in_tree(table["backend-path"], backend_path, requirements)
            return self.findings
        self.backend_in_requires(backend_path, requirements, explicit="build-backend" in table)
        return self.findings

    # -- No [build-system] ----------------------------------------------------------------------

    def no_build_system(self) -> None:
        """pip's fallback is setuptools' legacy backend: fine with a setup.py, a setup.cfg or a
        [project] table (setuptools >= 61 reads it, and pip installs the newest setuptools)."""
        project = self.data.get("project")
        if _has_legacy_files(self.exists) or (isinstance(project, dict) and "name" in project):
            return
        tools = self.data.get("tool")
        meant = None
        if isinstance(tools, dict):
            meant = next((path for tool, path in _TOOL_BACKENDS.items() if tool in tools), None)
        fallback = (
            "no [build-system] table: pip falls back to setuptools' legacy backend "
            f"({LEGACY_BACKEND}, with {LEGACY_REQUIREMENT}; pip before 24 adds wheel), which "
            "needs a setup.py, a setup.cfg or a [project] table, and this project has none"
        )
        if meant is not None:
            entry = knowledge.BACKENDS[meant]  # every _TOOL_BACKENDS path is in the table
            tool = next(tool for tool, path in _TOOL_BACKENDS.items() if path == meant)
            self.add(
                1,
                NO_BUILD_SYSTEM,
                f"{fallback}; its [tool.{tool}] table suggests it is built with {meant}",
                distribution=entry.distribution,
                fix=(
                    f'add [build-system] with requires = ["{entry.requirement}"] and '
                    f'build-backend = "{meant}"'
                ),
            )
            return
        self.add(
            1,
            NO_BUILD_SYSTEM,
            fallback,
            fix="add a [build-system] table naming the project's build backend and its requirement",
        )

    # -- requires -------------------------------------------------------------------------------

    def requires(self, table: Mapping[str, Any]) -> list[str] | None:
        """The ``requires`` strings (invalid ones included), or None when there is no list."""
        if "requires" not in table:
            backend = table.get("build-backend")
            entry = knowledge.backend(backend) if isinstance(backend, str) else None
            if backend is None:
                requirement: str | None = LEGACY_REQUIREMENT
                distribution: str | None = "setuptools"
            elif entry is not None:
                requirement, distribution = self.requirement_for(entry), entry.distribution
            else:
                requirement = distribution = None
            self.add(
                self.lines.table(),
                REQUIRES_MISSING,
                "[build-system] has no requires key: pip refuses to build the project "
                "(requires is mandatory once [build-system] exists)",
                distribution=distribution,
                fix=(
                    f'add requires = ["{requirement}"] to [build-system]'
                    if requirement
                    else "add requires = [...] listing the build backend's distribution"
                ),
                change=AddRequirement(requirement) if requirement else None,
            )
            return None
        requires = table["requires"]
        if not isinstance(requires, list):
            self.add(
                self.lines.key("requires"),
                REQUIRES_NOT_A_LIST,
                f"[build-system] requires is a {_toml_type(requires)}, not a list: pip refuses "
                "to build the project",
                fix='make it a list of strings, e.g. requires = ["setuptools>=61"]',
            )
            return None
        items: list[str] = []
        for item in requires:
            if not isinstance(item, str):
                self.add(
                    self.lines.key("requires"),
                    REQUIREMENT_INVALID,
                    f"[build-system] requires holds {item!r}, a {_toml_type(item)}: pip needs "
                    "a list of requirement strings and refuses to build the project",
                    fix="write each build requirement as a quoted string",
                )
                continue
            items.append(item)
            reason = _invalid_requirement(item)
            if reason is not None:
                self.add(
                    self.lines.item("requires", item),
                    REQUIREMENT_INVALID,
                    f"[build-system] requires holds {item!r}, which is not a valid requirement "
                    f"({reason}): pip refuses to build the project",
                    fix="write it as a PEP 508 requirement, e.g. name>=1.0",
                )
        return items

    def requirement_for(self, entry: knowledge.Backend) -> str:
        """What to add for ``entry``: its table requirement, raised where the project's own
        metadata needs more (a [project] table needs setuptools >= 61 and poetry-core >= 2)."""
        project = self.data.get("project")
        has_project = isinstance(project, dict) and "name" in project
        name = knowledge.normalise_name(entry.distribution)
        if name == "setuptools" and has_project:
            return "setuptools>=61"
        if name == "poetry-core" and has_project:
            tool = self.data.get("tool")
            poetry = tool.get("poetry") if isinstance(tool, dict) else None
            if not (isinstance(poetry, dict) and "name" in poetry):
                return "poetry-core>=2"
        return entry.requirement

    # -- build-backend --------------------------------------------------------------------------

    def backend(self, table: Mapping[str, Any]) -> str | None:
        """The backend path pip will load (the legacy one when none is named), or None when
        ``build-backend`` is unusable (reported here)."""
        if "build-backend" not in table:
            return LEGACY_BACKEND
        value = table["build-backend"]
        line = self.lines.key("build-backend")
        if not isinstance(value, str):
            self.add(
                line,
                BACKEND_INVALID,
                f"build-backend is a {_toml_type(value)}, not a string: pip cannot load a "
                "backend from it",
                fix='name the backend as a string, e.g. build-backend = "setuptools.build_meta"',
            )
            return None
        path = value.strip()
        if _BACKEND_RE.match(path):
            return path
        suggestion = knowledge.closest_backend(path) if "backend-path" not in table else None
        if suggestion is not None:
            self.add_typo(line, value, suggestion)
        else:
            self.add(
                line,
                BACKEND_INVALID,
                f"build-backend {value!r} is not a module path (module or module:object): pip "
                "cannot import it",
                fix="name the backend's module, e.g. setuptools.build_meta",
            )
        return None

    def add_typo(self, line: int, value: str, suggestion: str) -> None:
        entry = knowledge.backend(suggestion)
        self.add(
            line,
            BACKEND_UNKNOWN,
            f"build-backend {value!r} is not a known build backend; it looks like a typo of "
            f"{suggestion!r}, and pip will fail to import it",
            distribution=entry.distribution if entry else None,
            fix=f'set build-backend = "{suggestion}"',
            change=SetBackend(suggestion),
        )

    # -- backend-path ---------------------------------------------------------------------------

    def in_tree(self, folders: object, backend_path: str, requirements: list[str] | None) -> None:
        """An in-tree backend (PEP 517 ``backend-path``) must be found in one of the folders:
        pip's hook runner loads it from there and nowhere else, so ``requires`` need not (and
        cannot) provide it."""
        line = self.lines.key("backend-path")
        if not isinstance(folders, list) or not all(isinstance(f, str) for f in folders):
            self.add(
                line,
                BACKEND_PATH_INVALID,
                "backend-path must be a list of folder names (strings): pip refuses the project",
                fix='write it as a list, e.g. backend-path = ["."]',
            )
            return
        for folder in folders:
            if _escapes(folder):
                self.add(
                    line,
                    BACKEND_PATH_INVALID,
                    f"backend-path entry {folder!r} is not a relative folder inside the project: "
                    "pip refuses to load a backend from it",
                    fix="use a path relative to the folder holding pyproject.toml",
                )
                return
        module = backend_path.split(":", 1)[0]
        relative = module.replace(".", "/")
        for folder in folders:
            prefix = _clean_folder(folder)
            if self.exists(f"{prefix}{relative}.py") or self.exists(
                f"{prefix}{relative}/__init__.py"
            ):
                return
        shown = ", ".join(repr(folder) for folder in folders) or "none"
        entry = knowledge.backend(backend_path)
        declared = bool(entry and requirements and _declares(requirements, entry.distribution))
        hint = (
            f"; {entry.distribution} in requires does not help, pip looks only in backend-path"
            if entry and declared
            else ""
        )
        self.add(
            line,
            BACKEND_NOT_IN_TREE,
            f"backend-path is set ({shown}) but module {module!r} of build-backend is in none of "
            f'those folders: pip will fail with "Cannot find module"{hint}',
            distribution=entry.distribution if entry else None,
            fix=(
                f"point backend-path at the folder holding {relative}.py"
                + (", or remove backend-path to use the installed backend" if entry else "")
            ),
        )

    # -- The backend against requires ---------------------------------------------------------

    def backend_in_requires(
        self, backend_path: str, requirements: list[str] | None, *, explicit: bool
    ) -> None:
        entry = knowledge.backend(backend_path)
        if entry is None:
            self.unknown_backend(backend_path, requirements)
            return
        if requirements is None:  # requires missing or unusable: reported already
            return
        distribution = knowledge.normalise_name(entry.distribution)
        declared = _declared(requirements, distribution)
        if not declared:
            via = _PROVIDED_VIA.get(distribution, ())
            if any(_declared(requirements, dependent) for dependent in via):
                return
            requirement = self.requirement_for(entry)
            if explicit:
                message = (
                    f"build-backend {backend_path!r} is provided by {entry.distribution}, which "
                    "[build-system] requires does not list: pip's isolated build cannot import it"
                )
            else:
                message = (
                    "no build-backend is named, so pip uses setuptools' legacy backend "
                    f"({LEGACY_BACKEND}), but [build-system] requires does not list setuptools: "
                    "pip's isolated build cannot import it"
                )
            self.add(
                self.lines.key("requires"),
                BACKEND_NOT_IN_REQUIRES,
                message,
                distribution=entry.distribution,
                fix=f'add "{requirement}" to [build-system] requires',
                change=AddRequirement(requirement),
            )
            return
        since = BACKEND_SINCE.get(backend_path)
        if since is None or knowledge.normalise_name(since[0]) != distribution:
            return
        excluding = [item for item in declared if _excludes_from(item, since[1])]
        if excluding and len(excluding) == len(declared):
            item = excluding[0]
            self.add(
                self.lines.item("requires", item),
                REQUIRES_EXCLUDES_BACKEND,
                f"[build-system] requires {item!r} allows only {entry.distribution} releases "
                f"older than {since[1]}, the first that provides build-backend "
                f"{backend_path!r}: pip's isolated build cannot import it",
                distribution=entry.distribution,
                fix=(
                    f"allow {entry.distribution} {since[1]} or later in [build-system] requires "
                    f'(e.g. "{self.requirement_for(entry)}")'
                ),
            )

    def unknown_backend(self, backend_path: str, requirements: list[str] | None) -> None:
        """A backend the table does not know: a typo of a known one, or a backend of its own
        (provided by something in ``requires``), which is left alone."""
        top = backend_path.split(":", 1)[0].split(".", 1)[0]
        known_tops = {path.split(":", 1)[0].split(".", 1)[0] for path in knowledge.BACKENDS}
        if top not in known_tops and requirements is not None:
            names = {_requirement_name(item) for item in requirements}
            if knowledge.normalise_name(top) in names:
                return  # e.g. build-backend = "mybuilder.api" with requires = ["mybuilder"]
        suggestion = knowledge.closest_backend(backend_path)
        if suggestion is not None and suggestion != backend_path:
            self.add_typo(self.lines.key("build-backend"), backend_path, suggestion)


# --- Helpers -----------------------------------------------------------------------------------


def _toml_type(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "table"
    return "date or time"


def _invalid_requirement(item: str) -> str | None:
    """Why ``item`` is not a PEP 508 requirement, or None when it is one."""
    if _SIMPLE_REQUIREMENT.match(item):
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(item)
    except InvalidRequirement as exc:
        # packaging's message spans lines (the text, then a caret under it): keep the first.
        return str(exc).splitlines()[0] if str(exc) else "cannot parse it"
    return None


def _requirement_name(item: str) -> str | None:
    match = _NAME_RE.match(item)
    return knowledge.normalise_name(match.group(1)) if match else None


def _declared(requirements: list[str], name: str) -> list[str]:
    """The items of ``requires`` that name ``name`` (normalised), under any spelling."""
    wanted = knowledge.normalise_name(name)
    return [item for item in requirements if _requirement_name(item) == wanted]


def _declares(requirements: list[str], name: str) -> bool:
    return bool(_declared(requirements, name))


def _escapes(folder: str) -> bool:
    """Whether a backend-path entry is absolute or leaves the project (both refused by pip)."""
    if not folder:
        return False
    if os.path.isabs(folder) or folder.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", folder):
        return True
    depth = 0
    for part in re.split(r"[/\\]+", folder):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in {"", "."}:
            depth += 1
    return False


def _clean_folder(folder: str) -> str:
    """A backend-path entry as a ``/``-separated prefix: ``.`` -> empty, ``src`` -> ``src/``."""
    parts: list[str] = []
    for part in re.split(r"[/\\]+", folder):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in {"", "."}:
            parts.append(part)
    return "".join(part + "/" for part in parts)


def _excludes_from(item: str, since: str) -> bool:
    """Whether requirement ``item`` allows no version at or after ``since``.

    Only an upper bound can do that (``<``, ``<=``, ``==``, ``~=``, ``===``), so packaging is
    imported only for items that have one.
    """
    if not re.search(r"<|==|~=", item):
        return False
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    try:
        specifier = Requirement(item).specifier
        first = Version(since)
    except (InvalidRequirement, InvalidVersion):
        return False
    for spec in specifier:
        bound = _exclusive_upper(spec.operator, spec.version)
        if bound is not None and bound <= first:
            return True
    return False


def _exclusive_upper(operator: str, text: str) -> Any:  # noqa: PLR0911 - one case per operator
    """The smallest version a single specifier clause excludes from above (every allowed
    version is below it), or None when the clause sets no upper bound."""
    from packaging.version import InvalidVersion, Version

    wildcard = text.endswith(".*")
    try:
        version = Version(text[:-2] if wildcard else text)
    except InvalidVersion:
        return None
    if operator == "<":
        # "<2" also excludes 2's own pre-releases: everything below 2.dev0 is what remains.
        return version if version.is_prerelease else Version(f"{version.base_version}.dev0")
    if operator == "<=":
        return Version(f"{version}.post0.dev0") if not version.is_postrelease else None
    if operator in {"==", "==="} and not wildcard:
        return Version(f"{version}.post0.dev0") if not version.is_postrelease else None
    if operator == "==" and wildcard:
        return _bumped(version, len(version.release))
    if operator == "~=" and len(version.release) >= 2:
        return _bumped(version, len(version.release) - 1)
    return None


def _bumped(version: Any, prefix: int) -> Any:
    """The first version past the first ``prefix`` release components: (1.4.5, 2) -> 1.5.dev0."""
    from packaging.version import Version

    release = list(version.release[:prefix])
    release[-1] += 1
    epoch = f"{version.epoch}!" if version.epoch else ""
    return Version(epoch + ".".join(map(str, release)) + ".dev0")
