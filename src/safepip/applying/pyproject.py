"""Patching ``[build-system]`` in a pyproject.toml without disturbing anything else in it.

A plan is computed first (``plan_add_requirement``, ``plan_constrain_requirement``,
``plan_set_backend``): the original bytes, the new bytes and a unified diff to show the user.
Nothing is written until ``apply_plan``, which re-reads the file, keeps a backup and replaces the
file atomically.

How the edit keeps every other byte: tomlkit parses the document and tells us where the
``requires`` array (or the ``build-backend`` string) is, but the new text of that one value is
written here, from the value's own source text, so that the result does not depend on how a given
tomlkit version formats arrays it appends to. The document is then rendered by tomlkit with only
that value replaced, and the result is parsed again and compared with what the change should
mean; a mismatch refuses the change rather than writing a surprise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import re
import secrets
import time
from typing import TYPE_CHECKING, Any, Callable, NamedTuple

from safepip.errors import SafepipError

if TYPE_CHECKING:
    from packaging.requirements import Requirement
    from packaging.specifiers import Specifier, SpecifierSet
    from packaging.version import Version
    from tomlkit.container import OutOfOrderTableProxy
    from tomlkit.items import Array, InlineTable, Item, Table
    from tomlkit.toml_document import TOMLDocument

__all__ = [
    "BACKUP_SUFFIX",
    "TEMP_PREFIX",
    "AppliedPatch",
    "PatchError",
    "PatchPlan",
    "apply_plan",
    "plan_add_requirement",
    "plan_constrain_requirement",
    "plan_set_backend",
    "remove_stray_temporaries",
]

#: Temporary files are named ``.pyproject.toml.safepip-<random>.tmp`` in the file's directory, so
#: that a later run can recognise (and remove) what an interrupted run left behind.
TEMP_PREFIX = ".pyproject.toml.safepip-"
#: The backup of the original sits next to it: ``pyproject.toml.safepip-backup`` (then ``.1``...).
BACKUP_SUFFIX = ".safepip-backup"

#: What pip assumes when a project declares no ``[build-system] requires`` at all (PEP 518). A
#: ``requires`` created from nothing starts from it, or the build would lose its setuptools.
PIP_DEFAULT_REQUIRES = ("setuptools>=40.8.0",)
#: The backend pip falls back to when none is named; written into a pyproject.toml created anew.
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"

_UTF8_BOM = b"\xef\xbb\xbf"
# A PEP 517 backend path: a dotted module, optionally ``:`` and a dotted object inside it.
_BACKEND_RE = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*)?$")
# The leading name of a requirement string, for items packaging cannot parse at all.
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


class PatchError(SafepipError):
    """A pyproject.toml that cannot be patched (unreadable, invalid, read-only): nothing written."""


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
        import difflib

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


if TYPE_CHECKING:
    _Table = Table | InlineTable | OutOfOrderTableProxy


class _Source(NamedTuple):
    path: str
    original: bytes
    bom: bool
    text: str  # without the BOM
    newline: str  # the file's line ending, for the lines we add
    doc: TOMLDocument


def _read_bytes(path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist. Any other failure is a PatchError."""
    from safepip.tomlerrors import MAX_PYPROJECT_BYTES, describe_too_large

    try:
        with open(path, "rb") as file:
            data = file.read(MAX_PYPROJECT_BYTES + 1)
    except FileNotFoundError:
        if os.path.islink(path):
            raise PatchError(f"cannot read {path}: it is a broken symbolic link") from None
        return None
    except IsADirectoryError:
        raise PatchError(f"cannot read {path}: it is a directory") from None
    except PermissionError:
        # Windows reports a directory opened as a file as permission denied, too.
        if os.path.isdir(path):
            raise PatchError(f"cannot read {path}: it is a directory") from None
        raise PatchError(f"cannot read {path}: permission denied") from None
    except OSError as exc:
        raise PatchError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PYPROJECT_BYTES:
        raise PatchError(describe_too_large(path))
    return data


