"""How talkative pip was asked to be: ``-v`` and ``-q`` on its command line, ``PIP_VERBOSE`` and
``PIP_QUIET`` in the environment, counted as pip counts them.

safepip's own lines follow it as pip's own do (docs/usage.md, "Quiet and verbose"): 0 is pip's
default, each ``-q`` takes one away (hiding INFO, then WARNING, then ERROR), each ``-v`` adds one.
pip's configuration files (``quiet = 1`` in pip.conf) are not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from safepip.reading.command import OPTIONS_WITH_VALUE

#: pip's short options that take a value: in a bundle (``-qr req.txt``, ``-qrreq.txt``) the rest of
#: the word after one of them is its value, not more flags.
_SHORT_WITH_VALUE = frozenset(
    option[1] for option in OPTIONS_WITH_VALUE if len(option) == 2 and option[0] == "-"
)
#: What pip's strtobool reads as true or false (its count options accept both, then integers).
_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE = frozenset({"n", "no", "f", "false", "off", "0"})


def pip_verbosity(pip_args: Sequence[str], environ: Mapping[str, str]) -> int:
    """pip's ``verbose - quiet`` for this command: -1 for ``-q``, -2 for ``-qq``, 1 for ``-v``."""
    verbose = _environ_count(environ.get("PIP_VERBOSE"))
    quiet = _environ_count(environ.get("PIP_QUIET"))
    words = iter(pip_args)
    for word in words:
        if word == "--":
            break
        if word == "--verbose":
            verbose += 1
        elif word == "--quiet":
            quiet += 1
        elif word in OPTIONS_WITH_VALUE:
            next(words, None)  # its value, whatever it looks like
        elif word.startswith("-") and not word.startswith("--"):
            for place, letter in enumerate(word[1:], start=2):
                if letter == "v":
                    verbose += 1
                elif letter == "q":
                    quiet += 1
                elif letter in _SHORT_WITH_VALUE:
                    if place == len(word):
                        next(words, None)  # -qr FILE: the value is the next word
                    break
    return verbose - quiet


def _environ_count(value: str | None) -> int:
    """``PIP_QUIET=2``, ``PIP_QUIET=yes`` (one): as pip reads a count option from the
    environment; what pip would refuse counts as nothing (pip then stops with its own error)."""
    if value is None:
        return 0
    word = value.strip().lower()
    if word in _TRUE:
        return 1
    if word in _FALSE:
        return 0
    return int(word) if word.isdigit() else 0
