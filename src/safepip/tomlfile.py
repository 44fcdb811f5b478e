"""Reading a TOML file (a pyproject.toml, safepip's config.toml): one size cap, one treatment of
the byte order mark and of the encoding, one wording for what is wrong, and the line of a key.

Whoever reads such a file goes through here: the static check (``deciding/static.py``), the
patcher (``applying/pyproject.py``), the configuration (``config.py``), the GitHub annotations
(``reporting/github.py``) and the diagnosis (:func:`read_build_system`). A file that cannot be
used raises :class:`TomlFileError`, one line, which the caller re-raises as its own error:

- ``PATH is larger than 1 MiB; safepip does not read a pyproject.toml that large: ...``
- ``PATH is not UTF-8 text (byte 0xff at offset 12); TOML files must be UTF-8``
- ``PATH is not valid TOML (line 3, column 18): Unexpected character: 'l'``

Plain values are parsed with pip's own parser (``tomllib``, or ``tomli`` before Python 3.11;
tomlkit when neither is there), so "not valid TOML" means what pip would say too; a document to
edit is parsed with tomlkit, which keeps every byte.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tomlkit.exceptions import TOMLKitError
    from tomlkit.toml_document import TOMLDocument

from safepip.errors import SafepipError

__all__ = [
    "MAX_PYPROJECT_BYTES",
    "UTF8_BOM",
    "KeyLines",
    "TomlFileError",
    "decode",
    "describe_too_large",
    "file_to_name",
    "parse_document",
    "parse_plain",
    "read_build_system",
    "read_bytes",
    "real_file",
    "refuse_bom",
    "split_bom",
    "toml_parser",
]

#: A pyproject.toml larger than this is not read: real ones are a few kilobytes, and a crafted
#: megabytes-long ``requires`` array would keep the patcher busy for a minute (5 MB: 40 s).
MAX_PYPROJECT_BYTES = 1024 * 1024

UTF8_BOM = b"\xef\xbb\xbf"


class TomlFileError(SafepipError):
    """A TOML file that cannot be used; the message is the one line to show."""


# --- Bytes and text ----------------------------------------------------------------------------


def describe_too_large(path: str) -> str:
    return (
        f"{path} is larger than {MAX_PYPROJECT_BYTES // (1024 * 1024)} MiB; safepip does not read "
        "a pyproject.toml that large: please make the change by hand"
    )


def read_bytes(path: str) -> bytes | None:
    """The file's bytes (at most MAX_PYPROJECT_BYTES), or None when it does not exist.

    A broken symbolic link, a directory, anything but a regular file (a FIFO would block the
    read forever, a device never end), a file that cannot be read or one over the cap is a
    TomlFileError. So is a path with a NUL in it (it can come from pip's output).
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; cleared once it is a file.
        fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY | _O_CLOEXEC)
    except FileNotFoundError:
        if os.path.islink(path):
            raise TomlFileError(f"cannot read {path}: it is a broken symbolic link") from None
        return None
    except IsADirectoryError:
        raise TomlFileError(f"cannot read {path}: it is a directory") from None
    except PermissionError:
        # Windows reports a directory opened as a file as permission denied, too.
        if os.path.isdir(path):
            raise TomlFileError(f"cannot read {path}: it is a directory") from None
        raise TomlFileError(f"cannot read {path}: permission denied") from None
    except ValueError:  # a NUL in the path
        raise TomlFileError(f"cannot read {path!r}: a path cannot hold a NUL") from None
    except OSError as exc:
        raise TomlFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return _read_regular(path, fd)
    finally:
        os.close(fd)


def _read_regular(path: str, fd: int) -> bytes:
    """What the open ``fd`` holds, if it is a regular file (and not too large)."""
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise TomlFileError(f"cannot read {path}: it is a directory")
        if not stat.S_ISREG(mode):
            raise TomlFileError(f"cannot read {path}: it is not a regular file")
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(MAX_PYPROJECT_BYTES + 1)
    except OSError as exc:
        raise TomlFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PYPROJECT_BYTES:
        raise TomlFileError(describe_too_large(path))
    return data


_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


def real_file(path: str) -> str:
    """The file a change to ``path`` would be written to, named as the user would see it.

    ``path`` itself when it is not a symbolic link; the file a link points to when that is
    inside the link's own folder (the project), named from that folder, so that the diff and the
    question name the file that changes. A link that leads outside the project is refused
    (TomlFileError): its target is a file the user did not name, perhaps shared by other
    projects or not theirs at all.
    """
    if not os.path.islink(path) or not os.path.exists(path):
        return path  # a broken link is refused by whoever reads it, in its own words
    folder = os.path.dirname(path)
    real_folder = os.path.realpath(folder or os.curdir)
    real = os.path.realpath(path)
    if os.path.commonpath([real, real_folder]) != real_folder:
        raise TomlFileError(
            f"{path} is a symbolic link to {real}, outside its project folder {real_folder}; "
            f"safepip changes no file outside the project: make the change in {real} yourself, "
            "or replace the link with a copy of the file; nothing written"
        )
    return os.path.join(folder, os.path.relpath(real, real_folder))


def file_to_name(path: str) -> str:
    """:func:`real_file` for naming a proposal: a link that leads outside the project keeps
    its own name (the patcher refuses it in its own words when the fix is planned)."""
    try:
        return real_file(path)
    except TomlFileError:
        return path


def split_bom(data: bytes) -> tuple[bool, bytes]:
    """(whether ``data`` starts with a UTF-8 byte order mark, the bytes after it)."""
    if data.startswith(UTF8_BOM):
        return True, data[len(UTF8_BOM) :]
    return False, data