def _decode(path: str, original: bytes) -> tuple[bool, str]:
    bom = original.startswith(_UTF8_BOM)
    body = original[len(_UTF8_BOM) :] if bom else original
    try:
        return bom, body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(_UTF8_BOM) if bom else 0)
        raise PatchError(
            f"{path} is not UTF-8 text (byte 0x{body[exc.start]:02x} at offset {offset}); "
            "TOML files must be UTF-8"
        ) from None


def _parse(path: str, text: str) -> TOMLDocument:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from safepip.tomlerrors import describe_tomlkit_error

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise PatchError(describe_tomlkit_error(path, exc)) from None
    if doc.as_string() != text:
        # Everything below relies on tomlkit reproducing the file exactly.
        raise PatchError(f"{path} cannot be edited safely: tomlkit does not reproduce it exactly")
    return doc


def _load(path: str) -> _Source | None:
    original = _read_bytes(path)
    if original is None:
        return None
    bom, text = _decode(path, original)
    doc = _parse(path, text)
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
    from tomlkit.container import OutOfOrderTableProxy
    from tomlkit.items import InlineTable, Table

    table = source.doc.get("build-system")
    if table is None:
        return None
    # A table whose keys are spread over the document (dotted keys on several lines, or a header
    # and a sub-table apart) comes back from tomlkit 0.15 as an OutOfOrderTableProxy.
    if not isinstance(table, (Table, InlineTable, OutOfOrderTableProxy)):
        raise PatchError(f"build-system in {source.path} is not a table")
    return table


def _requires(source: _Source, table: _Table) -> Array | None:
    from tomlkit.items import Array

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
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(requirement)
    except InvalidRequirement as exc:
        # packaging's message spans lines (the text, then a caret under it): keep the first.
        reason = str(exc).splitlines()[0] if str(exc) else "cannot parse it"
        raise PatchError(f"not a valid requirement: {requirement!r} ({reason})") from None


def _canonical_name(requirement: str) -> str | None:
    """The normalised distribution name of a requirement string, even a malformed one."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        match = _NAME_RE.match(requirement)
        return canonicalize_name(match.group(1)) if match else None


def _declared(items: list[str], name: str) -> list[int]:
    from packaging.utils import canonicalize_name

    wanted = canonicalize_name(name)
    return [index for index, item in enumerate(items) if _canonical_name(item) == wanted]


# --- TOML text ---------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "open", "close", "ws", "nl", "comment", "comma", "value"
    start: int
    end: int


_ARRAY_TOKEN = re.compile(
    r"""
    (?P<nl>\r?\n)
    | (?P<ws>[ \t]+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<comma>,)
    | (?P<open>\[)
    | (?P<close>\])
    | (?P<value>
        \"\"\"(?:[^\\]|\\.)*?\"\"\"\"{0,2}   # multi-line basic string
      | '''[\s\S]*?''''{0,2}                 # multi-line literal string
      | "(?:[^"\\\r\n]|\\.)*"               # basic string
      | '[^'\r\n]*'                          # literal string
    )
    """,
    re.VERBOSE | re.DOTALL,
)


def _scan_array(text: str) -> list[_Token]:
    """Tokens of a TOML array of strings, from its exact source text (``[`` to ``]``)."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _ARRAY_TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise ValueError(f"unexpected text in the array at {position}: {text[position:]!r}")
        tokens.append(_Token(match.lastgroup, match.start(), match.end()))
        position = match.end()
    if not tokens or tokens[0].kind != "open" or tokens[-1].kind != "close":
        raise ValueError("not an array")
    if any(token.kind in {"open", "close"} for token in tokens[1:-1]):
        raise ValueError("a nested array")
    return tokens


def _encode_string(value: str, *, literal: bool) -> str:
    """``value`` as a TOML string: a literal string if asked and possible, else a basic one."""
    if literal and "'" not in value and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return f"'{value}'"
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def _is_literal(token_text: str) -> bool:
    return token_text.startswith("'")


