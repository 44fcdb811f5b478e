"""What a fix does to a ``[build-system]`` table, as a value.

A ``Change`` is decided (by ``deciding/``, or by the static check) without touching any file; it
plans itself against a pyproject.toml when one is at hand (``applying/pyproject.py`` computes the
new bytes and the diff) and describes itself for a person. A new kind of change to a
``[build-system]`` is a new class here, and nothing switches on its kind anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from safepip.applying.pyproject import (
    PatchPlan,
    plan_add_requirement,
    plan_constrain_requirement,
    plan_set_backend,
)


@dataclass(frozen=True)
class AddRequirement:
    """Declare ``requirement`` (``flit_core>=3.2``) in ``[build-system] requires``."""

    requirement: str

    def plan(self, pyproject: str, *, create_if_missing: bool = False) -> PatchPlan:
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
        return plan_set_backend(pyproject, self.backend)

    def describe(self, where: str) -> str:
        return f'set [build-system] build-backend = "{self.backend}" in {where}'

    def words(self) -> tuple[str, ...]:
        return ("backend", self.backend)


Change = Union[AddRequirement, CapRequirement, SetBackend]