def refuse_bom(path: str, data: bytes) -> None:
    """pip reads pyproject.toml as plain UTF-8, so a BOM reaches its TOML parser, which rejects
    it at line 1, column 1: the build fails before it starts."""
    if data.startswith(UTF8_BOM):
        raise TomlFileError(
            f"{path} is not valid TOML for pip (line 1, column 1): it starts with a byte order "
            "mark (BOM); save it as UTF-8 without BOM"
        )


def decode(path: str, data: bytes, *, offset: int = 0) -> str:
    """``data`` as UTF-8 text; ``offset`` is where ``data`` starts in the file (after a BOM)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TomlFileError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start + offset}); TOML files must be UTF-8"
        ) from None


# --- Parsing -----------------------------------------------------------------------------------


def toml_parser() -> tuple[Callable[[str], dict[str, Any]], type[ValueError]] | None:
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


_POSITION = re.compile(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", re.DOTALL)


def parse_plain(path: str, text: str) -> dict[str, Any]:
    """The document as plain Python values, parsed the way pip parses it."""
    parser = toml_parser()
    if parser is None:
        import tomlkit
        from tomlkit.exceptions import TOMLKitError

        try:
            value: dict[str, Any] = tomlkit.parse(text).unwrap()
        except TOMLKitError as exc:
            raise TomlFileError(describe_tomlkit_error(path, exc)) from None
        return value
    loads, error = parser
    try:
        return loads(text)
    except error as exc:
        message = str(exc).splitlines()[0] if str(exc) else "cannot parse it"
        match = _POSITION.match(message)
        if match:
            reason, line, column = match.group(1), int(match.group(2)), int(match.group(3))
        else:  # "(at end of document)"
            reason = re.sub(r"\s*\(at end of document\)$", "", message)
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        raise TomlFileError(
            f"{path} is not valid TOML (line {line}, column {column}): {reason.rstrip('.')}"
        ) from None


def parse_document(path: str, text: str) -> TOMLDocument:
    """The document as tomlkit holds it (every byte kept), for editing."""
    # tomlkit is imported here, for an edit only: reading plain values uses pip's own parser.
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        return tomlkit.parse(text)
    except TOMLKitError as exc:
        raise TomlFileError(describe_tomlkit_error(path, exc)) from None
    except RecursionError:  # tomlkit before 0.15.1 has no depth limit of its own
        raise TomlFileError(
            f"{path} is not valid TOML for safepip: its values are nested too deeply"
        ) from None


def describe_tomlkit_error(path: str, exc: TOMLKitError) -> str:
    """``PATH is not valid TOML (line L, column C): reason``, from a tomlkit error."""
    from tomlkit.exceptions import ParseError

    if isinstance(exc, ParseError):
        # tomlkit appends " at line L col C" to its message, and counts columns from 0.
        reason = re.sub(r" at line \d+ col \d+$", "", str(exc)).rstrip(".")
        return f"{path} is not valid TOML (line {exc.line}, column {exc.col + 1}): {reason}"
    # A duplicate key is reported without a position.
    return f"{path} is not valid TOML: {str(exc).rstrip('.')}"


def read_build_system(path: str) -> dict[str, Any] | None:
    """The ``[build-system]`` table of a pyproject.toml as plain values; None when the file is
    absent, unreadable, over the cap, not UTF-8 (a BOM included, as pip refuses it), not valid
    TOML, or has no ``[build-system]`` table. Never raises."""
    try:
        data = read_bytes(path)
        if data is None:
            return None
        refuse_bom(path, data)
        document = parse_plain(path, decode(path, data))
    except (TomlFileError, RecursionError):
        return None
    table = document.get("build-system")
    return table if isinstance(table, dict) else None


# --- Where a key is written ----------------------------------------------------------------------


_PART = r"""(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)"""
_HEADER = re.compile(rf"^[ \t]*\[(\[?)[ \t]*({_PART}(?:[ \t]*\.[ \t]*{_PART})*)[ \t]*\]")
_KEY = re.compile(rf"^[ \t]*({_PART}(?:[ \t]*\.[ \t]*{_PART})*)[ \t]*=")
_SPLIT = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")


class KeyLines:
    """Which line each key of a TOML text was written on: parsers do not keep positions.

    A line scan of table headers and ``key =`` lines, enough for messages and annotations. A key
    it cannot place (one in an inline table, or inside a multi-line value) is found at the line
    of the nearest enclosing table or key it can place, else at line 1. Lines are counted at
    ``\\n`` only, as TOML counts them.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        #: Full dotted key (or table) -> its first line, 1-based.
        self.positions: dict[tuple[str, ...], int] = {}
        # Tables made implicitly by dotted keys (``build-system.requires = []``).
        self._implicit: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                table = _split(header.group(2))
                self.positions.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                full = (*table, *_split(key.group(1)))
                for size in range(len(table) + 1, len(full)):
                    self._implicit.setdefault(full[:size], number)
                self.positions.setdefault(full, number)

    def find(self, key: tuple[str, ...]) -> int:
        """The line of ``key``, else of the nearest enclosing table that has one, else 1."""
        while key:
            found = self.positions.get(key) or self._implicit.get(key)
            if found:
                return found
            key = key[:-1]
        return 1

    def item(self, key: tuple[str, ...], value: str) -> int:
        """The line holding the string ``value`` inside the array of ``key`` (the key's own
        line when it is not found within 200 lines)."""
        start = self.find(key) - 1
        for index in range(start, min(start + 200, len(self.lines))):
            if value and value in self.lines[index]:
                return index + 1
        return start + 1


def _split(dotted: str) -> tuple[str, ...]:
    return tuple(next((part for part in groups if part), "") for groups in _SPLIT.findall(dotted))