def _array_literal_style(text: str, tokens: list[_Token]) -> bool:
    """Whether the array's items are all single-quoted literal strings (and there are some)."""
    values = [text[token.start : token.end] for token in tokens if token.kind == "value"]
    return bool(values) and all(_is_literal(value) for value in values)


def _append_to_array(text: str, value: str, newline: str) -> str:
    """The array's source text with ``value`` appended as its last item, in the array's style."""
    tokens = _scan_array(text)
    values = [token for token in tokens if token.kind == "value"]
    item = _encode_string(value, literal=_array_literal_style(text, tokens))
    multiline = "\n" in text
    if "\r\n" in text:
        newline = "\r\n"
    if not values:
        return _fill_empty_array(text, tokens, item, newline)

    last = values[-1]
    after = tokens[tokens.index(last) + 1 : -1]
    comma = next((token for token in after if token.kind == "comma"), None)
    line_start = text.rfind("\n", 0, last.start) + 1
    own_line = line_start > 0 and not text[line_start : last.start].strip()
    if not multiline or not own_line:
        # Same line as the last item: the separator the previous items use, else ", ".
        separator = ", "
        if len(values) >= 2:
            between = text[values[-2].end : last.start]
            if "\n" not in between and "#" not in between:
                separator = between
        return text[: last.end] + separator + item + text[last.end :]

    # One item per line: a new line indented like the last item; a trailing comma if the last
    # item has one, and if it has none, a comma after it and none after the new one.
    indent = text[line_start : last.start]
    anchor = comma or last
    end_of_line = text.find("\n", anchor.end)
    if end_of_line != -1 and text[end_of_line - 1] == "\r":
        end_of_line -= 1
    if end_of_line == -1:  # the closing bracket is on the last item's line
        end_of_line = anchor.end
    if comma is not None:
        return text[:end_of_line] + newline + indent + item + "," + text[end_of_line:]
    return (
        text[: last.end]
        + ","
        + text[last.end : end_of_line]
        + newline
        + indent
        + item
        + text[end_of_line:]
    )


def _fill_empty_array(text: str, tokens: list[_Token], item: str, newline: str) -> str:
    if "\n" not in text:
        # "[]" becomes '["x"]' and "[ ]" becomes '[ "x" ]': the spacing inside is kept.
        padding = text[1:-1]
        return f"[{padding}{item}{padding}]"
    # An empty multi-line array (perhaps holding comments): the item on a line of its own before
    # the line that closes it, indented like the comments in it, with a trailing comma.
    indent = "    "
    for token in tokens:
        if token.kind == "comment":
            line_start = text.rfind("\n", 0, token.start) + 1
            if line_start and not text[line_start : token.start].strip():
                indent = text[line_start : token.start]
                break
    end = text.rfind("\n")
    if end > 0 and text[end - 1] == "\r":
        end -= 1
    return text[:end] + newline + indent + item + "," + text[end:]


def _replace_in_array(text: str, index: int, value: str) -> str:
    """The array's source text with item ``index`` replaced by ``value``, quoted as it was."""
    tokens = _scan_array(text)
    token = [token for token in tokens if token.kind == "value"][index]
    item = _encode_string(value, literal=_is_literal(text[token.start : token.end]))
    return text[: token.start] + item + text[token.end :]


_MARKER = "\x00safepip-value\x00"


def _render_replacing(source: _Source, item: Item, value_text: str) -> str:
    """The document's text with ``item``'s own text (not its key or comment) replaced.

    tomlkit renders every value through its ``as_string()``: shadowing that one method on this
    one object marks exactly where the value sits, whatever the form of the table (a header, a
    dotted key, an inline table) and without touching the key, the comment or the whitespace.
    """
    item.__dict__["as_string"] = lambda: _MARKER
    try:
        rendered = source.doc.as_string()
    finally:
        del item.__dict__["as_string"]
    if rendered.count(_MARKER) != 1:
        raise _unsafe(source)
    return rendered.replace(_MARKER, value_text)


