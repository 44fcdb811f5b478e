"""TOML text surgery: one value of a document rewritten from its own source text, a key or a
table added, and every other byte kept.

tomlkit parses the document and tells where a value is; the new text of that value is written
here, from the value's own source text, so that the result does not depend on how a given tomlkit
version formats arrays it appends to. What cannot be done without disturbing the rest of the
document raises :class:`UnsafeEditError` (a ValueError): the caller refuses the change.
"""

from __future__ import annotations

import re
import secrets
from typing import NamedTuple

import tomlkit
from tomlkit.container import OutOfOrderTableProxy
from tomlkit.items import InlineTable, Item, Table
from tomlkit.toml_document import TOMLDocument

__all__ = [
    "UnsafeEditError",
    "add_build_system",
    "add_key",
    "append_to_array",
    "encode_string",
    "inline_array",
    "is_literal",
    "render_replacing",
    "replace_in_array",
    "split_lines",
]


class UnsafeEditError(ValueError):
    """The edit cannot be made without disturbing the rest of the document."""


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
            raise UnsafeEditError(
                f"unexpected text in the array at {position}: {text[position:]!r}"
            )
        tokens.append(_Token(match.lastgroup, match.start(), match.end()))
        position = match.end()
    if not tokens or tokens[0].kind != "open" or tokens[-1].kind != "close":
        raise UnsafeEditError("not an array")
    if any(token.kind in {"open", "close"} for token in tokens[1:-1]):
        raise UnsafeEditError("a nested array")
    return tokens


def encode_string(value: str, *, literal: bool) -> str:
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


def is_literal(token_text: str) -> bool:
    return token_text.startswith("'")


def _array_literal_style(text: str, tokens: list[_Token]) -> bool:
    """Whether the array's items are all single-quoted literal strings (and there are some)."""
    values = [text[token.start : token.end] for token in tokens if token.kind == "value"]
    return bool(values) and all(is_literal(value) for value in values)


def append_to_array(text: str, value: str, newline: str) -> str:
    """The array's source text with ``value`` appended as its last item, in the array's style."""
    tokens = _scan_array(text)
    values = [token for token in tokens if token.kind == "value"]
    item = encode_string(value, literal=_array_literal_style(text, tokens))
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


def replace_in_array(text: str, index: int, value: str) -> str:
    """The array's source text with item ``index`` replaced by ``value``, quoted as it was."""
    tokens = _scan_array(text)
    token = [token for token in tokens if token.kind == "value"][index]
    item = encode_string(value, literal=is_literal(text[token.start : token.end]))
    return text[: token.start] + item + text[token.end :]


_MARKER = "\x00safepip-value\x00"


def render_replacing(doc: TOMLDocument, item: Item, value_text: str) -> str:
    """The document's text with ``item``'s own text (not its key or comment) replaced.

    tomlkit renders every value through its ``as_string()``: shadowing that one method on this
    one object marks exactly where the value sits, whatever the form of the table (a header, a
    dotted key, an inline table) and without touching the key, the comment or the whitespace.
    """
    item.__dict__["as_string"] = lambda: _MARKER
    try:
        rendered = doc.as_string()
    finally:
        del item.__dict__["as_string"]
    if rendered.count(_MARKER) != 1:
        raise UnsafeEditError("the edit would disturb the document")
    return rendered.replace(_MARKER, value_text)


def add_key(
    doc: TOMLDocument,
    table_name: str,
    table: Table | InlineTable | OutOfOrderTableProxy,
    key: str,
    value_text: str,
) -> str:
    """The document's text with ``key = <value_text>`` added as the table's last key."""
    pair = f"{key} = {value_text}"
    if isinstance(table, InlineTable):
        # tomlkit's own insertion into an inline table loses the space before "}" (0.15.2):
        # insert the pair in the table's source text instead, keeping its spacing.
        body = table.as_string().rstrip()
        if not body.endswith("}"):
            raise UnsafeEditError("the edit would disturb the document")
        inner = body[:-1].rstrip()
        if inner.endswith("{"):
            return render_replacing(doc, table, f"{{ {pair} }}")
        padding = body[len(inner) : -1]
        return render_replacing(doc, table, f"{inner}, {pair}{padding}}}")
    # A header table or dotted keys: tomlkit places a new last key well (before the blank lines
    # that end the table). The value is a placeholder so that its text is ours, not tomlkit's;
    # the edit happens on a copy, so the parsed document stays what the file holds.
    placeholder = f"safepip-placeholder-{secrets.token_hex(8)}"
    text = doc.as_string()
    copy = tomlkit.parse(text)
    copy_table = copy[table_name]
    if isinstance(copy_table, Table):
        copy_table.add(key, tomlkit.string(placeholder))
    elif isinstance(copy_table, OutOfOrderTableProxy):
        copy_table[key] = tomlkit.string(placeholder)
    else:
        raise UnsafeEditError("the edit would disturb the document")
    rendered = copy.as_string()
    quoted = f'"{placeholder}"'
    if rendered.count(quoted) != 1:
        raise UnsafeEditError("the edit would disturb the document")
    rendered = rendered.replace(quoted, value_text)
    if "\r\n" in text and not re.search(r"(?<!\r)\n", text):
        # tomlkit ends the lines it adds with "\n": match a file that uses "\r\n" throughout.
        rendered = re.sub(r"(?<!\r)\n", "\r\n", rendered)
    return rendered


def add_build_system(text: str, newline: str, requires_text: str) -> str:
    """The document's text with a new ``[build-system]`` table holding ``requires``.

    Placement: before the first table, after any leading comment block that a blank line
    separates from it (a file header stays on top; comments directly above the first table stay
    with that table). A document whose first content is a top-level key gets the table at its end
    instead, since a table header above those keys would capture them.
    """
    block = f"[build-system]{newline}requires = {requires_text}{newline}"
    lines = split_lines(text)
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


def inline_array(items: list[str]) -> str:
    return "[" + ", ".join(encode_string(item, literal=False) for item in items) + "]"


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only (``str.splitlines`` also splits at form
    feeds and U+2028, which TOML comments and strings may hold)."""
    return re.findall(r"[^\n]*\n|[^\n]+$", text)
