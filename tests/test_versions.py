"""The one version-bound algebra (safepip.versions), epochs kept, and its two callers."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version

from safepip import versions
from safepip.applying.pyproject import PatchError, plan_constrain_requirement
from safepip.deciding.static import check_text
from safepip.deciding.static_findings import REQUIRES_EXCLUDES_BACKEND


@pytest.mark.parametrize(
    ("version", "prefix", "expected"),
    [
        pytest.param("1.4.5", 2, "1.5", id="minor"),
        pytest.param("1.4.5", 1, "2", id="major"),
        pytest.param("1!1.4.5", 2, "1!1.5", id="epoch-kept"),
        pytest.param("2!0.9", 1, "2!1", id="epoch-kept-major"),
    ],
)
def test_bumped_keeps_the_epoch(version: str, prefix: int, expected: str) -> None:
    assert versions.bumped(Version(version), prefix) == Version(expected)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("<2", ("2", False), id="less"),
        pytest.param("<=2", ("2", True), id="at-most"),
        pytest.param("~=1.4.5", ("1.5", False), id="compatible"),
        pytest.param("==1.4.*", ("1.5", False), id="wildcard"),
        pytest.param("~=1!1.4.5", ("1!1.5", False), id="compatible-epoch"),
        pytest.param("==1!1.*", ("1!2", False), id="wildcard-epoch"),
        pytest.param(">=1", None, id="no-upper"),
    ],
)
def test_upper_bound(spec: str, expected: tuple[str, bool] | None) -> None:
    bound = versions.upper_bound(Specifier(spec))
    assert bound == (None if expected is None else (Version(expected[0]), expected[1]))


@pytest.mark.parametrize(
    ("existing", "spec", "implied"),
    [
        pytest.param("<80", "<82", True, id="tighter-cap"),
        pytest.param("<82", "<82", True, id="same-cap"),
        pytest.param(">=40", "<82", False, id="no-cap"),
        pytest.param("~=1.4", "<2", True, id="compatible-below"),
        # 1!1.4 sorts after every version without an epoch: ~=1!1.4 is not below 2.
        pytest.param("~=1!1.4", "<2", False, id="epoch-not-below"),
        pytest.param("~=1!1.4", "<1!2", True, id="epoch-below-epoch"),
    ],
)
def test_implies(existing: str, spec: str, implied: bool) -> None:
    assert versions.implies(SpecifierSet(existing), Specifier(spec)) is implied


@pytest.mark.parametrize(
    ("existing", "added", "conflict"),
    [
        pytest.param(">=83", "<82", True, id="above-the-cap"),
        pytest.param(">=40", "<82", False, id="room-left"),
        pytest.param("~=1!1.4", "<2", True, id="epoch-above-the-cap"),
        pytest.param("~=1!1.4", "<1!3", False, id="epoch-room-left"),
    ],
)
def test_conflicts(existing: str, added: str, conflict: bool) -> None:
    assert versions.conflicts(SpecifierSet(existing), list(SpecifierSet(added))) is conflict


@pytest.mark.parametrize(
    ("item", "excludes"),
    [
        pytest.param("setuptools<30", True, id="below"),
        pytest.param("setuptools~=35.0", True, id="compatible-below"),
        pytest.param("setuptools==36.*", False, id="wildcard-allows-it"),
        pytest.param("setuptools>=30", False, id="no-cap"),
        pytest.param("setuptools~=1!1.4", False, id="epoch-is-later"),
        pytest.param("setuptools==1!1.*", False, id="epoch-wildcard-is-later"),
    ],
)
def test_excludes_from(item: str, excludes: bool) -> None:
    assert versions.excludes_from(item, "36.6.0") is excludes


# --- The callers agree on epochs ---------------------------------------------------------------


def test_the_patcher_sees_an_epoch_declaration_above_a_cap(tmp_path: Path) -> None:
    """``foo~=1!1.4`` allows only versions after every epoch-0 one: ``<2`` conflicts with it
    (the patcher once dropped the epoch, called it implied and left the file as it was)."""
    path = tmp_path / "pyproject.toml"
    path.write_text('[build-system]\nrequires = ["foo~=1!1.4"]\n')
    with pytest.raises(PatchError, match="conflicts with <2"):
        plan_constrain_requirement(str(path), "foo", "<2")
    plan = plan_constrain_requirement(str(path), "foo", "<1!2")
    assert not plan.changed
    assert plan.already_declared == "foo~=1!1.4"


def test_the_static_check_keeps_the_epoch_of_a_cap() -> None:
    text = '[build-system]\nrequires = ["{}"]\nbuild-backend = "setuptools.build_meta"\n'
    assert check_text(text.format("setuptools~=1!1.4"), "pyproject.toml") == []
    [finding] = check_text(text.format("setuptools~=35.0"), "pyproject.toml")
    assert finding.kind == REQUIRES_EXCLUDES_BACKEND
