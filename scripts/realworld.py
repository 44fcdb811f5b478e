#!/usr/bin/env python3
"""Real PyPI sdists that fail in pip's isolated build: the set, its transcripts, the benchmark.

The set is tests/realworld/sdists.json: old releases of real projects, found the way users meet
them (issue trackers quoting pip's output), each with its pinned sha256, where it was found, a
hand-checked label and whether completing its build requirements fixes it.

    python scripts/realworld.py list                       # the set, one line each
    python scripts/realworld.py fetch [--pin]              # download the sdists, check sha256
    python scripts/realworld.py capture [--pip 26.3] [--case RE] [--force]
                                                           # pip's output -> tests/corpus/
    python scripts/realworld.py verify [--case RE]         # the fix by hand: no isolation,
                                                           # or isolated under the entry's caps
    python scripts/realworld.py e2e [--pip 24.3.1] [--case RE] [--safepip PATH] [--timeout S]

``capture`` runs ``pip install --no-deps --no-binary NAME NAME==V`` against PyPI in one venv per
pip (.cache/realworld-venvs/, gitignored), in the clean environment of scripts/make_corpus.py
(PIP_CONFIG_FILE=/dev/null, no PIP_* variable, an empty HOME and pip cache), and writes each
case as tests/corpus/<case-id>/ (output.log + case.json) for tests/test_corpus.py.

``e2e`` is a benchmark, not a test: it downloads and compiles. For each case and pip it runs
``safepip --yes --report FILE install --no-deps [--no-binary NAME] NAME==V`` with SAFEPIP_PYTHON
set to that pip's venv, and records whether the diagnosis was right, whether a negative got a
build-dependency finding (a false alarm), whether the install completed, how many pip runs the
report lists and the seconds. It prints a table and writes .cache/realworld-e2e/summary.json
and summary.md. None of this runs in CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import make_corpus
from make_corpus import ANSI, base_python, clean_env, log, restored, run_pipe

ROOT = Path(__file__).resolve().parent.parent
SET_FILE = ROOT / "tests" / "realworld" / "sdists.json"
CORPUS = ROOT / "tests" / "corpus"
CACHE = ROOT / ".cache"
VENVS = CACHE / "realworld-venvs"
SDISTS = CACHE / "pypi-sdists"
E2E_OUT = CACHE / "realworld-e2e"
DEFAULT_SAFEPIP = ROOT / ".venvs" / "test-3.13" / "bin" / "safepip"

# The pips of the set, each on the Python it is captured with.
PIPS: dict[str, str] = {"24.3.1": "3.12", "26.3": "3.13"}
VARIANT = "install-no-binary"
HOOK = "get_requires_for_build_wheel"
BUILD_KINDS = {
    "backend-unavailable",
    "build-dependency-missing",
    "build-dependency-too-new",
    "build-requirement-unavailable",
}

Group = Literal["build-dependency", "other"]


@dataclass(frozen=True)
class Expected:
    """What a correct diagnosis says (the corpus's `expected.failures[0]`)."""

    kind: str
    module: str | None
    distribution: str | None
    hook: str | None = HOOK


@dataclass(frozen=True)
class Sdist:
    name: str
    version: str
    filename: str
    sha256: str
    source: str  # where it was found: an issue URL, or why it is in the set
    group: Group
    label: str  # the hand label: "pkg_resources", "Cython", "python2-only", "missing-header", ...
    expected: Expected | None  # None: no build-dependency finding is right
    fixes: bool | None  # completing the build requirements fixes it (None: not verified)
    fix: str  # how that was checked and what worked, or why it cannot work
    notes: str = ""
    # Where one Python fails otherwise: {"3.13": {"group": ..., "label": ..., "expected": ...}}.
    by_python: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{normalise(self.name)}-{self.version}"

    @property
    def fixture(self) -> str:
        return f"pypi-{self.key}"

    def case_id(self, pip: str) -> str:
        return f"pip{pip}-py{PIPS[pip]}-{self.fixture}-{VARIANT}-pipe"


def on(sdist: Sdist, pip: str) -> Sdist:
    """The entry as it reads on the Python this pip runs on."""
    override = dict(sdist.by_python.get(PIPS[pip], {}))
    if "expected" in override and override["expected"] is not None:
        override["expected"] = Expected(**override["expected"])
    return replace(sdist, **override) if override else sdist


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def load_set() -> list[Sdist]:
    entries: list[dict[str, Any]] = json.loads(SET_FILE.read_text())["sdists"]
    result: list[Sdist] = []
    for entry in entries:
        want = entry.get("expected")
        expected = None if want is None else Expected(**want)
        result.append(Sdist(**{**entry, "expected": expected}))
    return result


def select(sdists: list[Sdist], patterns: Sequence[str]) -> list[Sdist]:
    if not patterns:
        return sdists
    return [s for s in sdists if any(re.search(p, s.key, re.I) for p in patterns)]


# --------------------------------------------------------------------------- fetch


def pypi_files(name: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"https://pypi.org/simple/{normalise(name)}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        files: list[dict[str, Any]] = json.load(response)["files"]
    return files


def sdist_file(sdist: Sdist) -> dict[str, Any]:
    """The one sdist of NAME==V on PyPI."""
    for entry in pypi_files(sdist.name):
        filename = str(entry["filename"])
        if filename == sdist.filename:
            return entry
        stem = re.sub(r"\.(tar\.gz|zip|tar\.bz2|tgz)$", "", filename)
        if not sdist.filename and stem != filename and stem.endswith(f"-{sdist.version}"):
            return entry
    raise RuntimeError(f"{sdist.key}: {sdist.filename} is not on PyPI")


def fetch(sdists: list[Sdist], *, pin: bool) -> None:
    """Download each sdist into .cache/pypi-sdists/ and check (or, with --pin, record) sha256."""
    SDISTS.mkdir(parents=True, exist_ok=True)
    raw = json.loads(SET_FILE.read_text())
    by_key = {f"{normalise(e['name'])}-{e['version']}": e for e in raw["sdists"]}
    for sdist in sdists:
        target = SDISTS / (sdist.filename or "-")
        fresh = target.exists() and sdist.sha256
        if fresh and hashlib.sha256(target.read_bytes()).hexdigest() == sdist.sha256:
            continue
        entry = sdist_file(sdist)
        with urllib.request.urlopen(entry["url"], timeout=300) as response:  # noqa: S310
            data = response.read()
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["hashes"]["sha256"]:
            raise RuntimeError(f"{sdist.filename}: the download does not match PyPI's sha256")
        if sdist.sha256 and digest != sdist.sha256:
            raise RuntimeError(f"{sdist.filename}: sha256 {digest} is not the pinned one")
        target = SDISTS / str(entry["filename"])
        target.write_bytes(data)
        if pin:
            by_key[sdist.key].update(filename=entry["filename"], sha256=digest)
        log(f"{sdist.filename}: {len(data)} bytes, sha256 ok")
    if pin:
        SET_FILE.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- venvs


def pip_env(venv: Path, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """make_corpus's clean environment with this venv first on PATH and an empty HOME."""
    env = clean_env(
        {
            "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "VIRTUAL_ENV": str(venv),
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
        }
    )
    env.pop("PYENV_ROOT", None)
    if extra:
        env.update(extra)
    return env


def ensure_venv(pip: str, root: Path = VENVS) -> Path:
    """A venv of PIPS[pip]'s Python holding that pip (from PyPI), made once."""
    venv = root / f"pip{pip}-py{PIPS[pip]}"
    marker = venv / ".realworld-ready"
    if marker.exists():
        return venv
    if venv.exists():
        shutil.rmtree(venv)
    log(f"venv: creating {venv}")
    env = clean_env()
    subprocess.run([str(base_python(PIPS[pip])), "-m", "venv", str(venv)], check=True, env=env)
    # The venv's bundled pip may predate truststore; the system CA bundle lets it reach PyPI.
    subprocess.run(
        [
            *(str(venv / "bin" / "python"), "-m", "pip", "install", "-q"),
            *("--cert", "/etc/ssl/certs/ca-certificates.crt", f"pip=={pip}"),
        ],
        check=True,
        env=env,
    )
    marker.write_text(pip)
    return venv


# --------------------------------------------------------------------------- capture


def command_for(sdist: Sdist) -> list[str]:
    return [
        "pip",
        "install",
        "--no-deps",
        "--no-binary",
        sdist.name,
        f"{sdist.name}=={sdist.version}",
    ]


def expected_failures(sdist: Sdist) -> list[dict[str, Any]]:
    if sdist.expected is None:
        return []
    want = sdist.expected
    return [
        {
            "kind": want.kind,
            "module": want.module,
            "distribution": want.distribution,
            "isolated": True,
            "hook": want.hook,
            "project": sdist.name,
        }
    ]


def capture_one(sdist: Sdist, pip: str, venv: Path) -> None:
    sdist = on(sdist, pip)
    work = Path(tempfile.mkdtemp(prefix="safepip-realworld-"))
    try:
        home = work / ".home"
        home.mkdir()
        argv = [str(venv / "bin" / "pip"), *command_for(sdist)[1:]]
        started = time.monotonic()
        with restored(venv):
            exit_code, output = run_pipe(argv, str(work), pip_env(venv, home))
        seconds = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record: dict[str, Any] = {
        "pip": pip,
        "python": PIPS[pip],
        "mode": "pipe",
        "command": command_for(sdist),
        "cwd": "<tmp>",
        "fixture": sdist.fixture,
        "variant": VARIANT,
        "exit_code": exit_code,
        "expected": {"failures": expected_failures(sdist)},
        "paths": {"<tmp>": str(work)},
        "label": sdist.label,
        "realworld": {
            "group": sdist.group,
            "sdist": sdist.filename,
            "sha256": sdist.sha256,
            "source": sdist.source,
            "fixes": sdist.fixes,
            "fix": sdist.fix,
        },
    }
    folder = CORPUS / sdist.case_id(pip)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "output.log").write_bytes(output)
    notes = write_case(sdist, pip, record, output)
    log(
        f"{folder.name}: exit {exit_code}, {len(output)} bytes, {seconds:.1f}s"
        + (f"  REVIEW: {'; '.join(notes)}" if notes else "")
    )


def write_case(sdist: Sdist, pip: str, record: dict[str, Any], output: bytes) -> list[str]:
    """case.json, with make_corpus's cheap evidence checks as `review` notes."""
    record.pop("review", None)
    case = make_corpus.Case(pip, PIPS[pip], sdist.fixture, VARIANT, "pipe")
    text = ANSI.sub("", output.decode("utf-8", "replace"))
    notes = [] if sdist.expected is None else make_corpus.check(case, record, text)
    if sdist.label.endswith("-own-wording") or sdist.label == "fetch_build_eggs":
        # The setup.py words the missing piece itself, or setuptools names a requirement in a
        # pip command line: no "No module named" line is expected.
        notes = [note for note in notes if not note.startswith("no sign of module")]
    if notes:
        record["review"] = notes
    path = CORPUS / sdist.case_id(pip) / "case.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    return notes


def relabel(sdists: list[Sdist], pips: Sequence[str]) -> None:
    """Rewrite the labels of recorded cases from the set file, without running pip."""
    for entry in sdists:
        for pip in pips:
            sdist = on(entry, pip)
            folder = CORPUS / sdist.case_id(pip)
            if not (folder / "case.json").exists():
                continue
            record = json.loads((folder / "case.json").read_text())
            record["expected"] = {"failures": expected_failures(sdist)}
            record["label"] = sdist.label
            record["realworld"].update(
                {"group": sdist.group, "source": sdist.source, "fixes": sdist.fixes}
            )
            record["realworld"].update({"fix": sdist.fix, "sha256": sdist.sha256})
            notes = write_case(sdist, pip, record, (folder / "output.log").read_bytes())
            if notes:
                log(f"{folder.name}  REVIEW: {'; '.join(notes)}")


# --------------------------------------------------------------------------- verify


def fix_requirements(sdist: Sdist) -> list[str]:
    """What completes the build requirements: the `fix` text's `requires:` list."""
    match = re.search(r"requires: \[([^\]]*)\]", sdist.fix)
    if match is None:
        return []
    return [word.strip().strip("'\"") for word in match.group(1).split(",") if word.strip()]


def fix_constraints(sdist: Sdist) -> list[str]:
    """The caps that fix a build tool newer than the sdist: the `fix` text's `constraint:` list."""
    match = re.search(r"constraint: \[([^\]]*)\]", sdist.fix)
    if match is None:
        return []
    return [word.strip().strip("'\"") for word in match.group(1).split(",") if word.strip()]


def verify_constrained(sdist: Sdist, pip: str, venv: Path, caps: list[str], timeout: float) -> None:
    """The cap by hand, isolation kept: pip 25.3+ gets it as --build-constraint FILE, older pips
    as PIP_CONSTRAINT (which their build-environment pip inherits), as safepip gives it."""
    work = Path(tempfile.mkdtemp(prefix="safepip-realworld-verify-"))
    home = work / ".home"
    home.mkdir()
    constraints = work / "build-constraints.txt"
    constraints.write_text("".join(f"{cap}\n" for cap in caps))
    new_pip = tuple(int(part) for part in pip.split(".")[:2]) >= (25, 3)
    env = pip_env(venv, home, None if new_pip else {"PIP_CONSTRAINT": str(constraints)})
    option = ["--build-constraint", str(constraints)] if new_pip else []
    started = time.monotonic()
    with restored(venv):
        status, tail = build_logged(
            sdist, pip, venv, ["install", "--no-cache-dir", *option], env, work, timeout
        )
    shutil.rmtree(work, ignore_errors=True)
    how = "--build-constraint" if new_pip else "PIP_CONSTRAINT"
    log(
        f"{sdist.key} pip {pip}: {how} {' '.join(caps)}, isolated build {status} "
        f"in {time.monotonic() - started:.0f}s  {' | '.join(tail)[-300:]}"
    )


def build_logged(  # noqa: PLR0917 - one build's every input
    sdist: Sdist,
    pip: str,
    venv: Path,
    pip_args: list[str],
    env: dict[str, str],
    work: Path,
    timeout: float,
) -> tuple[str, list[str]]:
    """Build ``sdist`` (``--no-deps --no-binary``) with the venv's pip and ``pip_args``; its log
    kept beside the venv; how it ended and its last error lines."""
    try:
        built = subprocess.run(
            [
                *(str(venv / "bin" / "pip"), *pip_args),
                *("--no-deps", "--no-binary", sdist.name, f"{sdist.name}=={sdist.version}"),
            ],
            env=env,
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return "timeout", []
    status = "ok" if built.returncode == 0 else f"failed ({built.returncode})"
    text = ANSI.sub("", built.stdout.decode("utf-8", "replace"))
    (venv.parent / "logs").mkdir(exist_ok=True)
    (venv.parent / "logs" / f"{sdist.key}-pip{pip}.log").write_text(text)
    errors = [line for line in text.splitlines() if re.search(r"rror|No module", line)]
    return status, errors[-3:]


def verify(sdists: list[Sdist], pip: str, timeout: float) -> None:
    """The fix by hand: install what is missing (setuptools<82 + the pieces), then build the
    sdist without isolation; or, for a `constraint:` fix, build it isolated under those caps.
    Prints what happened; the set file records it."""
    venv = ensure_venv(pip, CACHE / "realworld-verify")
    for sdist in sdists:
        caps = fix_constraints(on(sdist, pip))
        if caps:
            verify_constrained(sdist, pip, venv, caps, timeout)
            continue
        requirements = fix_requirements(sdist)
        if not requirements:
            continue
        work = Path(tempfile.mkdtemp(prefix="safepip-realworld-verify-"))
        home = work / ".home"
        home.mkdir()
        env = pip_env(venv, home)
        started = time.monotonic()
        with restored(venv):
            pieces = subprocess.run(
                [str(venv / "bin" / "pip"), "install", "-q", *requirements],
                env=env,
                capture_output=True,
                check=False,
                timeout=timeout,
            )
            status, tail = build_logged(
                sdist, pip, venv, ["install", "--no-build-isolation"], env, work, timeout
            )
        shutil.rmtree(work, ignore_errors=True)
        log(
            f"{sdist.key} pip {pip}: pieces {pieces.returncode}, --no-build-isolation {status} "
            f"in {time.monotonic() - started:.0f}s  {' | '.join(tail)[-300:]}"
        )


# --------------------------------------------------------------------------- e2e


@dataclass
class Outcome:
    case: str
    pip: str
    no_binary: bool
    group: Group
    diagnosis: str  # "right", "wrong", "missed", "false-alarm", "silent" (right for a negative)
    installed: bool
    exit_code: int | None
    pip_runs: int
    seconds: float
    found: list[dict[str, Any]]


def judge(sdist: Sdist, found: list[dict[str, Any]]) -> str:
    build = [f for f in found if f.get("kind") in BUILD_KINDS]
    if sdist.expected is None:
        return "false-alarm" if build else "silent"
    if not found:
        return "missed"
    first = found[0]
    same = first.get("kind") == sdist.expected.kind and normalise(
        str(first.get("distribution"))
    ) == normalise(str(sdist.expected.distribution))
    return "right" if same else "wrong"


def e2e_one(
    sdist: Sdist, pip: str, venv: Path, safepip: str, *, no_binary: bool, timeout: float, out: Path
) -> Outcome:
    sdist = on(sdist, pip)
    work = Path(tempfile.mkdtemp(prefix="safepip-realworld-e2e-"))
    home = work / ".home"
    home.mkdir()
    report = work / "report.json"
    words = ["install", "--no-deps"]
    if no_binary:
        words += ["--no-binary", sdist.name]
    argv = [safepip, "--yes", "--report", str(report), *words, f"{sdist.name}=={sdist.version}"]
    env = pip_env(venv, home, {"SAFEPIP_PYTHON": str(venv / "bin" / "python")})
    started = time.monotonic()
    exit_code: int | None
    with restored(venv):
        try:
            exit_code, output = run_pipe_timeout(argv, str(work), env, timeout)
        except subprocess.TimeoutExpired:
            exit_code, output = None, b""
        check = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "show", "-q", sdist.name],
            env=env,
            capture_output=True,
            check=False,
        )
    seconds = time.monotonic() - started
    data: dict[str, Any] = json.loads(report.read_text()) if report.exists() else {}
    (out / "logs").mkdir(parents=True, exist_ok=True)
    tag = f"{sdist.key}-pip{pip}{'-no-binary' if no_binary else ''}"
    (out / "logs" / f"{tag}.log").write_bytes(output)
    (out / "logs" / f"{tag}.report.json").write_text(json.dumps(data, indent=1) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    found = findings(data)
    return Outcome(
        case=sdist.key,
        pip=pip,
        no_binary=no_binary,
        group=sdist.group,
        diagnosis=judge(sdist, found),
        installed=exit_code == 0 and check.returncode == 0,
        exit_code=exit_code,
        pip_runs=len(data.get("runs", [])),
        seconds=round(seconds, 1),
        found=found,
    )


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The failures the report names, first run first (the schema of docs/logs.md)."""
    found: list[dict[str, Any]] = []
    for run in report.get("runs", []):
        failures = run.get("failures", []) if isinstance(run, dict) else []
        found.extend(failure for failure in failures if isinstance(failure, dict))
    for failure in report.get("failures", []):
        if isinstance(failure, dict) and failure not in found:
            found.append(failure)
    return found


def run_pipe_timeout(
    argv: list[str], cwd: str, env: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """Run in a session of its own: a timeout ends safepip and every pip and compiler under it."""
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process.returncode, output


def settle(outcome: Outcome) -> Outcome:
    """A positive that installs with no finding found a wheel: there was nothing to diagnose."""
    if outcome.group == "build-dependency" and outcome.installed and not outcome.found:
        outcome.diagnosis = "no-build-failure"
    return outcome


def summarise(outcomes: list[Outcome], safepip: str) -> str:
    outcomes = [settle(o) for o in outcomes]
    positives = [
        o for o in outcomes if o.group == "build-dependency" and o.diagnosis != "no-build-failure"
    ]
    negatives = [o for o in outcomes if o.group == "other"]
    right = sum(o.diagnosis == "right" for o in positives)
    alarms = sum(o.diagnosis == "false-alarm" for o in negatives)
    installed = sum(o.installed for o in positives)
    runs = sum(o.pip_runs for o in positives) / len(positives) if positives else 0.0
    seconds = sum(o.seconds for o in positives) / len(positives) if positives else 0.0
    lines = [
        f"safepip: {safepip}",
        "",
        "| case | pip | --no-binary | diagnosis | installed | exit | pip runs | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {o.case} | {o.pip} | {'yes' if o.no_binary else 'no'} | {o.diagnosis} | "
        f"{'yes' if o.installed else 'no'} | {o.exit_code} | {o.pip_runs} | {o.seconds} |"
        for o in outcomes
    ]
    lines += [
        "",
        (
            f"- diagnosis right: {right}/{len(positives)} runs of positives that failed to build "
            f"({sum(o.diagnosis == 'no-build-failure' for o in outcomes)} found a wheel)"
        ),
        f"- false alarms: {alarms}/{len(negatives)} runs of negatives",
        f"- installs completed: {installed}/{len(positives)} runs of positives",
        f"- mean pip runs per positive: {runs:.1f}; mean seconds per positive: {seconds:.1f}",
    ]
    return "\n".join(lines) + "\n"


def e2e(
    sdists: list[Sdist],
    pips: Sequence[str],
    safepip: str,
    *,
    timeout: float,
    variants: Sequence[bool],
    negatives: bool,
    out: Path,
) -> int:
    out.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []  # written after each run, so a cut-short benchmark still counts
    chosen = [s for s in sdists if s.group == "build-dependency" or negatives]
    for pip in pips:
        venv = ensure_venv(pip, out / "venvs")
        for sdist in chosen:
            for no_binary in variants if sdist.group == "build-dependency" else [True]:
                outcome = e2e_one(
                    sdist, pip, venv, safepip, no_binary=no_binary, timeout=timeout, out=out
                )
                outcomes.append(outcome)
                log(
                    f"{sdist.key} pip {pip} no-binary={no_binary}: {outcome.diagnosis}, "
                    f"installed={outcome.installed}, runs={outcome.pip_runs}, {outcome.seconds}s"
                )
                (out / "summary.json").write_text(
                    json.dumps([o.__dict__ for o in outcomes], indent=1) + "\n"
                )
    table = summarise(outcomes, safepip)
    (out / "summary.md").write_text(table)
    print(table)
    return 0


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "action", choices=["list", "fetch", "capture", "relabel", "verify", "e2e", "summary"]
    )
    parser.add_argument("--pip", action="append", default=[], choices=sorted(PIPS))
    parser.add_argument("--case", action="append", default=[], help="regular expression on NAME-V")
    parser.add_argument("--force", action="store_true", help="capture: redo recorded cases")
    parser.add_argument("--markdown", action="store_true", help="list: a markdown table")
    parser.add_argument("--pin", action="store_true", help="fetch: record missing sha256 values")
    parser.add_argument("--safepip", default=str(DEFAULT_SAFEPIP), help="e2e: the safepip to run")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument(
        "--variant",
        choices=["both", "no-binary", "plain"],
        default="both",
        help="e2e: with --no-binary NAME, without it, or both",
    )
    parser.add_argument("--negatives", action="store_true", help="e2e: run the negatives too")
    parser.add_argument(
        "--out",
        type=Path,
        action="append",
        default=[],
        help="e2e: folder for the results; summary: folders to combine",
    )
    options = parser.parse_args(argv)
    sdists = select(load_set(), options.case)
    pips = options.pip or list(PIPS)
    actions: dict[str, Callable[[], object]] = {
        "list": lambda: show(sdists, markdown=options.markdown),
        "fetch": lambda: fetch(sdists, pin=options.pin),
        "relabel": lambda: relabel(sdists, pips),
        "verify": lambda: verify_all(sdists, pips, options.timeout),
        "summary": lambda: print(summarise(load_outcomes(options.out), options.safepip)),
        "e2e": lambda: e2e(
            sdists,
            pips,
            options.safepip,
            timeout=options.timeout,
            variants={"both": [False, True], "no-binary": [True], "plain": [False]}[
                options.variant
            ],
            negatives=options.negatives,
            out=(options.out[0] if options.out else E2E_OUT).resolve(),
        ),
        "capture": lambda: capture(sdists, pips, force=options.force, timeout=options.timeout),
    }
    actions[options.action]()
    return 0


def verify_all(sdists: list[Sdist], pips: Sequence[str], timeout: float) -> None:
    for pip in pips:
        verify(sdists, pip, timeout)


def show(sdists: list[Sdist], *, markdown: bool) -> None:
    if markdown:
        print("| sdist | label | expected finding | completing the build requirements |")
        print("|---|---|---|---|")
    for s in sdists:
        want = s.expected
        label = "none" if want is None else f"{want.kind}: {want.module} -> {want.distribution}"
        if markdown:
            fixes = {True: "fixes it", False: "does not fix it", None: "not verified"}[s.fixes]
            print(f"| {s.name} {s.version} | {s.label} | {label} | {fixes} |")
        else:
            print(f"{s.key:36} {s.group:16} {s.label:22} {label}  fixes={s.fixes}")
    if not markdown:
        print(f"{len(sdists)} sdists", file=sys.stderr)


def load_outcomes(folders: Sequence[Path]) -> list[Outcome]:
    return [
        Outcome(**row)
        for folder in folders or [E2E_OUT]
        for row in json.loads((folder / "summary.json").read_text())
    ]


def capture(sdists: list[Sdist], pips: Sequence[str], *, force: bool, timeout: float) -> None:
    make_corpus.TIMEOUT = int(timeout)  # run_pipe's limit per pip run
    for pip in pips:
        venv = ensure_venv(pip)
        for sdist in sdists:
            if not force and (CORPUS / sdist.case_id(pip) / "case.json").exists():
                continue
            try:
                capture_one(sdist, pip, venv)
            except subprocess.TimeoutExpired:
                log(f"{sdist.case_id(pip)}: timed out, not recorded")


if __name__ == "__main__":
    sys.exit(main())
