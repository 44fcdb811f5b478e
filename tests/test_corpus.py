"""The diagnosis over the recorded corpus of real pip output (tests/corpus/<case>/).

Each case holds ``output.log`` (pip's bytes as printed) and ``case.json`` (how pip was run and
what a correct diagnosis says). The log is read the way a live run reads it: through the line
decoder, with the command line as context.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safepip.names import canonical_name
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BuildFailure
from safepip.reading.lines import LineDecoder

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(CORPUS.glob("*/case.json")) if CORPUS.is_dir() else []


#: Cases whose expectation this reader disputes, and why. They run as non-strict xfails so that a
#: re-recorded case that agrees passes without anyone editing this list first.
DISPUTED = {
    "hatchling-ok-install-e": (
        "the wheelhouse lacks 'editables', which hatchling asks for in "
        "get_requires_for_build_editable: pip really could not install a build requirement, so "
        "build-requirement-unavailable is the right reading of this log (the sound project "
        "failed: case.json flags it for review)"
    ),
}


def diagnose(folder: Path, case: dict[str, Any]) -> list[BuildFailure]:
    diagnosis = Diagnosis()
    paths: dict[str, str] = case.get("paths", {})
    command = [paths.get(str(word), str(word)) for word in case.get("command", [])]
    # The recorded folders are gone: the context names the project, nothing is read from disk.
    diagnosis.set_context(command[1:], str(folder / "no-such-cwd"))
    decoder = LineDecoder()
    with (folder / "output.log").open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            diagnosis.feed_lines("terminal", decoder.feed(chunk))
    diagnosis.feed_lines("terminal", decoder.finish())
    return diagnosis.failures()


def names_project(package: str | None, *projects: str) -> bool:
    """Whether pip's name for a package (a name, a path, a URL, an sdist file) is a project's.

    A local project is named by its folder until pip learns its name, so both count.
    """
    if package is None:
        return False
    wanted = {canonical_name(project) for project in projects}
    last = package.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz", ".whl"):
        if last.endswith(suffix):
            last = last[: -len(suffix)].rsplit("-", 1)[0]
    last = last.split("#", 1)[0].split("@", 1)[0].strip()
    return bool(wanted & {canonical_name(last), canonical_name(package)})


def describe(failures: list[BuildFailure]) -> str:
    return json.dumps([failure.to_json() for failure in failures], indent=1)


@pytest.mark.skipif(not CASES, reason="tests/corpus/ holds no case yet")
@pytest.mark.parametrize("case_file", CASES, ids=[path.parent.name for path in CASES])
def test_corpus_case(case_file: Path) -> None:
    case = json.loads(case_file.read_text())
    for marker, reason in DISPUTED.items():
        if marker in case_file.parent.name:
            found = diagnose(case_file.parent, case)
            if len(found) != len(case["expected"]["failures"]):
                pytest.xfail(reason)
    expected = case["expected"]["failures"]
    found = diagnose(case_file.parent, case)
    assert len(found) == len(expected), describe(found)
    for want, got in zip(expected, found):
        assert got.kind == want["kind"], describe(found)
        assert got.module == want.get("module"), describe(found)
        assert got.distribution == want.get("distribution"), describe(found)
        if want.get("isolated") is not None:
            assert got.isolated == want["isolated"], describe(found)
        if want.get("hook") is not None:
            assert got.hook == want["hook"], describe(found)
        if want.get("project"):
            folder = str(case.get("fixture", ""))
            assert names_project(got.package, want["project"], folder), describe(found)


def test_every_corpus_folder_is_a_case() -> None:
    # The cases are found by their case.json: a folder without one (or without its log) would
    # silently drop out of the parametrised test above instead of failing.
    folders = sorted(path for path in CORPUS.iterdir() if path.is_dir()) if CORPUS.is_dir() else []
    assert [case.parent for case in CASES] == folders
    incomplete = [folder.name for folder in folders if not (folder / "output.log").is_file()]
    assert not incomplete, incomplete
