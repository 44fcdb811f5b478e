"""Patching ``[build-system]`` in a pyproject.toml without disturbing anything else in it: the
plan and its diff.

A plan is computed first (``plan_add_requirement``, ``plan_constrain_requirement``,
``plan_set_backend``): the original bytes, the new bytes and a unified diff to show the user.
Nothing is written until ``apply_plan``, which re-reads the file under the folder lock, keeps a
backup and replaces the file atomically (``applying/safewrite.py``).

How the edit keeps every other byte: tomlkit parses the document and tells us where the
``requires`` array (or the ``build-backend`` string) is, and ``applying/tomledit.py`` writes the
new text of that one value from the value's own source text. The result is parsed again and
compared with what the change should mean; a mismatch refuses the change rather than writing a
surprise. Version bounds are reasoned about in ``safepip.versions``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from typing import Any, Callable, NamedTuple, Union

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from tomlkit.container import OutOfOrderTableProxy
from tomlkit.items import Array, InlineTable, String, Table
from tomlkit.toml_document import TOMLDocument

from safepip import tomlfile, versions
from safepip.applying.lock import DEFAULT_TIMEOUT, folder_lock
from safepip.applying.safewrite import (
    BACKUP_SUFFIX,
    TEMP_PREFIX,
    PatchError,
    held_by_git,
    remove_stray_temporaries,
    replace_file,
    undo_hint,
)
from safepip.applying.tomledit import (
    UnsafeEditError,
    add_build_system,
    add_key,
    append_to_array,
    encode_string,
    inline_array,
    is_literal,
    render_replacing,
    replace_in_array,
    split_lines,
)
from safepip.changes import Change
from safepip.knowledge import LEGACY_BACKEND, LEGACY_REQUIREMENT
from safepip.names import canonical_name, requirement_name

__all__ = [
    "BACKUP_SUFFIX",
    "LEGACY_BACKEND",
    "TEMP_PREFIX",
    "AppliedPatch",
    "PatchError",
    "PatchPlan",
    "apply_plan",
    "held_by_git",
    "plan_add_requirement",
    "plan_change",
    "plan_changes",
    "plan_constrain_requirement",
    "plan_set_backend",
    "real_pyproject",
    "remove_stray_temporaries",
    "undo_hint",
]

#: What pip assumes when a project declares no ``[build-system] requires`` at all (PEP 518). A
#: ``requires`` created from nothing starts from it, or the build would lose its setuptools.
PIP_DEFAULT_REQUIRES = (LEGACY_REQUIREMENT,)

# A PEP 517 backend path: a dotted module, optionally ``:`` and a dotted object inside it.
_BACKEND_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$")


@dataclasses.dataclass(frozen=True)
class PatchPlan:
    """A change to one file, computed but not yet written."""

    path: str
    original: bytes  # the file's bytes when it was read (empty when it does not exist)
    new: bytes  # what it would become; equal to ``original`` when there is nothing to do
    already_declared: str | None = None  # the existing requirement that made the change moot
    existed: bool = True  # False: the plan creates the file
    summary: str = ""  # one line for the user: what the change does

    @property
    def changed(self) -> bool:
        return self.new != self.original

    def diff(self) -> str:
        """A unified diff for a human: ``a/<path>`` and ``b/<path>`` relative to the current
        directory when the file is inside it; line endings shown as plain newlines."""
        if not self.changed:
            return ""
        label = _display_path(self.path)
        return "".join(
            difflib.unified_diff(
                _display_lines(self.original),
                _display_lines(self.new),
                fromfile=f"a/{label}" if self.existed else "/dev/null",
                tofile=f"b/{label}",
            )
        )


@dataclasses.dataclass(frozen=True)
class AppliedPatch:
    """A plan that was written: where, and where the original was kept."""

    path: str  # the path as planned
    target: str  # the file actually replaced: ``path`` with symbolic links resolved
    backup: str | None  # the copy of the original; None when no backup was made or needed
    already_done: bool = False  # the file already held the change when the lock was ours
    rebased: bool = False  # the file had changed: the same change was made on its new content


# --- Reading -----------------------------------------------------------------------------------


_Table = Union[Table, InlineTable, OutOfOrderTableProxy]


class _Source(NamedTuple):
    path: str
    original: bytes
    bom: bool
    text: str  # without the BOM
    newline: str  # the file's line ending, for the lines we add
    doc: TOMLDocument


def _read_bytes(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist. Any other failure is a PatchError."""
    try:
        return tomlfile.read_bytes(path)
    except tomlfile.TomlFileError as exc:
        raise PatchError(str(exc)) from None


