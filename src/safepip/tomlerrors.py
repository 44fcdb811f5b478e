"""One wording for invalid TOML, and one size limit, whichever part of safepip reads the file."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tomlkit.exceptions import TOMLKitError


#: A pyproject.toml larger than this is not read: real ones are a few kilobytes, and a crafted
#: megabytes-long ``requires`` array would keep the patcher busy for a minute (5 MB: 40 s).
MAX_PYPROJECT_BYTES = 1024 * 1024


def describe_too_large(path: str) -> str:
    return (
        f"{path} is larger than {MAX_PYPROJECT_BYTES // (1024 * 1024)} MiB; safepip does not read "
        "a pyproject.toml that large: please make the change by hand"
    )


def describe_tomlkit_error(path: str, exc: TOMLKitError) -> str:
    """``PATH is not valid TOML (line L, column C): reason``, from a tomlkit error."""
    from tomlkit.exceptions import ParseError

    if isinstance(exc, ParseError):
        # tomlkit appends " at line L col C" to its message, and counts columns from 0.
        reason = re.sub(r" at line \d+ col \d+$", "", str(exc)).rstrip(".")
        return f"{path} is not valid TOML (line {exc.line}, column {exc.col + 1}): {reason}"
    # A duplicate key is reported without a position.
    return f"{path} is not valid TOML: {str(exc).rstrip('.')}"
