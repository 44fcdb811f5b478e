"""A build tool newer than the sdist (issue 19): read from real logs, decided in-process.

The logs are the real-world set's transcripts (tests/corpus/, scripts/realworld.py capture);
the corpus test checks every finding's kind and distribution, these check the cap, the fix,
and that a cap no release builds on the build's Python is not proposed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from safepip.applying.fetch import _upload_time
from safepip.deciding.decide import decide
from safepip.deciding.facts import Facts, PackageFacts
from safepip.deciding.gather import gather_facts
from safepip.reading.command import PipCommand
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import BuildFailure

CORPUS = Path(__file__).parent / "corpus"


def _read(case: str) -> list[BuildFailure]:
    diagnosis = Diagnosis()
    text = (CORPUS / case / "output.log").read_text(encoding="utf-8", errors="replace")
    diagnosis.feed_lines("stdout", text.splitlines())
    return diagnosis.failures()


@pytest.mark.parametrize(
    ("case", "cap"),
    [
        ("pip24.3.1-py3.12-pypi-preshed-3.0.6-install-no-binary-pipe", "setuptools<74"),
        ("pip24.3.1-py3.12-pypi-murmurhash-1.0.7-install-no-binary-pipe", "setuptools<74"),
        ("pip24.3.1-py3.12-pypi-pyduktape2-0.4.3-install-no-binary-pipe", "Cython<3.0"),
        ("pip24.3.1-py3.12-pypi-pyjnius-1.2.1-install-no-binary-pipe", "Cython<3.0"),
        ("pip24.3.1-py3.12-pypi-fastkde-1.0.19-install-no-binary-pipe", "Cython<3.0"),
    ],
)
def test_the_cap_is_a_build_constraint(case: str, cap: str) -> None:
    (failure,) = _read(case)
    assert failure.kind == "build-dependency-too-new"
    assert failure.requirement == cap
    tool, _, _ = cap.partition("<")
    assert tool in failure.explanation
    assert cap in failure.explanation
    (decision,) = decide([failure], Facts(target_python="/venv/bin/python"))
    first = decision.remedies[0].action
    assert first.kind == "build-constraint"
    assert cap in first.summary


@pytest.mark.parametrize(
    "case",
    [
        "pip26.3-py3.13-pypi-pyjnius-1.2.1-install-no-binary-pipe",
        "pip26.3-py3.13-pypi-fastkde-1.0.19-install-no-binary-pipe",
    ],
)
def test_no_cap_where_no_release_under_it_builds_on_this_python(case: str) -> None:
    """Cython 0.29's C code does not compile on Python 3.13, numpy 1.x has no wheel for it."""
    if not (CORPUS / case).is_dir():
        pytest.skip(f"{case} not captured")
    (failure,) = _read(case)
    assert failure.kind == "build-dependency-too-new"
    assert failure.requirement is None
    assert "Python 3.13" in failure.explanation
    (decision,) = decide([failure], Facts(target_python="/venv/bin/python"))
    assert decision.remedies == ()


def test_a_cython_message_is_read_only_in_its_error_block() -> None:
    """The words of a listed message outside ``Error compiling Cython file:`` are no finding,
    and the block's reading stops after its own lines."""
    message = "x.pyx:1:2: Cannot assign type 'double' to 'long'"
    lines = [
        "Collecting oldpkg==1.0",
        "  Building wheel for oldpkg (pyproject.toml): started",
        "  Building wheel for oldpkg (pyproject.toml): finished with status 'error'",
        "  error: subprocess-exited-with-error",
        "  ╰─> [60 lines of output]",
        "      Error compiling Cython file:",
        *["      ..."] * 45,
        f"      {message}",
        "      [end of output]",
    ]
    diagnosis = Diagnosis()
    diagnosis.feed_lines("stdout", lines)
    assert diagnosis.failures() == []
    lines[7] = f"      {message}"
    diagnosis = Diagnosis()
    diagnosis.feed_lines("stdout", lines)
    assert [f.requirement for f in diagnosis.failures()] == ["Cython<3.0"]