def real_pyproject(path: str) -> str:
    """The file a change to ``path`` is made in: ``path``, or the file inside the project a
    symbolic link ``path`` points to. A link out of the project is refused (PatchError)."""
    try:
        return tomlfile.real_file(path)
    except tomlfile.TomlFileError as exc:
        raise PatchError(str(exc)) from None


def _load(path: str) -> _Source | None:
    original = _read_bytes(path)
    if original is None:
        return None
    bom, body = tomlfile.split_bom(original)
    try:
        text = tomlfile.decode(path, body, offset=len(original) - len(body))
        doc = tomlfile.parse_document(path, text)
    except tomlfile.TomlFileError as exc:
        raise PatchError(str(exc)) from None
    if doc.as_string() != text:
        # Everything below relies on tomlkit reproducing the file exactly.
        raise PatchError(f"{path} cannot be edited safely: tomlkit does not reproduce it exactly")
    # New lines follow the file's first line ending; a file with none gets "\n".
    match = re.search(r"\r?\n", text)
    newline = match.group() if match else "\n"
    return _Source(path, original, bom, text, newline, doc)


def _require(path: str, create_if_missing: bool) -> _Source | None:
    source = _load(path)
    if source is None and not create_if_missing:
        raise PatchError(f"cannot read {path}: it does not exist")
    return source


def _build_system(source: _Source) -> _Table | None:
    table = source.doc.get("build-system")
    if table is None:
        return None
    # A table whose keys are spread over the document (dotted keys on several lines, or a header
    # and a sub-table apart) comes back from tomlkit 0.15 as an OutOfOrderTableProxy.
    if not isinstance(table, (Table, InlineTable, OutOfOrderTableProxy)):
        raise PatchError(f"build-system in {source.path} is not a table")
    return table


def _requires(source: _Source, table: _Table) -> Array | None:
    requires = table.get("requires")
    if requires is None:
        return None
    if not isinstance(requires, Array):
        raise PatchError(f"[build-system] requires in {source.path} is not a list")
    for item in requires:
        if not isinstance(item, str):
            raise PatchError(
                f"[build-system] requires in {source.path} holds {item!r}, which is not a string"
            )
    return requires


# --- Requirements ------------------------------------------------------------------------------


def _parse_requirement(requirement: str) -> Requirement:
    try:
        return Requirement(requirement)
    except InvalidRequirement as exc:
        # packaging's message spans lines (the text, then a caret under it): keep the first.
        reason = str(exc).splitlines()[0] if str(exc) else "cannot parse it"
        raise PatchError(f"not a valid requirement: {requirement!r} ({reason})") from None


def _canonical_name(requirement: str) -> str | None:
    """The normalised distribution name of a requirement string, even a malformed one."""
    name = requirement_name(requirement)
    return canonical_name(name) if name else None


def _declared(items: list[str], name: str) -> list[int]:
    wanted = canonical_name(name)
    return [index for index, item in enumerate(items) if _canonical_name(item) == wanted]


# --- Checking the result -----------------------------------------------------------------------


@contextlib.contextmanager
def _editing(source: _Source) -> Iterator[None]:
    """A text edit (applying/tomledit.py) that would disturb the document refuses the change."""
    try:
        yield
    except UnsafeEditError:
        raise _unsafe(source) from None


def _unsafe(source: _Source) -> PatchError:
    return PatchError(
        f"cannot change [build-system] in {source.path} without disturbing the rest of the file; "
        "please edit it by hand"
    )


