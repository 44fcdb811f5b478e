"""The fix mode, one word for what becomes of a proposed fix: ask, apply, or only explain.

The user spells it ``--yes`` / ``SAFEPIP_YES=1`` / ``fix = "yes"`` (apply), ``--no-fix`` /
``SAFEPIP_NO_FIX=1`` / ``fix = "no"`` (explain), or ``fix = "ask"`` (the default); those
spellings are read into a :data:`FixMode` where they are read (safepip.options, safepip.config),
and :func:`safepip.config.resolve_fix` turns them, once per command, into the mode of the run.

This module imports nothing of safepip's, nor typing: the options, the configuration, every
command and the building path before pip runs use it.
"""

from __future__ import annotations

import os

# Not typing.TYPE_CHECKING: the building path reads the fix mode before pip runs, and imports no
# typing there (docs/architecture.md, "Read only when pip fails").
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Literal

    FixMode = Literal["ask", "apply", "explain"]

#: A person at a terminal is asked [y/N].
ASK: FixMode = "ask"
#: The fix is made without asking.
APPLY: FixMode = "apply"
#: Nothing changes: the fix and the command that would make it are printed.
EXPLAIN: FixMode = "explain"

#: ``[options] fix`` in the configuration file (and in ``safepip config-show``) for each mode.
FILE_WORDS: dict[FixMode, str] = {ASK: "ask", APPLY: "yes", EXPLAIN: "no"}
#: The mode each word of the configuration file stands for.
FROM_FILE_WORD: dict[str, FixMode] = {word: mode for mode, word in FILE_WORDS.items()}
#: What each mode means, as ``safepip config-show`` glosses it.
GLOSS: dict[FixMode, str] = {
    ASK: "ask before fixing",
    APPLY: "like --yes",
    EXPLAIN: "like --no-fix",
}

#: pip's reading of a boolean variable such as PIP_NO_INPUT (pip._internal.utils.misc.strtobool).
_PIP_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})
#: A CI variable that says "this is CI" (CI=true on GitHub, GitLab, CircleCI, Travis...).
_CI_TRUE = frozenset({"y", "yes", "t", "true", "on", "1"})


def nobody_to_ask(pip_args: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """Why no person can be asked (None when one can).

    A person is asked only when they can see the question and answer it (stdin and stderr are
    both terminals), and never when pip itself would not prompt (``--no-input``,
    ``PIP_NO_INPUT``) or ``CI`` is set to a true value: a CI job with a terminal
    (``docker run -t``) must not wait.
    """
    if "--no-input" in pip_args:
        return "--no-input"
    if environ.get("PIP_NO_INPUT", "").strip().lower() in _PIP_TRUE:
        return "PIP_NO_INPUT"
    if environ.get("CI", "").strip().lower() in _CI_TRUE:
        return "CI"
    try:
        interactive = os.isatty(0) and os.isatty(2)  # the question goes to stderr
    except OSError:
        interactive = False
    return None if interactive else "no terminal"
