"""What a fix does to a ``[build-system]`` table, as a value.

A ``Change`` is decided (by ``deciding/``, or by the static check) without touching any file, and
describes itself for a person. It plans itself against a pyproject.toml through a
:class:`Planner` it is given (``applying/pyproject.py``'s, which computes the new bytes and the
diff): this module imports no stage. A new kind of change to a ``[build-system]`` is a new class
here and its method of the planner, and nothing switches on its kind anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypeVar, Union

#: What a planner makes: applying/pyproject.py's ``PatchPlan``.
Plan_co = TypeVar("Plan_co", covariant=True)


class Planner(Protocol[Plan_co]):
    """Plans each kind of change against a pyproject.toml (applying/pyproject.py's ``PATCHER``)."""

    def add_requirement(
        self, pyproject: str, requirement: str, *, create_if_missing: bool
    ) -> Plan_co: ...
    def constrain_requirement(self, pyproject: str, name: str, specifier: str) -> Plan_co: ...
    def set_backend(self, pyproject: str, backend: str) -> Plan_co: ...


@dataclass(frozen=True)
class AddRequirement:
    """Declare ``requirement`` (``flit_core>=3.2``) in ``[build-system] requires``."""

    requirement: str

    def plan(
        self, planner: Planner[Plan_co], pyproject: str, *, create_if_missing: bool = False
    ) -> Plan_co:
        return planner.add_requirement(
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

    def plan(
        self, planner: Planner[Plan_co], pyproject: str, *, create_if_missing: bool = False
    ) -> Plan_co:
        del create_if_missing  # a cap is merged into a declaration or added as plan_add does
        return planner.constrain_requirement(pyproject, self.name, self.specifier)

    def describe(self, where: str) -> str:
        return f'constrain "{self.requirement}" in [build-system] requires of {where}'

    def words(self) -> tuple[str, ...]:
        return ("constrain", self.name, self.specifier)


@dataclass(frozen=True)
class SetBackend:
    """Set ``build-backend`` to a known backend path (the declared one is most likely a typo)."""

    backend: str

    def plan(
        self, planner: Planner[Plan_co], pyproject: str, *, create_if_missing: bool = False
    ) -> Plan_co:
        del create_if_missing  # a backend is only ever set in an existing [build-system]
        return planner.set_backend(pyproject, self.backend)

    def describe(self, where: str) -> str:
        return f'set [build-system] build-backend = "{self.backend}" in {where}'

    def words(self) -> tuple[str, ...]:
        return ("backend", self.backend)


Change = Union[AddRequirement, CapRequirement, SetBackend]