def _add_key(source: _Source, table: _Table, key: str, value_text: str) -> str:
    """The document's text with ``key = <value_text>`` added as the table's last key."""
    import tomlkit
    from tomlkit.container import OutOfOrderTableProxy
    from tomlkit.items import InlineTable, Table

    pair = f"{key} = {value_text}"
    if isinstance(table, InlineTable):
        # tomlkit's own insertion into an inline table loses the space before "}" (0.15.2):
        # insert the pair in the table's source text instead, keeping its spacing.
        body = table.as_string().rstrip()
        if not body.endswith("}"):
            raise _unsafe(source)
        inner = body[:-1].rstrip()
        if inner.endswith("{"):
            return _render_replacing(source, table, f"{{ {pair} }}")
        padding = body[len(inner) : -1]
        return _render_replacing(source, table, f"{inner}, {pair}{padding}}}")
    # A header table or dotted keys: tomlkit places a new last key well (before the blank lines
    # that end the table). The value is a placeholder so that its text is ours, not tomlkit's;
    # the edit happens on a copy, so the parsed document stays what the file holds.
    placeholder = f"safepip-placeholder-{secrets.token_hex(8)}"
    copy = tomlkit.parse(source.text)
    copy_table = copy["build-system"]
    if isinstance(copy_table, Table):
        copy_table.add(key, tomlkit.string(placeholder))
    elif isinstance(copy_table, OutOfOrderTableProxy):
        copy_table[key] = tomlkit.string(placeholder)
    else:
        raise _unsafe(source)
    rendered = copy.as_string()
    quoted = f'"{placeholder}"'
    if rendered.count(quoted) != 1:
        raise _unsafe(source)
    rendered = rendered.replace(quoted, value_text)
    if "\r\n" in source.text and not re.search(r"(?<!\r)\n", source.text):
        # tomlkit ends the lines it adds with "\n": match a file that uses "\r\n" throughout.
        rendered = re.sub(r"(?<!\r)\n", "\r\n", rendered)
    return rendered


def _add_build_system(source: _Source, requires_text: str) -> str:
    """The document's text with a new ``[build-system]`` table holding ``requires``.

    Placement: before the first table, after any leading comment block that a blank line
    separates from it (a file header stays on top; comments directly above the first table stay
    with that table). A document whose first content is a top-level key gets the table at its end
    instead, since a table header above those keys would capture them.
    """
    text, newline = source.text, source.newline
    block = f"[build-system]{newline}requires = {requires_text}{newline}"
    lines = _lines(text)
    index, after_blank = 0, 0
    while index < len(lines) and (not lines[index].strip() or lines[index].lstrip()[0] == "#"):
        if not lines[index].strip():
            after_blank = index + 1
        index += 1
    if index < len(lines) and lines[index].lstrip().startswith("["):
        return "".join(lines[:after_blank]) + block + newline + "".join(lines[after_blank:])
    if text and not text.endswith("\n"):
        text += newline
    if text.strip() and lines[-1].strip():
        text += newline
    return text + block


# --- Checking the result -----------------------------------------------------------------------


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
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    expected = source.doc.unwrap()
    change(expected)
    try:
        result = tomlkit.parse(new_text).unwrap()
    except TOMLKitError:
        raise _unsafe(source) from None
    if not _same(result, expected):
        raise _unsafe(source)
    new = (_UTF8_BOM if source.bom else b"") + new_text.encode("utf-8")
    return PatchPlan(source.path, source.original, new, summary=summary)