@pytest.mark.parametrize(
    ("python", "fixed"),
    [("3.11.9", True), ("3.12.1", False), ("3.13.0", False), (None, True)],
)
def test_a_cap_is_proposed_only_where_a_release_under_it_runs(
    python: str | None, *, fixed: bool
) -> None:
    """anyjson 0.3.3: setuptools 58 removed use_2to3, and no setuptools before 58 runs on
    Python 3.12+ (it takes distutils from the standard library). pip 26.3's log shows no path
    of the build's Python: the target's version decides."""
    (failure,) = _read("pip26.3-py3.13-pypi-anyjson-0.3.3-install-no-binary-pipe")
    assert failure.requirement == "setuptools<58"
    (decision,) = decide([failure], Facts(target_python="/venv/bin/python", python_version=python))
    assert bool(decision.remedies) is fixed
    # Nothing proposes the cap where it cannot run, not even the advice shown instead of a fix.
    assert ("setuptools<58" in (decision.fix or "")) is fixed
    assert ("no fix here" in decision.failure.explanation) is not fixed


def test_the_target_python_version_is_read_from_pyvenv_cfg(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.12.1\n")
    facts = gather_facts(
        [],
        PipCommand(["install", "x"], str(tmp_path)),
        target_python=str(tmp_path / "bin" / "python"),
    )
    assert facts.python_version == "3.12.1"
    missing = gather_facts(
        [], PipCommand(["install", "x"], str(tmp_path)), target_python="/nowhere/bin/python"
    )
    assert missing.python_version is None


PYDENSECRF = "pip24.3.1-py3.12-pypi-pydensecrf-1.0rc3-install-no-binary-pipe"


@pytest.mark.parametrize(
    ("uploaded", "python", "cap"),
    [
        ("2018-04-01T22:52:22.567213Z", "3.12.1", "Cython<3.0"),  # before Cython 3.0
        ("2023-07-18T00:00:00Z", "3.12.1", None),  # after it: an older Cython is no fix
        (None, "3.12.1", None),  # the index did not say
        ("2018-04-01T22:52:22.567213Z", "3.13.0", None),  # no Cython 0.29 builds on 3.13
    ],
)
def test_the_date_fallback_caps_cython_for_an_sdist_older_than_cython_3(
    uploaded: str | None, python: str, cap: str | None
) -> None:
    """pydensecrf 1.0rc3: Cython's compiler rejects it with a message no table lists ('eigen.pxd'
    not found); the sdist's upload time, gathered from the index, decides the cap."""
    (failure,) = _read(PYDENSECRF)
    assert (failure.kind, failure.distribution, failure.requirement) == (
        "build-dependency-too-new",
        "Cython",
        None,
    )
    assert failure.package is not None
    facts = Facts(
        target_python="/venv/bin/python",
        python_version=python,
        packages={failure.package: PackageFacts(uploaded=uploaded)},
    )
    (decision,) = decide([failure], facts)
    assert [remedy.action.kind for remedy in decision.remedies][:1] == (
        ["build-constraint"] if cap else []
    )
    assert decision.failure.requirement == cap
    if uploaded:
        assert uploaded[:10] in decision.failure.explanation


def test_the_index_is_asked_for_the_date_only_for_an_unexplained_cython_failure() -> None:
    asked: list[tuple[str, str]] = []

    def upload_time(project: str, location: str) -> str | None:
        asked.append((project, location))
        return "2018-04-01T22:52:22Z"

    failures = _read(PYDENSECRF) + _read(
        "pip24.3.1-py3.12-pypi-preshed-3.0.6-install-no-binary-pipe"
    )
    fetched = {"pydensecrf": "pydensecrf-1.0rc3.tar.gz", "preshed": "preshed-3.0.6.tar.gz"}
    facts = gather_facts(
        failures,
        PipCommand(["install", "pydensecrf", "preshed"], "/tmp"),
        target_python=None,
        fetched=fetched,
        upload_time=upload_time,
    )
    assert asked == [("pydensecrf", "pydensecrf-1.0rc3.tar.gz")]
    assert facts.about("pydensecrf").uploaded == "2018-04-01T22:52:22Z"
    assert facts.about("preshed").uploaded is None


def test_the_upload_time_is_read_from_the_json_simple_page() -> None:
    page = json.dumps(
        {
            "files": [
                {
                    "filename": "x-1.0.tar.gz",
                    "url": "x-1.0.tar.gz",
                    "upload-time": "2018-04-01T22:52:22Z",
                },
                {"filename": "x-2.0.tar.gz", "url": "x-2.0.tar.gz"},
            ]
        }
    ).encode()
    json_type = "application/vnd.pypi.simple.v1+json"
    assert _upload_time(page, json_type, "x-1.0.tar.gz") == "2018-04-01T22:52:22Z"
    assert _upload_time(page, json_type, "x-2.0.tar.gz") is None
    assert _upload_time(page, "text/html", "x-1.0.tar.gz") is None
    assert _upload_time(b"not json", json_type, "x-1.0.tar.gz") is None
