"""What a fix does to a ``[build-system]`` table, as a value.

A ``Change`` is decided (by ``deciding/``, or by the static check) without touching any file; it
plans itself against a pyproject.toml when one is at hand (``applying/pyproject.py`` computes the
new bytes and the diff) and describes itself for a person. A new kind of change to a
``[build-system]`` is a new class here, and nothing switches on its kind anywhere else.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from safepip.applying.pyproject import PatchPlan

# The patcher (tomlkit, packaging) is imported when a change is planned, not when one is
# decided: deciding and reporting a fix, or running a command that needs none, never load it.


@dataclass(frozen=True)
class AddRequirement:
    """Declare ``requirement`` (``flit_core>=3.2``) in ``[build-system] requires``."""

    requirement: str

    def plan(self, pyproject: str, *, create_if_missing: bool = False) -> PatchPlan:
        from safepip.applying.pyproject import plan_add_requirement

        return plan_add_requirement(
            pyproject, self.requirement, create_if_missing=create_if_missing
        )

    def describe(self, where: str) -> str:
        return f'add "{self.requirement}" to [build-system] requires in {where}'

    def words(self) -> tuple[str, ...]:
        """The change as the JSON report spells it: ``["add", "flit_core>=3.2"]``."""
        return ("add", self.requirement)


@dataclass(frozen=True)
class CapRequirement:
    """Merge an upper bound (``setuptools`` ``<82``) into the declaration of ``name``; added
    whole when the distribution is not declared."""

    name: str
    specifier: str

    @property
    def requirement(self) -> str:
        return f"{self.name}{self.specifier}"

    def plan(self, pyproject: str, *, create_if_missing: bool = False) -> PatchPlan:
        del create_if_missing  # a cap is merged into a declaration or added as plan_add does
        from safepip.applying.pyproject import plan_constrain_requirement

        return plan_constrain_requirement(pyproject, self.name, self.specifier)

    def describe(self, where: str) -> str:
        return f'constrain "{self.requirement}" in [build-system] requires of {where}'

    def words(self) -> tuple[str, ...]:
        return ("constrain", self.name, self.specifier)


@dataclass(frozen=True)
class SetBackend:
    """Set ``build-backend`` to a known backend path (the declared one is most likely a typo)."""

    backend: str

    def plan(self, pyproject: str, *, create_if_missing: bool = False) -> PatchPlan:
        del create_if_missing  # a backend is only ever set in an existing [build-system]
        from safepip.applying.pyproject import plan_set_backend

        return plan_set_backend(pyproject, self.backend)

    def describe(self, where: str) -> str:
        return f'set [build-system] build-backend = "{self.backend}" in {where}'

    def words(self) -> tuple[str, ...]:
        return ("backend", self.backend)


Change = Union[AddRequirement, CapRequirement, SetBackend]


def plan_changes(
    pyproject: str, changes: Sequence[Change], *, create_if_missing: bool = False
) -> PatchPlan:
    """One plan for all of a file's changes: each is planned on a scratch copy in turn, so that
    the user sees (and approves) a single diff."""
    from safepip.applying.pyproject import PatchError, PatchPlan, apply_plan

    if len(changes) == 1:
        return changes[0].plan(pyproject, create_if_missing=create_if_missing)
    try:
        with open(pyproject, "rb") as file:
            original = file.read()
    except OSError as exc:
        raise PatchError(f"cannot read {pyproject}: {exc.strerror or exc}") from None
    scratch = tempfile.mkdtemp(prefix="safepip-doctor-")
    try:
        copy = os.path.join(scratch, "pyproject.toml")
        with open(copy, "wb") as file:
            file.write(original)
        summaries = []
        for change in changes:
            step = change.plan(copy, create_if_missing=create_if_missing)
            apply_plan(step, backup=False)
            summaries.append(step.summary)
        with open(copy, "rb") as file:
            new = file.read()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return PatchPlan(pyproject, original, new, summary="; ".join(s for s in summaries if s))