def _set_requires(requires: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document.setdefault("build-system", {})["requires"] = list(requires)

    return change


def _default_requires(table: _Table | None, name: str) -> list[str]:
    """What a ``requires`` created from nothing starts with: pip's default when the project's
    backend is (implicitly) setuptools, unless setuptools is what is being added."""
    from packaging.utils import canonicalize_name

    backend = table.get("build-backend") if table is not None else None
    uses_setuptools = not isinstance(backend, str) or backend.startswith("setuptools.")
    if not uses_setuptools or canonicalize_name(name) == "setuptools":
        return []
    return list(PIP_DEFAULT_REQUIRES)


def _inline_array(items: list[str]) -> str:
    return "[" + ", ".join(_encode_string(item, literal=False) for item in items) + "]"


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
    parsed = _parse_requirement(requirement)
    summary = f"add {requirement} to [build-system] requires"
    source = _require(path, create_if_missing)
    if source is None:
        return _plan_new_file(path, requirement, parsed.name, legacy_backend_if_created)
    table = _build_system(source)
    requires = _requires(source, table) if table is not None else None
    if table is None or requires is None:
        items = [*_default_requires(table, parsed.name), requirement]
        if table is None:
            new_text = _add_build_system(source, _inline_array(items))
        else:
            new_text = _add_key(source, table, "requires", _inline_array(items))
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
    try:
        array_text = _append_to_array(requires.as_string(), requirement, source.newline)
    except ValueError:
        raise _unsafe(source) from None
    new_text = _render_replacing(source, requires, array_text)
    return _finish(source, new_text, _set_requires([*items, requirement]), summary)


def _plan_new_file(path: str, requirement: str, name: str, legacy_backend: bool) -> PatchPlan:
    items = [*_default_requires(None, name), requirement]
    text = f"[build-system]\nrequires = {_inline_array(items)}\n"
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
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

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
            try:
                array_text = _replace_in_array(array_text, index, merged)
            except ValueError:
                raise _unsafe(source) from None
    if new_items == items:
        return PatchPlan(
            path, source.original, source.original, already_declared=items[declared[0]]
        )
    new_text = _render_replacing(source, requires, array_text)
    return _finish(source, new_text, _set_requires(new_items), summary)


def _merge_specifier(path: str, item: str, wanted: SpecifierSet) -> str:
    """``item`` with each specifier in ``wanted`` that it does not already imply merged in."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(item)
    except InvalidRequirement as exc:
        raise PatchError(f"[build-system] requires in {path} holds {item!r}: {exc}") from None
    if requirement.url:
        raise PatchError(
            f"[build-system] requires in {path} names {requirement.name} by URL ({item!r}); "
            f"a version constraint ({wanted}) cannot apply to it"
        )
    missing = [spec for spec in wanted if not _implied(requirement.specifier, spec)]
    if not missing:
        return item
    _check_satisfiable(path, item, requirement.specifier, missing)
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
        or check.specifier != requirement.specifier & _specifier_set(missing)
    ):
        raise PatchError(f"cannot merge {wanted} into {item!r} in {path}; please edit it by hand")
    return merged


def _specifier_set(specs: list[Specifier]) -> SpecifierSet:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(",".join(str(spec) for spec in specs))


def _bumped(version: Version, prefix: int) -> Version:
    """The first version past the first ``prefix`` components of ``version``: (1.4.5, 2) -> 1.5."""
    from packaging.version import Version

    release = list(version.release[:prefix]) or [0]
    release[-1] += 1
    return Version(".".join(map(str, release)))


def _upper(spec: Specifier) -> tuple[Version, bool] | None:
    """The upper bound a specifier sets: (version, whether the version itself is allowed)."""
    from packaging.version import InvalidVersion, Version

    operator, raw = spec.operator, spec.version
    try:
        if operator == "==" and raw.endswith(".*"):
            base = Version(raw[:-2])
            return _bumped(base, len(base.release)), False
        version = Version(raw)
    except InvalidVersion:
        return None
    if operator == "<":
        return version, False
    if operator in {"<=", "==", "==="}:
        return version, True
    if operator == "~=":
        return _bumped(version, len(version.release) - 1), False
    return None


def _lower(spec: Specifier) -> tuple[Version, bool] | None:
    """The lower bound a specifier sets: (version, whether the version itself is allowed)."""
    from packaging.version import InvalidVersion, Version

    operator, raw = spec.operator, spec.version
    try:
        version = Version(raw[:-2] if raw.endswith(".*") else raw)
    except InvalidVersion:
        return None
    if operator == ">":
        return version, False
    if operator in {">=", "==", "===", "~="}:
        return version, True
    return None


def _implied(existing: SpecifierSet, spec: Specifier) -> bool:
    """Whether every version ``existing`` allows is also allowed by ``spec`` (conservatively)."""
    if any(str(have) == str(spec) for have in existing):
        return True
    wanted = _upper(spec) if spec.operator in {"<", "<="} else None
    if wanted is not None:
        for have in existing:
            bound = _upper(have)
            if bound is not None and (
                bound[0] < wanted[0] or (bound[0] == wanted[0] and (wanted[1] or not bound[1]))
            ):
                return True
        return False
    wanted = _lower(spec) if spec.operator in {">", ">="} else None
    if wanted is not None:
        for have in existing:
            bound = _lower(have)
            if bound is not None and (
                bound[0] > wanted[0] or (bound[0] == wanted[0] and (wanted[1] or not bound[1]))
            ):
                return True
    return False


def _check_satisfiable(
    path: str, item: str, existing: SpecifierSet, missing: list[Specifier]
) -> None:
    """Refuse a merge whose bounds exclude every version (``>=83`` with ``<82``)."""
    lows = [bound for bound in map(_lower, existing) if bound is not None]
    highs = [bound for bound in map(_upper, missing) if bound is not None]
    lows += [bound for bound in map(_lower, missing) if bound is not None]
    highs += [bound for bound in map(_upper, existing) if bound is not None]
    for low, low_inclusive in lows:
        for high, high_inclusive in highs:
            if low > high or (low == high and not (low_inclusive and high_inclusive)):
                addition = ",".join(str(spec) for spec in missing)
                raise PatchError(
                    f"[build-system] requires in {path} declares {item!r}, which conflicts "
                    f"with {addition}; please resolve it by hand"
                )


def plan_set_backend(path: str, backend: str) -> PatchPlan:
    """Set ``[build-system] build-backend`` to ``backend``, keeping its quoting and comment."""
    from tomlkit.items import String

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
        new_text = _add_key(source, table, "build-backend", _encode_string(backend, literal=False))
        return _finish(source, new_text, change, summary)
    if not isinstance(current, String):
        raise PatchError(f"[build-system] build-backend in {path} is not a string")
    if str(current) == backend:
        return PatchPlan(path, source.original, source.original)
    literal = _is_literal(current.as_string())
    new_text = _render_replacing(source, current, _encode_string(backend, literal=literal))
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
    from safepip.applying.lock import DEFAULT_TIMEOUT, folder_lock

    # A symbolic link is written through: the file it points to is replaced, so the link stays
    # a link (replacing the link itself would silently detach it from the shared file).
    target = os.path.realpath(plan.path)
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
        status = os.stat(target) if plan.existed else None
        _check_writable(plan.path, target, directory, status)
        # What a run killed mid-write left here goes now, under the lock (docs/patching.md).
        remove_stray_temporaries(directory)
        backup_path = _write_backup(target, plan.original, status) if backup and status else None
        temporary = None
        try:
            temporary = _write_temporary(directory, plan.new, status)
            os.replace(temporary, target)
            temporary = None
        except OSError as exc:
            if backup_path is not None:  # the original is untouched: its copy is not needed
                _remove_quietly(backup_path)
            raise PatchError(f"cannot write {plan.path}: {exc.strerror or exc}") from None
        finally:
            if temporary is not None:
                _remove_quietly(temporary)
        _fsync_directory(directory)
    return AppliedPatch(plan.path, target, backup_path, rebased=rebased)


def _stale(plan: PatchPlan, current: bytes | None) -> bool:
    """Whether the file no longer holds what ``plan`` was computed from."""
    return (current is None) == plan.existed or (current is not None and current != plan.original)


def _check_writable(path: str, target: str, directory: str, status: os.stat_result | None) -> None:
    import stat

    if status is not None and (
        not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        or not os.access(target, os.W_OK)
    ):
        raise PatchError(
            f"{path} is read-only: make it writable (chmod u+w) or add the change by hand"
        )
    try:
        directory_mode = os.stat(directory).st_mode
    except OSError as exc:
        raise PatchError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    if not directory_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        directory, os.W_OK | os.X_OK
    ):
        raise PatchError(
            f"cannot write {path}: its directory {directory} is read-only "
            "(safepip writes a new file next to it and renames it into place)"
        )


def _write_backup(target: str, original: bytes, status: os.stat_result) -> str:
    """Copy the original to the first free backup name; never overwrites an existing file.

    The copy is written and synced under a temporary name first, then linked to its name: a
    kill at any moment leaves either no backup or a whole one (and at worst a stray temporary
    file, which remove_stray_temporaries cleans up).
    """
    base = target + BACKUP_SUFFIX
    try:
        temporary = _write_temporary(os.path.dirname(target) or os.curdir, original, status)
    except OSError as exc:
        raise PatchError(f"cannot write a backup of {target}: {exc.strerror}") from None
    try:
        for number in range(1000):
            candidate = base if number == 0 else f"{base}.{number}"
            try:
                os.link(temporary, candidate)  # atomic, and never replaces an existing file
            except FileExistsError:
                continue
            except OSError as exc:
                raise PatchError(f"cannot write the backup {candidate}: {exc.strerror}") from None
            return candidate
    finally:
        _remove_quietly(temporary)
    raise PatchError(f"too many backups of {target}; remove old {BACKUP_SUFFIX}.N files")


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _write_temporary(directory: str, data: bytes, status: os.stat_result | None) -> str:
    """A new file in ``directory`` holding ``data``, synced to disk, with the original's mode."""
    while True:
        path = os.path.join(directory, f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp")
        try:
            # A new pyproject.toml gets the usual 0o666 minus the umask, like any new file.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
        except FileExistsError:
            continue
        break
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if status is not None:
            os.chmod(path, status.st_mode & 0o7777)
            _keep_owner(path, status)
    except BaseException:
        _remove_quietly(path)
        raise
    return path


def _keep_owner(path: str, status: os.stat_result) -> None:
    """Root patching a user's project must not leave the file owned by root."""
    chown = getattr(os, "chown", None)
    if chown is None or (status.st_uid, status.st_gid) == (os.geteuid(), os.getegid()):
        return
    # Only root may give a file away; anyone else keeps their own ownership.
    with contextlib.suppress(OSError):
        chown(path, status.st_uid, status.st_gid)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable, where directories can be opened (not on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename has still happened
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def remove_stray_temporaries(directory: str, *, min_age: float = 60.0) -> list[str]:
    """Remove temporary files an interrupted run left in ``directory``; return their paths.

    Only files named ``.pyproject.toml.safepip-*`` and at least ``min_age`` seconds old, so a run
    that is writing at this very moment keeps its file.
    """
    import stat

    removed: list[str] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in sorted(names):
        if not name.startswith(TEMP_PREFIX):
            continue
        path = os.path.join(directory, name)
        try:
            status = os.lstat(path)
            if not stat.S_ISREG(status.st_mode) or now - status.st_mtime < min_age:
                continue
            os.remove(path)
        except OSError:
            continue
        removed.append(path)
    return removed


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
    text = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    lines = [line.rstrip("\r\n") + "\n" for line in _lines(text.decode("utf-8", "replace"))]
    if lines and not data.endswith(b"\n"):
        lines[-1] += "\\ No newline at end of file\n"
    return lines


def _lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only (``str.splitlines`` also splits at form
    feeds and U+2028, which TOML comments and strings may hold)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)
