"""Hardening against hostile and broken input: property tests over the reader, checker, patcher.

Random bytes and mangled real pip lines (colour codes, NUL, invalid UTF-8, carriage returns) never
make the reader raise, and never make it name a distribution outside safepip.knowledge's curated
tables (except the requirement pip itself printed, for build-requirement-unavailable);
``safepip diagnose`` on any file exits 0 or 1 (2 for a binary one) without a traceback; the static
checker and the patcher either succeed or raise their SafepipError, nothing else. And a log that
points at a path outside the projects the command names never leads to patching that path.

Bounded for CI (``SAFEPIP_FUZZ_EXAMPLES``, default 200 examples a property); scripts/stress.py runs
the same properties for longer.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepip import importnames, knowledge
from safepip.applying.pyproject import PatchError, apply_plan, plan_add_requirement
from safepip.deciding.actions import PatchPyproject
from safepip.deciding.decide import decide
from safepip.deciding.gather import gather_facts
from safepip.deciding.remedies import Remedy
from safepip.deciding.static import check_pyproject
from safepip.deciding.static_findings import StaticCheckError
from safepip.errors import SafepipError
from safepip.names import canonical_name
from safepip.reading.command import PipCommand
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_REQUIREMENT_UNAVAILABLE,
    KINDS,
    BuildFailure,
)
from safepip.reading.lines import LineDecoder

TESTS = Path(__file__).parent
EXAMPLES = int(os.environ.get("SAFEPIP_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Every line of the recorded pip logs: the fragments hostile input is built from.
REAL_LINES = sorted(
    {
        line
        for log in sorted((TESTS / "logs").glob("*.log"))
        for line in log.read_bytes().splitlines()
        if line.strip()
    }
)
PYPROJECTS = sorted(
    path.read_bytes()
    for path in [
        *(TESTS / "projects").glob("*/pyproject.toml"),
        *(TESTS / "pyprojects").rglob("*.toml"),
    ]
    if path.is_file()
)

_MANGLERS = st.sampled_from(
    [
        b"",
        b"\x1b[31m",
        b"\x1b[0m",
        b"\x1b]8;;http://x\x07",
        b"\x00",
        b"\xff\xfe",
        b"\xc3",
        b"\r",
        b"\b\b",
        b"2024-01-01T00:00:00.0000000Z ",
        b"'",
        b"../../etc",
        b"/etc/passwd",
        b"evil_pkg",
        b"numpy @ https://evil.example/x.whl",
        b" ",
    ]
)


def propose(
    failure: BuildFailure,
    command: PipCommand,
    *,
    target_python: str,
) -> list[Remedy]:
    """The fixes for one failure, best first: the facts gathered from the disk, then decide()."""
    facts = gather_facts([failure], command, target_python=target_python)
    return list(decide([failure], facts)[0].remedies)


@st.composite
def mangled_line(draw: st.DrawFn) -> bytes:
    """A real pip line with hostile bytes inserted, or replaced in part."""
    line = bytearray(draw(st.sampled_from(REAL_LINES)))
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(line)))
        cut = draw(st.integers(0, 6))
        line[position : position + cut] = draw(_MANGLERS | st.binary(max_size=8))
    return bytes(line)


LINE_ENDS = st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n"])
LOGS = st.lists(st.tuples(mangled_line() | st.binary(max_size=60), LINE_ENDS), max_size=60).map(
    lambda pairs: b"".join(line + end for line, end in pairs)
)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets: arbitrary read boundaries."""
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


def _known(name: str) -> bool:
    # the curated tables, or a name on the download list of safepip.importnames
    return canonical_name(name) in knowledge.KNOWN_DISTRIBUTIONS or importnames.on_the_list(name)


def check_findings(failures: list[BuildFailure]) -> None:
    """What no input may make the reader say."""
    for failure in failures:
        assert failure.kind in KINDS
        if failure.distribution is None:
            continue
        if failure.kind == BUILD_REQUIREMENT_UNAVAILABLE:
            # pip's own words: the distribution is the name of the requirement pip printed.
            assert failure.requirement is not None
            assert failure.requirement.startswith(failure.distribution)
            assert failure.distribution in failure.evidence
        else:
            assert _known(failure.distribution), failure


def read(chunks: list[bytes], args: list[str] | None = None, cwd: str | None = None) -> Diagnosis:
    diagnosis = Diagnosis()
    if args is not None and cwd is not None:
        diagnosis.set_context(args, cwd)
    decoder = LineDecoder()
    for chunk in chunks:
        for line in decoder.feed(chunk):
            diagnosis.feed_line("stdout", line)
    for line in decoder.finish():
        diagnosis.feed_line("stdout", line)
    return diagnosis