def _same(left: object, right: object) -> bool:
    """Equality of unwrapped TOML values, where a NaN equals a NaN."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left):
        return math.isnan(right)
    return left == right and type(left) is type(right)


def _finish(
    source: _Source,
    new_text: str,
    change: Callable[[dict[str, Any]], None],
    summary: str,
) -> PatchPlan:
    """A plan for ``new_text``, once it is known to mean the original changed by ``change``."""
    expected = source.doc.unwrap()
    change(expected)
    try:
        result = tomlfile.parse_document(source.path, new_text).unwrap()
    except tomlfile.TomlFileError:
        raise _unsafe(source) from None
    if not _same(result, expected):
        raise _unsafe(source)
    new = (tomlfile.UTF8_BOM if source.bom else b"") + new_text.encode("utf-8")
    return PatchPlan(source.path, source.original, new, summary=summary)


def _set_requires(requires: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document.setdefault("build-system", {})["requires"] = list(requires)

    return change


def _default_requires(table: _Table | None, name: str) -> list[str]:
    """What a ``requires`` created from nothing starts with: pip's default when the project's
    backend is (implicitly) setuptools, unless setuptools is what is being added."""
    backend = table.get("build-backend") if table is not None else None
    uses_setuptools = not isinstance(backend, str) or backend.startswith("setuptools.")
    if not uses_setuptools or canonical_name(name) == "setuptools":
        return []
    return list(PIP_DEFAULT_REQUIRES)


# --- Plans -------------------------------------------------------------------------------------


def plan_add_requirement(
    path: str,
    requirement: str,
    *,
    create_if_missing: bool = False,
    legacy_backend_if_created: bool = True,
) -> PatchPlan:
    """Add ``requirement`` (PEP 508, e.g. ``flit_core>=3.2``) to ``[build-system] requires``.

    Nothing else in the file changes. A distribution already declared under any spelling
    (``flit-core``, ``Flit.Core``, with or without a version or markers) is not added again: the
    plan then changes nothing and ``already_declared`` holds the existing item. A missing
    ``requires`` or ``[build-system]`` is created, starting from pip's own default
    (``setuptools>=40.8.0``) when the backend is setuptools, so the build keeps what it had.
    A missing file is an error unless ``create_if_missing``: then a minimal one is planned, naming
    the legacy setuptools backend if ``legacy_backend_if_created``.
    """
    path = real_pyproject(path)  # the file that changes, named so in the plan
    parsed = _parse_requirement(requirement)
    summary = f"add {requirement} to [build-system] requires"
    source = _require(path, create_if_missing)
    if source is None:
        return _plan_new_file(path, requirement, parsed.name, legacy_backend_if_created)
    table = _build_system(source)
    requires = _requires(source, table) if table is not None else None
    if table is None or requires is None:
        items = [*_default_requires(table, parsed.name), requirement]
        with _editing(source):
            if table is None:
                new_text = add_build_system(source.text, source.newline, inline_array(items))
            else:
                new_text = add_key(
                    source.doc, "build-system", table, "requires", inline_array(items)
                )
        return _finish(source, new_text, _set_requires(items), summary)

    items = [str(item) for item in requires]
    declared = _declared(items, parsed.name)
    if declared:
        existing = items[declared[0]]
        return PatchPlan(
            path,
            source.original,
            source.original,
            already_declared=existing,
            summary=f"{parsed.name} is already declared in [build-system] requires: {existing}",
        )
    with _editing(source):
        array_text = append_to_array(requires.as_string(), requirement, source.newline)
        new_text = render_replacing(source.doc, requires, array_text)
    return _finish(source, new_text, _set_requires([*items, requirement]), summary)


def _plan_new_file(path: str, requirement: str, name: str, legacy_backend: bool) -> PatchPlan:
    items = [*_default_requires(None, name), requirement]
    text = f"[build-system]\nrequires = {inline_array(items)}\n"
    if legacy_backend:
        text += f'build-backend = "{LEGACY_BACKEND}"\n'
    return PatchPlan(
        path, b"", text.encode("utf-8"), existed=False, summary=f"create {path} requiring {name}"
    )


def plan_constrain_requirement(path: str, name: str, specifier: str) -> PatchPlan:
    """Constrain ``name`` in ``[build-system] requires`` with ``specifier`` (e.g. ``<82``).

    Each item declaring ``name`` gets the specifier merged into it (``"setuptools>=40"`` becomes
    ``"setuptools>=40,<82"``), quoted as it was; an item that already implies it is left alone.
    If ``name`` is not declared, ``name + specifier`` is added as ``plan_add_requirement`` would.
    """
    path = real_pyproject(path)  # the file that changes, named so in the plan
    try:
        wanted = SpecifierSet(specifier)
    except InvalidSpecifier:
        raise PatchError(f"not a valid version specifier: {specifier!r}") from None
    if not len(wanted):
        raise PatchError(f"not a valid version specifier: {specifier!r}")
    _parse_requirement(name)  # a bare, valid distribution name
    summary = f"constrain {name} to {wanted} in [build-system] requires"
    source = _load(path)
    table = _build_system(source) if source is not None else None
    requires = _requires(source, table) if source is not None and table is not None else None
    if source is None or requires is None:
        return plan_add_requirement(path, f"{name}{wanted}")
    items = [str(item) for item in requires]
    declared = _declared(items, name)
    if not declared:
        return plan_add_requirement(path, f"{name}{wanted}")

    new_items = list(items)
    array_text = requires.as_string()
    for index in declared:
        merged = _merge_specifier(source.path, items[index], wanted)
        if merged != items[index]:
            new_items[index] = merged
            with _editing(source):
                array_text = replace_in_array(array_text, index, merged)
    if new_items == items:
        return PatchPlan(
            path, source.original, source.original, already_declared=items[declared[0]]
        )
    with _editing(source):
        new_text = render_replacing(source.doc, requires, array_text)
    return _finish(source, new_text, _set_requires(new_items), summary)


def _merge_specifier(path: str, item: str, wanted: SpecifierSet) -> str:
    """``item`` with each specifier in ``wanted`` that it does not already imply merged in."""
    try:
        requirement = Requirement(item)
    except InvalidRequirement as exc:
        raise PatchError(f"[build-system] requires in {path} holds {item!r}: {exc}") from None
    if requirement.url:
        raise PatchError(
            f"[build-system] requires in {path} names {requirement.name} by URL ({item!r}); "
            f"a version constraint ({wanted}) cannot apply to it"
        )
    missing = [spec for spec in wanted if not versions.implies(requirement.specifier, spec)]
    if not missing:
        return item
    if versions.conflicts(requirement.specifier, missing):
        raise PatchError(
            f"[build-system] requires in {path} declares {item!r}, which conflicts "
            f"with {','.join(str(spec) for spec in missing)}; please resolve it by hand"
        )
    addition = ",".join(str(spec) for spec in missing)
    # Only the version part changes: name, extras, markers and spacing stay as written.
    head, semicolon, marker = item.partition(";")
    stripped = head.rstrip()
    tail = head[len(stripped) :]
    if stripped.endswith(")") and "(" in stripped:  # the old "name (>=1.0)" form
        inner = stripped[stripped.rindex("(") + 1 : -1]
        joined = f"{inner.rstrip()},{addition}" if inner.strip() else addition
        stripped = stripped[: stripped.rindex("(") + 1] + joined + ")"
    elif len(requirement.specifier):
        stripped = f"{stripped},{addition}"
    else:
        stripped = f"{stripped}{addition}"
    merged = stripped + tail + semicolon + marker
    check = Requirement(merged)
    if (
        check.name != requirement.name
        or check.extras != requirement.extras
        or check.marker != requirement.marker
        or check.specifier
        != requirement.specifier & SpecifierSet(",".join(str(spec) for spec in missing))
    ):
        raise PatchError(f"cannot merge {wanted} into {item!r} in {path}; please edit it by hand")
    return merged


def plan_set_backend(path: str, backend: str) -> PatchPlan:
    """Set ``[build-system] build-backend`` to ``backend``, keeping its quoting and comment."""
    path = real_pyproject(path)  # the file that changes, named so in the plan
    if not _BACKEND_RE.match(backend):
        raise PatchError(f"not a valid build backend path: {backend!r}")
    source = _load(path)
    if source is None:
        raise PatchError(f"cannot read {path}: it does not exist")
    table = _build_system(source)
    if table is None:
        raise PatchError(f"{path} has no [build-system] table to set build-backend in")

    def change(document: dict[str, Any]) -> None:
        document["build-system"]["build-backend"] = backend

    summary = f"set [build-system] build-backend to {backend}"
    current = table.get("build-backend")
    if current is None:
        with _editing(source):
            new_text = add_key(
                source.doc,
                "build-system",
                table,
                "build-backend",
                encode_string(backend, literal=False),
            )
        return _finish(source, new_text, change, summary)
    if not isinstance(current, String):
        raise PatchError(f"[build-system] build-backend in {path} is not a string")
    if str(current) == backend:
        return PatchPlan(path, source.original, source.original)
    literal = is_literal(current.as_string())
    with _editing(source):
        new_text = render_replacing(source.doc, current, encode_string(backend, literal=literal))
    return _finish(source, new_text, change, summary)


# --- Writing -----------------------------------------------------------------------------------


def apply_plan(
    plan: PatchPlan,
    *,
    backup: bool = True,
    replan: Callable[[], PatchPlan] | None = None,
    lock_timeout: float | None = None,
) -> AppliedPatch:
    """Write ``plan``: check, back up the original, then replace the file atomically.

    The folder is locked meanwhile, so two safepip runs never both write (safepip.applying.lock).
    When the file changed since the plan read it (the other run got there first, or the user
    edited it while safepip asked), ``replan`` computes the same change on what the file holds
    now: nothing left to do (the other run declared the requirement) is a success without a
    write; the same change on the new content is applied (``rebased``). Without ``replan``, or
    when the change would now be a different one, nothing is written (PatchError).

    Refuses too (PatchError, nothing written) when the file or its directory is read-only.
    Read-only means what ``os.access`` says *or* no write bit in the mode at all: root may write
    anywhere, but a file someone made read-only (chmod a-w) is a statement we honour for root too.
    """
    # A symbolic link is written through when it points inside the project (the plan names
    # that file already): the file is replaced, so the link stays a link. A link out of the
    # project is refused, also one that appeared since the plan was made.
    target = os.path.realpath(real_pyproject(plan.path))
    if not plan.changed:
        return AppliedPatch(plan.path, target, None)
    directory = os.path.dirname(target)
    timeout = DEFAULT_TIMEOUT if lock_timeout is None else lock_timeout
    with folder_lock(directory, timeout=timeout):
        current = _read_bytes(target)
        rebased = False
        if _stale(plan, current):
            fresh = replan() if replan is not None else None
            if fresh is not None and not fresh.changed:
                return AppliedPatch(plan.path, target, None, already_done=True)
            if fresh is None or fresh.summary != plan.summary or _stale(fresh, current):
                raise PatchError(
                    f"{plan.path} changed since it was read; nothing written, please run "
                    "safepip again"
                )
            plan, rebased = fresh, True
        backup_path = replace_file(
            plan.path,
            target,
            plan.new,
            original=plan.original if plan.existed else None,
            backup=backup,
        )
    return AppliedPatch(plan.path, target, backup_path, rebased=rebased)


def _stale(plan: PatchPlan, current: bytes | None) -> bool:
    """Whether the file no longer holds what ``plan`` was computed from."""
    return (current is None) == plan.existed or (current is not None and current != plan.original)


# --- Changes, planned ------------------------------------------------------------------------


class _Patcher:
    """The :class:`~safepip.changes.Planner` each ``Change`` plans itself through."""

    def add_requirement(
        self, pyproject: str, requirement: str, *, create_if_missing: bool
    ) -> PatchPlan:
        return plan_add_requirement(pyproject, requirement, create_if_missing=create_if_missing)

    def constrain_requirement(self, pyproject: str, name: str, specifier: str) -> PatchPlan:
        return plan_constrain_requirement(pyproject, name, specifier)

    def set_backend(self, pyproject: str, backend: str) -> PatchPlan:
        return plan_set_backend(pyproject, backend)


PATCHER = _Patcher()


def plan_change(pyproject: str, change: Change, *, create_if_missing: bool = False) -> PatchPlan:
    """``change`` planned against ``pyproject``: the new bytes and the diff, nothing written.

    The plan names the file that changes: a link's target inside the project, never the link.
    """
    return change.plan(PATCHER, real_pyproject(pyproject), create_if_missing=create_if_missing)


def plan_changes(
    pyproject: str, changes: Sequence[Change], *, create_if_missing: bool = False
) -> PatchPlan:
    """One plan for all of a file's changes: each is planned on a scratch copy in turn, so that
    the user sees (and approves) a single diff."""
    pyproject = real_pyproject(pyproject)
    if len(changes) == 1:
        return plan_change(pyproject, changes[0], create_if_missing=create_if_missing)
    original = _read_bytes(pyproject)
    if original is None:
        raise PatchError(f"cannot read {pyproject}: it does not exist")
    scratch = tempfile.mkdtemp(prefix="safepip-doctor-")
    try:
        copy = os.path.join(scratch, "pyproject.toml")
        with open(copy, "wb") as file:
            file.write(original)
        summaries = []
        for change in changes:
            step = plan_change(copy, change, create_if_missing=create_if_missing)
            apply_plan(step, backup=False)
            summaries.append(step.summary)
        with open(copy, "rb") as file:
            new = file.read()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return PatchPlan(pyproject, original, new, summary="; ".join(s for s in summaries if s))


# --- Display -----------------------------------------------------------------------------------


def _display_path(path: str) -> str:
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # Windows: another drive
        return absolute
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute.lstrip(os.sep)
    return relative


def _display_lines(data: bytes) -> list[str]:
    text = tomlfile.split_bom(data)[1]
    lines = [line.rstrip("\r\n") + "\n" for line in split_lines(text.decode("utf-8", "replace"))]
    if lines and not data.endswith(b"\n"):
        lines[-1] += "\\ No newline at end of file\n"
    return lines
