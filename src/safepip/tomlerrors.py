"""One wording for invalid TOML, whichever part of safepip found it."""

from __future__ import annotations

import re

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from tomlkit.exceptions import TOMLKitError


def describe_tomlkit_error(path: str, exc: TOMLKitError) -> str:
    """``PATH is not valid TOML (line L, column C): reason``, from a tomlkit error."""
    from tomlkit.exceptions import ParseError

    if isinstance(exc, ParseError):
        # tomlkit appends " at line L col C" to its message, and counts columns from 0.
        reason = re.sub(r" at line \d+ col \d+$", "", str(exc)).rstrip(".")
        return f"{path} is not valid TOML (line {exc.line}, column {exc.col + 1}): {reason}"
    # A duplicate key is reported without a position.
    return f"{path} is not valid TOML: {str(exc).rstrip('.')}"