@FUZZ
@given(data=st.binary(max_size=4096), cuts=st.lists(st.integers(0, 4096), max_size=8))
def test_random_bytes_never_raise(data: bytes, cuts: list[int]) -> None:
    check_findings(read(split(data, cuts)).failures())


@FUZZ
@given(log=LOGS, cuts=st.lists(st.integers(0, 1 << 16), max_size=8))
def test_mangled_pip_lines_never_raise_nor_invent_distributions(
    log: bytes, cuts: list[int]
) -> None:
    diagnosis = read(split(log, cuts))
    check_findings(diagnosis.failures())
    # The batch path (safepip diagnose) reads the same lines the same way.
    batch = Diagnosis()
    decoder = LineDecoder()
    batch.feed_lines("terminal", decoder.feed(log) + decoder.finish())
    check_findings(batch.failures())


@FUZZ
@given(log=LOGS | st.binary(max_size=2048))
def test_diagnose_command_exits_0_or_1_without_traceback(log: bytes) -> None:
    from safepip.commands import diagnose

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pip.log"
        path.write_bytes(log)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = diagnose.run([str(path)])
            json_status = diagnose.run(["--json", str(path)])
    assert status in (0, 1, 2)
    assert json_status == status
    if status == 2:  # only for what is not text: NUL bytes near the start
        assert b"\0" in log
        assert err.getvalue().count("is not a pip log: it is a binary file") == 2
    assert "Traceback" not in err.getvalue()


# --- The static checker and the patcher ----------------------------------------------------------

_TOML_PIECES = st.sampled_from(
    [
        "[build-system]\n",
        "[build-system.x]\n",
        "[[build-system]]\n",
        "requires = []\n",
        'requires = ["flit_core>=3.2"]\n',
        'requires = ["setuptools", "wheel",]\n',
        "requires = [\n  'hatchling',\n  # c\n]\n",
        "requires = [[]]\n",
        'requires = "setuptools"\n',
        "requires = [1, 2]\n",
        'requires = ["numpy @ https://x/y.whl", "a; python_version<\'3\'"]\n',
        'build-backend = "flit_core.buildapi"\n',
        'build-backend = "setuptools.build_mata"\n',
        "build-backend = 3\n",
        'backend-path = ["."]\n',
        'backend-path = ["../../etc"]\n',
        "build-system = {requires = []}\n",
        'build-system.requires = ["x"]\n',
        "[project]\nname = 'x'\nversion = '1'\n",
        "[tool.x]\ndeep = " + "[" * 60 + "]" * 60 + "\n",
        "# comment \u2014 caf\u00e9\n",
        '"quoted key" = 1\n',
        "\r\n",
        "\ufeff",
        "\x00",
        'key = """\nmulti\n"""\n',
        "=\n",
        "[",
        "]",
        "'",
        '"',
    ]
)
TOMLISH = st.lists(_TOML_PIECES | st.text(max_size=12), max_size=12).map("".join)


def _project(folder: str, data: bytes) -> Path:
    path = Path(folder) / "pyproject.toml"
    path.write_bytes(data)
    return path


TOML_BYTES = (
    TOMLISH.map(lambda text: text.encode("utf-8", "surrogatepass"))
    | st.sampled_from(PYPROJECTS)
    | st.tuples(st.sampled_from(PYPROJECTS), st.integers(0, 2000), st.binary(max_size=6)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    )
)


@FUZZ
@given(data=TOML_BYTES)
def test_static_checker_succeeds_or_raises_its_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        _project(folder, data)
        try:
            findings = check_pyproject(folder)
        except StaticCheckError as exc:
            message = str(exc)
        else:
            assert isinstance(findings, list)
            return
    assert "\n" not in message


@FUZZ
@given(data=TOML_BYTES, requirement=st.sampled_from(["flit_core>=3.2", "setuptools<82", "wheel"]))
def test_patcher_succeeds_or_raises_its_error(data: bytes, requirement: str) -> None:
    import tomlkit

    with tempfile.TemporaryDirectory() as folder:
        path = _project(folder, data)
        try:
            plan = plan_add_requirement(str(path), requirement)
        except PatchError as exc:
            message = str(exc)
            assert path.read_bytes() == data  # refused: nothing written
            assert "\n" not in message
            return
        try:
            apply_plan(plan)
        except SafepipError:
            return
        written = path.read_bytes()
        body = written[3:] if written.startswith(b"\xef\xbb\xbf") else written
        parsed = tomlkit.parse(body.decode("utf-8")).unwrap()  # valid TOML, always
        requires = parsed["build-system"]["requires"]
        names = [_name(item) for item in requires]
        assert _name(requirement) in names


