"""Static checks of a project's ``[build-system]``: what will break pip's build, before pip runs.

Nothing here runs pip, imports pip or touches the network: the checks read pyproject.toml (and
look for a few files next to it) and compare it with the curated tables in
:mod:`safepip.knowledge`. They are meant to be silent on a sound project: every finding names a
build that pip would fail (or one that would go wrong), and nothing is guessed from a name the
tables do not list.

The TOML is parsed with the same parser pip uses (``tomllib``, or ``tomli`` before Python 3.11;
tomlkit only when neither is there), so "invalid TOML" means what pip would say, too.

The findings (``StaticFinding``) and their kinds are in ``deciding/static_findings.py``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from safepip import knowledge, tomlfile, versions
from safepip.changes import AddRequirement, Change, SetBackend
from safepip.deciding.static_findings import (
    BACKEND_INVALID,
    BACKEND_NOT_IN_REQUIRES,
    BACKEND_NOT_IN_TREE,
    BACKEND_PATH_INVALID,
    BACKEND_UNKNOWN,
    BUILD_SYSTEM_NOT_A_TABLE,
    NO_BUILD_SYSTEM,
    REQUIREMENT_INVALID,
    REQUIRES_EXCLUDES_BACKEND,
    REQUIRES_MISSING,
    REQUIRES_NOT_A_LIST,
    StaticCheckError,
    StaticFinding,
    StaticKind,
)
from safepip.knowledge import BACKEND_SINCE, LEGACY_BACKEND, LEGACY_REQUIREMENT
from safepip.names import canonical_name, leading_name
from safepip.reading.projects import setup_py_imports_pkg_resources

__all__ = ["check_pyproject", "check_text", "find_pyproject"]


# A PEP 517 backend path: a dotted module, optionally ``:`` and a dotted object inside it.
_BACKEND_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$")
# Requirements that are certainly valid PEP 508 without asking packaging (whose parser costs more
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

    return check_text(
        text, pyproject, exists=exists, pkg_resources=setup_py_imports_pkg_resources(project)
    )


def check_text(
    text: str,
    path: str,
    *,
    exists: Callable[[str], bool] | None = None,
    pkg_resources: bool = False,
) -> list[StaticFinding]:
    """Check pyproject.toml ``text``; ``path`` is only used to name it in findings.

    ``exists(relative)`` says whether a file exists in the project, by a ``/``-separated path
    relative to the project folder (for setup.py, and for in-tree backends); by default nothing
    exists. This is what lets a pyproject.toml be checked straight from an sdist archive.
    ``pkg_resources``: the project's setup.py imports pkg_resources (setuptools comes capped).
    """
    if exists is None:

        def exists(relative: str) -> bool:  # the default: an empty project
            return False

    data = _parse(path, text)
    checker = _Checker(path, text, data, exists)
    checker.pkg_resources = pkg_resources
    return checker.run()


# --- Reading -----------------------------------------------------------------------------------


def _read_text(path: str) -> str:
    """The text of a pyproject.toml, as pip would read it (a BOM refused, as pip fails on it)."""
    try:
        original = tomlfile.read_bytes(path)
        if original is not None:
            tomlfile.refuse_bom(path, original)
            return tomlfile.decode(path, original)
    except tomlfile.TomlFileError as exc:
        raise StaticCheckError(str(exc)) from None
    raise StaticCheckError(f"cannot read {path}: it does not exist")


def _parse(path: str, text: str) -> dict[str, Any]:
    """The document as plain Python values, parsed the way pip parses it."""
    try:
        return tomlfile.parse_plain(path, text)
    except tomlfile.TomlFileError as exc:
        raise StaticCheckError(str(exc)) from None


def _has_legacy_files(exists: Callable[[str], bool]) -> bool:
    return exists("setup.py") or exists("setup.cfg")


# --- The checks --------------------------------------------------------------------------------


class _Checker:
    def __init__(
        self, path: str, text: str, data: Mapping[str, Any], exists: Callable[[str], bool]
    ) -> None:
        self.path = path
        self.data = data
        self.exists = exists
        self.lines = tomlfile.KeyLines(text)
        self.findings: list[StaticFinding] = []
        #: The project's setup.py imports pkg_resources, which setuptools 82 removed.
        self.pkg_resources = False

    def add(
        self,
        line: int,
        kind: StaticKind,
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
                self.lines.find(("build-system",)),
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
            meant = next(
                (path for tool, path in knowledge.TOOL_BACKENDS.items() if tool in tools), None
            )
        fallback = (
            "no [build-system] table: pip falls back to setuptools' legacy backend "
            f"({LEGACY_BACKEND}, with {LEGACY_REQUIREMENT}; pip before 24 adds wheel), which "
            "needs a setup.py, a setup.cfg or a [project] table, and this project has none"
        )
        if meant is not None:
            entry = knowledge.BACKENDS[meant]  # every knowledge.TOOL_BACKENDS path is in the table
            tool = next(tool for tool, path in knowledge.TOOL_BACKENDS.items() if path == meant)
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
                self.lines.find(("build-system",)),
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
                self.lines.find(("build-system", "requires")),
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
                    self.lines.find(("build-system", "requires")),
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
                    self.lines.item(("build-system", "requires"), item),
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
        name = canonical_name(entry.distribution)
        if name == "setuptools" and self.pkg_resources:
            # One change instead of two rounds (issue 19): setuptools, capped for pkg_resources.
            cap = knowledge.PROVIDERS["pkg_resources"].requirement[len("setuptools") :]
            return f"setuptools>=61,{cap}" if has_project else f"{entry.requirement},{cap}"
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
        line = self.lines.find(("build-system", "build-backend"))
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
        line = self.lines.find(("build-system", "backend-path"))
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
        distribution = canonical_name(entry.distribution)
        declared = _declared(requirements, distribution)
        if not declared:
            via = knowledge.PROVIDED_VIA.get(distribution, ())
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
            if "<" in requirement and self.pkg_resources:
                message += (
                    "; its setup.py imports pkg_resources, which setuptools 82 removed, so the "
                    "requirement is capped"
                )
            self.add(
                self.lines.find(("build-system", "requires")),
                BACKEND_NOT_IN_REQUIRES,
                message,
                distribution=entry.distribution,
                fix=f'add "{requirement}" to [build-system] requires',
                change=AddRequirement(requirement),
            )
            return
        since = BACKEND_SINCE.get(backend_path)
        if since is None or canonical_name(since[0]) != distribution:
            return
        excluding = [item for item in declared if versions.excludes_from(item, since[1])]
        if excluding and len(excluding) == len(declared):
            item = excluding[0]
            self.add(
                self.lines.item(("build-system", "requires"), item),
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
            if canonical_name(top) in names:
                return  # e.g. build-backend = "mybuilder.api" with requires = ["mybuilder"]
        suggestion = knowledge.closest_backend(backend_path)
        if suggestion is not None and suggestion != backend_path:
            self.add_typo(
                self.lines.find(("build-system", "build-backend")), backend_path, suggestion
            )


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
    # packaging's parser only for what the pattern does not settle (its import costs tens of
    # milliseconds, paid by the pre-flight of every `pip install .` at a terminal).
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        Requirement(item)
    except InvalidRequirement as exc:
        # packaging's message spans lines (the text, then a caret under it): keep the first.
        return str(exc).splitlines()[0] if str(exc) else "cannot parse it"
    return None


def _requirement_name(item: str) -> str | None:
    """The canonical name an item of ``requires`` names (cheap: no packaging parser)."""
    name = leading_name(item)
    return canonical_name(name) if name else None


def _declared(requirements: list[str], name: str) -> list[str]:
    """The items of ``requires`` that name ``name`` (normalised), under any spelling."""
    wanted = canonical_name(name)
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
