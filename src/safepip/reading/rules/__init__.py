"""The rules, in the order they are tried on a line, and the dispatch tables built from them.

Each rule names the prefixes it cares about (:class:`~safepip.reading.rules.base.Rule`); a line
is offered only to the rules whose prefix it starts with, found by its first
:data:`~safepip.reading.recorder.KEY` characters in a :data:`TABLE`. The rules that follow pip's
progress are in :mod:`~safepip.reading.rules.progress`, those that read a build's clues in
:mod:`~safepip.reading.rules.clues`.
"""

from __future__ import annotations

import string
from collections.abc import Iterable

from safepip.reading.recorder import KEY, Apply, Dispatch
from safepip.reading.rules.base import Rule
from safepip.reading.rules.clues import (
    BackendUnavailableBlock,
    BackendUnavailableTraceback,
    CompilerFailure,
    CythonCompileError,
    CythonError,
    DistributionNotFound,
    DroppedApiCall,
    ErrorLine,
    HandledImport,
    MissingModule,
    NestedSdist,
    NetworkWarning,
    SetupRequiresCommand,
    ToolRemoved,
    TracebackFrame,
)
from safepip.reading.rules.progress import (
    BlockBoundary,
    BlockEnd,
    BuildingWheel,
    Discarding,
    FailureBanner,
    Glyph,
    NewRequirement,
    Pip21Command,
    PipError,
    StepProgress,
)
from safepip.reading.rules.words import BuildWentOn, OwnWords

#: Every rule, in the order they are tried on a line.
RULES: tuple[Rule, ...] = (
    Glyph(),
    BlockBoundary(),
    BlockEnd(),
    NewRequirement(),
    BuildingWheel(),
    FailureBanner(),
    StepProgress(),
    BackendUnavailableBlock(),
    BackendUnavailableTraceback(),
    MissingModule(),
    HandledImport(),
    OwnWords(),
    DroppedApiCall(),
    SetupRequiresCommand(),
    NestedSdist(),
    DistributionNotFound(),
    ErrorLine(),
    PipError(),
    Discarding(),
    NetworkWarning(),
    Pip21Command(),
    TracebackFrame(),
    CompilerFailure(),
    BuildWentOn(),
    ToolRemoved(),
    CythonError(),
    CythonCompileError(),
)

#: Rules still read inside a subprocess's output block: clues, never pip's own progress.
BLOCK_RULES = (
    Glyph,
    BlockBoundary,
    BlockEnd,
    BackendUnavailableBlock,
    BackendUnavailableTraceback,
    MissingModule,
    HandledImport,
    OwnWords,
    DroppedApiCall,
    SetupRequiresCommand,
    NestedSdist,
    DistributionNotFound,
    ErrorLine,
    PipError,
    NetworkWarning,
    TracebackFrame,
    CompilerFailure,
    BuildWentOn,
    ToolRemoved,
    CythonError,
    CythonCompileError,
)

_KEY_FILL = string.ascii_letters + string.digits + string.punctuation + " "


def dispatch(rules: Iterable[Rule]) -> Dispatch:
    """The table that offers a line to the ``rules`` whose prefix it may start with."""
    table: dict[str, list[tuple[str, Apply]]] = {}
    for rule in rules:
        for prefix in rule.prefixes:
            keys = [prefix[:KEY]]
            while len(keys[0]) < KEY:  # a short prefix owns every key it can begin
                keys = [key + fill for key in keys for fill in _KEY_FILL]
            for key in keys:
                table.setdefault(key, []).append((prefix, rule.apply))
    return {key: tuple(entries) for key, entries in table.items()}


#: Every rule, for pip's own text.
TABLE = dispatch(RULES)

#: The rules read inside a failed subprocess's captured output.
BLOCK_TABLE = dispatch(rule for rule in RULES if isinstance(rule, BLOCK_RULES))
