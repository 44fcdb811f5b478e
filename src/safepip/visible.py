"""The one sanitiser for text safepip prints or writes that came from pip's output or a log.

A build prints anything it likes, and a log given to ``safepip diagnose`` may come from anyone:
an ESC sequence in it could clear the screen (``ESC c``), switch the terminal's character set
(``ESC ( 0``), start a C1 control sequence (U+009B CSI, U+009D OSC: a title, a hyperlink), or
hide what follows; a bidi override (U+202E) reorders what a reader sees. safepip's own lines show
such characters as escapes (``\\x1b``, ``\\x9b``, ``\\u202e``), as Python's ``repr`` does. pip's
own bytes, relayed live, are pip's output and stay as they are.
"""

from __future__ import annotations

#: Bidi controls that reorder what follows them (Unicode's "Trojan Source" set), and the marks.
_BIDI = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",
)


def _hostile(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F or char in _BIDI


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with control characters (C0 but tab, DEL, C1), escape sequences and bidi controls
    made visible as escapes. ``lines``: keep the newlines (and a CR just before one) of a text of
    several lines; otherwise they are made visible too."""
    if text.isprintable():
        return text  # the common case: nothing to escape, at the cost of one C scan
    out = []
    last = len(text) - 1
    for index, char in enumerate(text):
        if (
            char == "\t"
            or not _hostile(char)
            or (
                lines
                and (char == "\n" or (char == "\r" and index < last and text[index + 1] == "\n"))
            )
        ):
            out.append(char)
        else:
            out.append(_escape(char))
    return "".join(out)


def shown(text: str, *, lines: bool = False) -> str:
    """Text from pip's output or a log as safepip shows it: credentials masked (pip's rules),
    control characters made visible."""
    if "@" in text and "://" in text:
        from safepip.redaction import mask_credentials

        text = mask_credentials(text)
    return visible(text, lines=lines)