def _name(requirement: str) -> str:
    import re

    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    return canonical_name(match.group() if match else requirement)


# --- Paths in logs never widen what may be patched -------------------------------------------


def _flit_project(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(TESTS / "projects" / "flit-missing" / "pyproject.toml", folder / "pyproject.toml")
    return folder


OUTSIDE = [
    "../../etc",
    "../outside",
    "/etc",
    "file:///etc",
    "./proj/../../outside",
    "~",
    "./proj/../outside",
    "proj/../../../../../../../../tmp",
]


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """``work/proj`` (the project the command names) and ``outside`` (a project it does not)."""
    work = tmp_path / "work"
    _flit_project(work / "proj")
    _flit_project(tmp_path / "outside")
    _flit_project(work / "other")
    return work, tmp_path / "outside"


def _failure(package: str, pyproject: str | None) -> BuildFailure:
    return BuildFailure(
        kind=BACKEND_UNAVAILABLE,
        package=package,
        source="local",
        isolated=True,
        module="flit_core",
        distribution="flit_core",
        requirement="flit_core>=3.2",
        pyproject=pyproject,
        backend="flit_core.buildapi",
    )


@pytest.mark.parametrize("package", OUTSIDE)
@pytest.mark.parametrize(
    "args", [["install", "./proj"], ["install", "-e", "proj"], ["wheel", "."]], ids=" ".join
)
def test_a_path_outside_the_named_projects_is_never_patched(
    package: str, args: list[str], workspace: tuple[Path, Path]
) -> None:
    work, outside = workspace
    cwd = str(work / "proj") if args == ["wheel", "."] else str(work)
    command = PipCommand(args, cwd)
    for pyproject in [
        None,
        str(Path(cwd, package, "pyproject.toml")),
        str(outside / "pyproject.toml"),
        str(work / "other" / "pyproject.toml"),
    ]:
        remedies = propose(_failure(package, pyproject), command, target_python="python")
        assert all(not isinstance(remedy.action, PatchPyproject) for remedy in remedies), (
            pyproject,
            remedies,
        )


@pytest.mark.parametrize("package", OUTSIDE)
def test_a_log_naming_an_outside_path_patches_nothing_outside(
    package: str, workspace: tuple[Path, Path]
) -> None:
    # The whole way from pip's text: "Processing <path>" then a missing backend; the command
    # names ./proj only. Whatever the log says, a patch may only ever target ./proj.
    work, _ = workspace
    patched = _patched_by_the_log(package, work)
    # Read as the failure it is (else this would check nothing), and never a patch outside.
    assert patched is not None, "the log was not read as a missing backend"
    assert set(patched) <= {os.path.realpath(work / "proj" / "pyproject.toml")}, patched


@pytest.mark.parametrize("package", ["./proj", "proj"])
def test_a_log_naming_the_project_patches_it(package: str, workspace: tuple[Path, Path]) -> None:
    # The control for the test above: the same log, naming the project the command names, does
    # lead to its patch, so "no patch outside" there is not "no patch at all, ever".
    work, _ = workspace
    assert _patched_by_the_log(package, work) == [
        os.path.realpath(work / "proj" / "pyproject.toml")
    ]


def _patched_by_the_log(package: str, work: Path) -> list[str] | None:
    """The pyproject.toml files the fixes for the flit-missing log would patch, with the log's
    project path replaced by ``package``; None when the log yields no failure."""
    log = (TESTS / "logs" / "pip26.3-flit-missing.log").read_text(encoding="utf-8")
    log = log.replace("Processing ./flit-missing", f"Processing {package}")
    log = log.replace("file:///work/main/.cache/fx/flit-missing", package)
    args = ["install", "./proj"]
    failures = read([log.encode()], args, str(work)).failures()
    if not failures:
        return None
    return [
        os.path.realpath(remedy.action.pyproject)
        for failure in failures
        for remedy in propose(failure, PipCommand(args, str(work)), target_python="python")
        if isinstance(remedy.action, PatchPyproject)
    ]


@FUZZ
@given(
    # NUL is left out here: it is pinned by test_a_nul_byte_in_a_logged_path_is_no_crash.
    package=st.sampled_from(OUTSIDE) | st.text(max_size=30).filter(lambda text: "\x00" not in text),
    relative=st.sampled_from(["", "..", "../..", "proj/..", "/", "other"]),
)
def test_random_failure_paths_patch_only_the_named_project(package: str, relative: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        work = Path(root) / "work"
        _flit_project(work / "proj")
        _flit_project(work / "other")
        command = PipCommand(["install", "./proj"], str(work))
        pyproject = os.path.join(str(work), relative, package, "pyproject.toml")  # noqa: PTH118
        for failure in (_failure(package, pyproject), _failure(package, None)):
            for remedy in propose(failure, command, target_python="python"):
                if isinstance(remedy.action, PatchPyproject):
                    assert os.path.realpath(remedy.action.pyproject) == os.path.realpath(
                        work / "proj" / "pyproject.toml"
                    )


# --- What a log may make safepip write into the project ------------------------------------------

# setup.py's pkg_resources names the distribution it wants in its own words; the distribution is
# in the curated table, but the requirement text is the log's, URL and all.
SETUP_REQUIRES_URL = """\
Processing ./proj
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'error'
  error: subprocess-exited-with-error

  \u00d7 Getting requirements to build wheel did not run successfully.
  \u2502 exit code: 1
  \u2570\u2500> [2 lines of output]
      Traceback (most recent call last):
      pkg_resources.DistributionNotFound: The 'numpy @ https://evil.example/numpy-9-py3-none-any.whl' distribution was not found and is required by the application
      [end of output]

  note: This error originates from a subprocess, and is likely not a problem with pip.
error: subprocess-exited-with-error
"""  # noqa: E501 - pip's line as printed


def test_a_requirement_from_the_log_is_never_a_url(tmp_path: Path) -> None:
    work = tmp_path / "work"
    project = work / "proj"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    args = ["install", "./proj"]
    diagnosis = read([SETUP_REQUIRES_URL.encode()], args, str(work))
    failures = diagnosis.failures()
    assert [(f.kind, f.distribution) for f in failures] == [(BUILD_DEPENDENCY_MISSING, "numpy")]
    for failure in failures:
        for remedy in propose(failure, PipCommand(args, str(work)), target_python="python"):
            fields = remedy.action.report_fields()
            change, install = fields["change"], fields["install"]
            assert isinstance(change, list)
            assert isinstance(install, list)
            words = " ".join([*change, *install])
            assert "://" not in words, remedy.summary
            assert "@" not in words, remedy.summary


@pytest.mark.parametrize(
    ("logged", "also_unisolated"),
    [
        ("numpy==1.0.0", False),  # a pin: a downgrade, written or installed
        ("numpy[evil]", False),  # an extra: whatever it pulls in
        ("numpy[evil]>=1,<1.1", True),  # a cap and an extra, for an install into the target
        ("Cython==0.28", True),  # a known build dependency, pinned below the table's bound
    ],
)
def test_a_requirement_from_the_log_is_the_tables_name_and_bound(
    tmp_path: Path, logged: str, *, also_unisolated: bool
) -> None:
    """Issue 18, item 10: only the name is taken from ``The 'X' distribution was not found``;
    what reaches requires or an install is the curated table's requirement (at most a lower
    bound), never the log's pin, cap or extra."""
    work = tmp_path / "work"
    project = work / "proj"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
    )
    log = SETUP_REQUIRES_URL.replace(
        "numpy @ https://evil.example/numpy-9-py3-none-any.whl", logged
    )
    name = logged.split("[", maxsplit=1)[0].split("=", maxsplit=1)[0]
    curated = knowledge.curated_requirement(name)
    assert curated is not None
    for args in (["install", "./proj"], ["install", "--no-build-isolation", "./proj"]):
        if "--no-build-isolation" in args and not also_unisolated:
            continue
        failures = read([log.encode()], args, str(work)).failures()
        assert [failure.requirement for failure in failures] == [curated]
        remedies = [
            remedy
            for failure in failures
            for remedy in propose(failure, PipCommand(args, str(work)), target_python="python")
        ]
        assert remedies
        for remedy in remedies:
            fields = remedy.action.report_fields()
            words = [*fields["change"], *fields["install"]]  # type: ignore[misc]
            assert words
            assert all(logged not in word and "[" not in word for word in words), words
            assert any(curated in word for word in words), words


def test_a_nul_byte_in_a_logged_path_is_no_crash(workspace: tuple[Path, Path]) -> None:
    work, _ = workspace
    log = (TESTS / "logs" / "pip26.3-flit-missing.log").read_text(encoding="utf-8")
    log = log.replace("Processing ./flit-missing", "Processing ./pr\x00oj")
    log = log.replace("file:///work/main/.cache/fx/flit-missing", "./pr\x00oj")
    args = ["install", "./proj"]
    diagnosis = read([log.encode()], args, str(work))
    failures = diagnosis.failures()
    assert failures
    for failure in failures:
        remedies = propose(failure, PipCommand(args, str(work)), target_python="python")
        assert all(not isinstance(remedy.action, PatchPyproject) for remedy in remedies)
