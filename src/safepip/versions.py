"""Version bounds, the one algebra for everything that reasons about ``<``, ``~=`` or ``==1.*``.

The patcher (``applying/pyproject.py``) asks whether a declared requirement already implies a cap
and whether a cap would exclude every version the declaration allows; the static check
(``deciding/static.py``) asks whether a declaration excludes every release of a backend's
distribution from the one that first provided the backend. Both go through here, so they agree,
and both keep a version's epoch (PEP 440: ``1!1.0`` sorts after every version without one).
"""

from __future__ import annotations

import operator
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = [
    "Bound",
    "bumped",
    "conflicts",
    "excludes_from",
    "exclusive_upper",
    "implies",
    "lower_bound",
    "upper_bound",
]


class Bound(NamedTuple):
    """One side of the versions a specifier allows."""

    version: Version
    inclusive: bool  # whether ``version`` itself is allowed


def bumped(version: Version, prefix: int) -> Version:
    """The first release past the first ``prefix`` release components, the epoch kept:
    (1.4.5, 2) -> 1.5; (1!1.4.5, 2) -> 1!1.5."""
    release = list(version.release[:prefix]) or [0]
    release[-1] += 1
    epoch = f"{version.epoch}!" if version.epoch else ""
    return Version(epoch + ".".join(map(str, release)))


def upper_bound(spec: Specifier) -> Bound | None:
    """The upper bound a specifier sets, or None when it sets none (or cannot be read)."""
    operator, raw = spec.operator, spec.version
    try:
        if operator == "==" and raw.endswith(".*"):
            base = Version(raw[:-2])
            return Bound(bumped(base, len(base.release)), inclusive=False)
        version = Version(raw)
    except InvalidVersion:
        return None
    if operator == "<":
        return Bound(version, inclusive=False)
    if operator in {"<=", "==", "==="}:
        return Bound(version, inclusive=True)
    if operator == "~=":
        return Bound(bumped(version, len(version.release) - 1), inclusive=False)
    return None


def lower_bound(spec: Specifier) -> Bound | None:
    """The lower bound a specifier sets, or None when it sets none (or cannot be read)."""
    operator, raw = spec.operator, spec.version
    try:
        version = Version(raw[:-2] if raw.endswith(".*") else raw)
    except InvalidVersion:
        return None
    if operator == ">":
        return Bound(version, inclusive=False)
    if operator in {">=", "==", "===", "~="}:
        return Bound(version, inclusive=True)
    return None


def implies(existing: SpecifierSet, spec: Specifier) -> bool:
    """Whether every version ``existing`` allows is also allowed by ``spec`` (conservatively:
    False when unsure). Only a bound (``<``, ``<=``, ``>``, ``>=``) can be implied."""
    if any(str(have) == str(spec) for have in existing):
        return True
    if spec.operator in {"<", "<="}:
        side, inside = upper_bound, operator.lt
    elif spec.operator in {">", ">="}:
        side, inside = lower_bound, operator.gt
    else:
        return False
    wanted = side(spec)
    if wanted is None:
        return False
    return any(
        bound is not None
        and (
            inside(bound.version, wanted.version)
            or (bound.version == wanted.version and (wanted.inclusive or not bound.inclusive))
        )
        for bound in map(side, existing)
    )


def conflicts(existing: SpecifierSet, added: list[Specifier]) -> bool:
    """Whether ``existing`` and ``added`` together exclude every version (``>=83`` and ``<82``)."""
    lows = [bound for bound in map(lower_bound, [*existing, *added]) if bound is not None]
    highs = [bound for bound in map(upper_bound, [*added, *existing]) if bound is not None]
    return any(
        low.version > high.version
        or (low.version == high.version and not (low.inclusive and high.inclusive))
        for low in lows
        for high in highs
    )


def exclusive_upper(spec: Specifier) -> Version | None:
    """The smallest version a single specifier clause excludes from above (every allowed version
    is below it), pre-releases counted, or None when the clause sets no upper bound."""
    operator, text = spec.operator, spec.version
    wildcard = text.endswith(".*")
    try:
        version = Version(text[:-2] if wildcard else text)
    except InvalidVersion:
        return None
    if operator == "<":
        # "<2" also excludes 2's own pre-releases: everything below 2.dev0 is what remains.
        return version if version.is_prerelease else Version(f"{version.base_version}.dev0")
    if operator in {"<=", "==", "==="} and not wildcard:
        return Version(f"{version}.post0.dev0") if not version.is_postrelease else None
    if operator == "==" and wildcard:
        return Version(f"{bumped(version, len(version.release))}.dev0")
    if operator == "~=" and len(version.release) >= 2:
        return Version(f"{bumped(version, len(version.release) - 1)}.dev0")
    return None


def excludes_from(item: str, since: str) -> bool:
    """Whether requirement ``item`` allows no version at or after ``since``."""
    try:
        specifier = Requirement(item).specifier
        first = Version(since)
    except (InvalidRequirement, InvalidVersion):
        return False
    for spec in specifier:
        bound = exclusive_upper(spec)
        if bound is not None and bound <= first:
            return True
    return False
