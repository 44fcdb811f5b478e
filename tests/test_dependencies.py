"""The minimum-versions run pins what pyproject.toml declares: both ends of every range."""

from __future__ import annotations

import tomlkit
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from testing.paths import ROOT, TESTS


def _declared() -> dict[str, Version]:
    """Each runtime dependency's declared lower bound, by canonical name."""
    project = tomlkit.parse((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds: dict[str, Version] = {}
    for text in project["dependencies"]:  # type: ignore[index,union-attr]
        requirement = Requirement(str(text))
        [lower] = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        bounds[canonicalize_name(requirement.name)] = Version(lower)
    return bounds


def test_the_minimum_constraints_pin_every_declared_lower_bound() -> None:
    pins: dict[str, Version] = {}
    for line in (TESTS / "constraints-minimum.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            [spec] = requirement.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(requirement.name)] = Version(spec.version)
    declared = _declared()
    assert declared  # packaging, tomlkit, platformdirs
    assert pins == declared
