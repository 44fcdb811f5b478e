"""A proposed fix, as ``decide()`` (deciding/decide.py) returns it and the session applies it:
the failure it answers and the action that would make it go (deciding/actions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from safepip.deciding.actions import FixAction, FixKind
from safepip.reading.findings import BuildFailure


@dataclass(frozen=True)
class Remedy:
    """One proposed fix, described for the user before anything happens."""

    #: The failure it answers.
    failure: BuildFailure
    #: What it does.
    action: FixAction
    #: The user's configuration is the consent (their [extra-build-dependencies]).
    preapproved: bool = False

    @property
    def kind(self) -> FixKind:
        return self.action.kind

    @property
    def summary(self) -> str:
        """What it does, in one line."""
        return self.action.summary

    @property
    def caveat(self) -> str:
        """The trade-off the user should weigh, if any."""
        return self.action.caveat

    @property
    def key(self) -> str:
        """Identifies the fix, so the same one is never applied twice."""
        return self.action.key
