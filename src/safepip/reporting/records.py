"""What a session did, as typed records: the pip runs, the fixes proposed and made, each round,
the files changed. The ``--report`` JSON is these records serialised (its keys, order and values
are the report's schema, version 1: docs/ci.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from safepip.deciding.remedies import Remedy
from safepip.reading.findings import BuildFailure
from safepip.redaction import redact_json

Json = dict[str, object]


@dataclass
class RunRecord:
    """One pip run: the user's command (maybe with fixes), or safepip's build of a patched copy."""

    argv: list[str]
    exit_status: int
    purpose: str = ""
    #: Ended by Ctrl-C: reported as it ended, and nothing more happened.
    interrupted: bool = False

    def to_json(self) -> Json:
        return redact_json(self._to_json())

    def _to_json(self) -> Json:
        if self.interrupted:
            return {"argv": self.argv, "exit_status": self.exit_status, "interrupted": True}
        return {"argv": self.argv, "exit_status": self.exit_status, "purpose": self.purpose}


@dataclass
class ProposalRecord:
    """One fix proposed (the first of its failure or an alternative), and whether it was made."""

    remedy: Remedy
    applied: bool = False

    def to_json(self) -> Json:
        remedy = self.remedy
        return {
            "key": remedy.key,
            "kind": remedy.kind,
            "summary": remedy.summary,
            **remedy.action.report_fields(),  # pyproject, change, install, sdist
            "module": remedy.failure.module,
            "distribution": remedy.failure.distribution,
            "applied": self.applied,
        }


@dataclass
class FixRecord:
    """A fix made in a round, and how it reached pip."""

    remedy: Remedy
    #: How it reached pip, as the action says (``patched copy``, ``build constraint
    #: (--build-constraint)``...).
    applied_as: str

    def to_json(self) -> Json:
        remedy = self.remedy
        return {
            "key": remedy.key,
            "kind": remedy.kind,
            "summary": remedy.summary,
            "applied_as": self.applied_as,
        }


@dataclass
class RoundRecord:
    """One round: the fixes made (round 0: before pip ran), and the pip runs that followed."""

    number: int
    fixes: list[FixRecord] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)

    def to_json(self) -> Json:
        return {
            "round": self.number,
            "fixes": [fix.to_json() for fix in self.fixes],
            "runs": [run.to_json() for run in self.runs],
        }


@dataclass(frozen=True)
class ChangedFile:
    """A file of the user's that a fix changed, and its backup (None: no backup was made)."""

    path: str
    backup: str | None
    #: git holds the original (no backup was made): the words say how to see and undo it.
    in_git: bool = False

    def describe(self) -> str:
        if self.in_git:
            from safepip.applying.safewrite import undo_hint

            return f"{self.path} ({undo_hint(self.path)})"
        return self.path + (f" (backup: {self.backup})" if self.backup else "")

    def undo(self) -> str | None:
        """How to put the original back, when the fix did not finish the install."""
        if self.in_git:
            return f"git checkout -- {self.path}"
        if self.backup:
            return f"copy {self.backup} back over {self.path}"
        return None

    def to_json(self) -> Json:
        return {"path": self.path, "backup": self.backup}


@dataclass
class Explained:
    """A failure diagnosed in some run, and the fix proposed for it (None: none)."""

    failure: BuildFailure
    remedy: Remedy | None


@dataclass
class SessionRecord:
    """Everything the report says about one safepip command."""

    pip_command: list[str]
    #: The interpreter pip ran in (asked only when the report is written).
    python: str | None = None
    runs: list[RunRecord] = field(default_factory=list)
    explained: list[Explained] = field(default_factory=list)
    proposals: list[ProposalRecord] = field(default_factory=list)
    rounds: list[RoundRecord] = field(default_factory=list)
    changed_files: list[ChangedFile] = field(default_factory=list)
    #: The keys of the fixes actually made.
    fixed: set[str] = field(default_factory=set)
    #: The remembered fixed wheels pip used (safepip.memory's records).
    reused: list[Json] = field(default_factory=list)
    #: What the last failed pip run failed on, in a line (not in the report).
    failed_on: str | None = None

    @property
    def exit_status(self) -> int | None:
        """The last pip run's status: the command's."""
        return self.runs[-1].exit_status if self.runs else None

    def propose(self, remedies: list[Remedy]) -> None:
        self.proposals += [ProposalRecord(remedy) for remedy in remedies]

    def add_run(self, run: RunRecord) -> None:
        self.runs.append(run)
        if self.rounds and not run.interrupted:
            self.rounds[-1].runs.append(run)

    def start_round(self, number: int) -> None:
        self.rounds.append(RoundRecord(number))

    def applying(self, remedy: Remedy) -> None:
        """``remedy`` is being applied (it stays so in the proposals if it then fails)."""
        for proposal in self.proposals:
            if proposal.remedy.key == remedy.key:
                proposal.applied = True

    def made(self, remedy: Remedy, applied_as: str) -> None:
        """``remedy`` was applied (reaching pip as ``applied_as``): one of this round's fixes."""
        if not self.rounds:
            self.start_round(0)  # before pip ran
        self.rounds[-1].fixes.append(FixRecord(remedy, applied_as))

    def to_json(self) -> Json:
        # The report is uploaded as a CI artifact, which nothing masks: every string in it is
        # masked here, the one place it is made, so that no field can forget it (argv, URLs,
        # explanations quoting pip's output).
        return redact_json(self._to_json())

    def _to_json(self) -> Json:
        return {
            "safepip_report_version": 1,
            "pip_command": self.pip_command,
            "python": self.python,
            "runs": [run.to_json() for run in self.runs],
            "failures": [item.failure.to_json() for item in self.explained],
            "fixes": [proposal.to_json() for proposal in self.proposals],
            "rounds": [round_.to_json() for round_ in self.rounds],
            "changed_files": [changed.to_json() for changed in self.changed_files],
            "exit_status": self.exit_status,
            **({"reused": self.reused} if self.reused else {}),
        }
