"""No false alarms: ``[build-system]`` of well-known real projects, straight from their sdists.

The sdists are fetched once from PyPI's JSON API (pinned versions, sha256 checked against both the
list in testing/realsdists.py and the JSON's digests) into real-sdists/ of the tests' cache
(testing.cache), never with ``pip download``: that would run each sdist's metadata hook and so
need its backend. Only the top-level pyproject.toml and the archive's file list are read; nothing
is extracted. Offline, and with nothing cached, the tests skip.

Each project must give no finding at all. Then each one whose backend is not in-tree gets a copy
with the backend's distribution (and any distribution that only brings it in as a dependency,
such as hatch-vcs for hatchling) removed from ``requires``: the check must name the distribution.
"""

from __future__ import annotations

import json
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from safepip import knowledge
from safepip.changes import AddRequirement
from safepip.deciding import static
from safepip.deciding.static import check_text
from safepip.deciding.static_findings import BACKEND_NOT_IN_REQUIRES
from safepip.names import canonical_name
from testing.cache import write_whole
from testing.realsdists import PROJECTS, FetchError, cache_file, fetch_all

NAMES = [name for name, *_ in PROJECTS]
NOT_IN_TREE = [name for name, *_, backend in PROJECTS if not backend.endswith("(in-tree)")]


@dataclass(frozen=True)
class Sdist:
    name: str
    backend: str
    pyproject: str
    names: frozenset[str]  # the archive's files, relative to its top folder

    def exists(self, relative: str) -> bool:
        return relative in self.names


def _read_archive(path: Path) -> tuple[str, list[str]]:
    """The top-level pyproject.toml's text and every file name, relative to the top folder."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            top = names[0].split("/", 1)[0]
            text = archive.read(f"{top}/pyproject.toml").decode("utf-8")
    else:
        with tarfile.open(path) as archive:
            members = [m for m in archive.getmembers() if m.isfile()]
            names = [m.name for m in members]
            top = names[0].split("/", 1)[0]
            handle = archive.extractfile(f"{top}/pyproject.toml")
            assert handle is not None
            text = handle.read().decode("utf-8")
    prefix = top + "/"
    return text, [name[len(prefix) :] for name in names if name.startswith(prefix)]


def _load(name: str, version: str, sha256: str, backend: str) -> Sdist:
    archive = cache_file(name, version, sha256)
    # What the tests need from each archive is small: keep it next to the archive, so later runs
    # do not decompress tens of megabytes (numpy, pillow) again.
    digest = archive.with_suffix(".pyproject.json")
    if digest.exists():
        saved = json.loads(digest.read_text(encoding="utf-8"))
        text, names = saved["pyproject"], saved["names"]
    else:
        text, names = _read_archive(archive)
        write_whole(digest, json.dumps({"pyproject": text, "names": names}).encode("utf-8"))
    return Sdist(name, backend, text, frozenset(names))


@pytest.fixture(scope="session")
def real_sdists() -> dict[str, Sdist]:
    try:
        fetch_all()
    except FetchError as exc:
        pytest.skip(str(exc))
    return {name: _load(name, version, sha, backend) for name, version, sha, backend in PROJECTS}


def test_the_list_is_long_enough_and_covers_the_backends() -> None:
    assert len(PROJECTS) >= 40
    assert len(set(NAMES)) == len(NAMES)
    declared = {backend.removesuffix(" (in-tree)") for *_, backend in PROJECTS}
    for path in [
        "setuptools.build_meta",
        "flit_core.buildapi",
        "flit_scm:buildapi",
        "hatchling.build",
        "hatchling.ouroboros",
        "poetry.core.masonry.api",
        "pdm.backend",
        "mesonpy",
        "scikit_build_core.build",
        "maturin",
        "sipbuild.api",
        "pbr.build",
        "enscons.api",
        "trampolim",
        "pymsbuild",
        "py_build_cmake.build",
        "sphinx_theme_builder",
    ]:
        assert path in declared, path


@pytest.mark.slow  # fetches ~60 sdists from PyPI on a fresh machine
@pytest.mark.parametrize("name", NAMES)
def test_no_finding_on_a_real_project(real_sdists: dict[str, Sdist], name: str) -> None:
    sdist = real_sdists[name]
    findings = check_text(sdist.pyproject, f"{name}/pyproject.toml", exists=sdist.exists)
    assert [finding.render() for finding in findings] == []


@pytest.mark.slow  # fetches ~60 sdists from PyPI on a fresh machine
@pytest.mark.parametrize("name", NOT_IN_TREE)
def test_the_backend_removed_from_requires_is_named(
    real_sdists: dict[str, Sdist], name: str
) -> None:
    import tomlkit

    sdist = real_sdists[name]
    document = tomlkit.parse(sdist.pyproject)
    table = document["build-system"]
    entry = knowledge.backend(str(table["build-backend"]))
    assert entry is not None, f"{name}: its backend should be in the curated table"
    distribution = canonical_name(entry.distribution)
    # Also drop what would bring the backend in as a dependency (hatch-vcs -> hatchling).
    removed = {distribution, *knowledge.PROVIDED_VIA.get(distribution, ())}
    requires = [str(item) for item in table["requires"]]
    kept = [item for item in requires if static._requirement_name(item) not in removed]
    assert len(kept) < len(requires), f"{name}: nothing to remove from {requires}"
    table["requires"] = kept
    findings = check_text(tomlkit.dumps(document), f"{name}/pyproject.toml", exists=sdist.exists)
    assert [(f.kind, f.distribution) for f in findings] == [
        (BACKEND_NOT_IN_REQUIRES, entry.distribution)
    ]
    change = findings[0].change
    assert isinstance(change, AddRequirement)
    assert static._requirement_name(change.requirement) == distribution
