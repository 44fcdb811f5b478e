"""Run the whole test suite from a fresh clone: `python3 scripts/test.py`.

Creates one virtual environment per Python under .venvs/ (safepip installed editable with its test
tools), runs the linters once (ruff, mypy strict) and pytest on the oldest and the newest supported
Python (`--all` for every supported one, `--python 3.11` for one). A Python the machine lacks is
skipped with a clear reason; at least one must be found.

Both ends of every dependency range: the oldest Python runs with the declared minimum versions of
safepip's dependencies (tests/constraints-minimum.txt, kept in step with pyproject.toml), the
others with today's releases (`--latest-only` or `--minimum-only` for one set).

Tiers: by default every test runs, spread over pytest-xdist workers: the in-process tier on
every Python, and the real-pip tier (marked `slow`: real pip, shells, terminals) once, on the
newest Python, except the real-process tests marked `every_python`, which the oldest Python (with
the minimum versions) runs too: the relay, ptys, signals, stdout faults, urllib, a 10 MB tomlkit
edit, where the interpreter or a dependency's version can change the outcome. What the rest add
(pip's builds, the fix loop, the CI recipes) does not differ between Pythons, and the oldest
Python still runs every in-process test of the code they exercise (`--all` runs every test on
every Python). `--quick` runs only the in-process tier (`-m "not slow"`) on the newest Python,
without the linters: the loop to work in, under a minute.

With more than one Python, their venvs are made and their pytest runs go side by side, and the
linters run meanwhile: each pytest run writes its log under .cache/test-logs/, printed whole when
it ends. `--serial` runs the linters, then each pytest run, one after another, live.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
from pathlib import Path
from subprocess import Popen

from _envs import ROOT, SUPPORTED, clean_environ, ensure_venv, find_python

MINIMUM = ROOT / "tests" / "constraints-minimum.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="test on every supported Python")
    parser.add_argument("--python", action="append", choices=SUPPORTED, help="test on this one")
    parser.add_argument("--no-lint", action="store_true", help="skip ruff and mypy")
    parser.add_argument("--serial", action="store_true", help="one Python after another, live")
    parser.add_argument(
        "--quick", action="store_true", help="the in-process tier only, newest Python, no lint"
    )
    sets = parser.add_mutually_exclusive_group()
    sets.add_argument(
        "--minimum-only", action="store_true", help="every Python with the minimum versions"
    )
    sets.add_argument(
        "--latest-only", action="store_true", help="every Python with today's releases"
    )
    parser.add_argument(
        "-n", "--workers", help="pytest-xdist workers per Python (default: from the CPU count)"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    options = parser.parse_args()
    versions = options.python or (list(SUPPORTED) if options.all else [SUPPORTED[0], SUPPORTED[-1]])
    if options.quick and not options.python:
        versions = [SUPPORTED[-1]]

    found: dict[str, str] = {}
    for version in versions:
        python = find_python(version)
        if python is None:
            print(f"SKIP Python {version}: no interpreter found (pyenv or python{version} on PATH)")
        else:
            found[version] = python
    if not found:
        print("error: none of the requested Pythons is on this machine", file=sys.stderr)
        return 1

    newest = max(found, key=_key)
    venvs = _prepare(found, options)
    lint_venv = next(venv for label, venv in venvs.items() if label.startswith(newest))
    runs = {label: _pytest_args(options, label, venvs, newest) for label in venvs}
    for venv in venvs.values():
        # safepip's sources compiled once: the tests start safepip as a child process hundreds of
        # times, with PYTHONDONTWRITEBYTECODE (they write nothing next to the fixtures), and each
        # would compile the modules it imports again (about 0.15 s a run).
        subprocess.run(
            [str(venv), "-m", "compileall", "-q", "src", "testing"],
            cwd=ROOT,
            env=_pytest_environ(),
            stdout=subprocess.DEVNULL,
            check=True,
        )
    serial = options.serial or len(venvs) == 1
    # Side by side, the linters run while the pytest runs start (their workers' first minute is
    # partly waiting on downloads and on venvs being copied).
    running = [] if serial else _start_pytest(venvs, runs)
    failed = [] if options.no_lint or options.quick else _lint(lint_venv, newest)
    failed += _serial_pytest(venvs, runs) if serial else _finish_pytest(running)
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"all checks passed on Python {', '.join(venvs)}")
    return 0


def _prepare(found: dict[str, str], options: argparse.Namespace) -> dict[str, Path]:
    """The test venv of each Python (made or kept), by label; the test caches fetched meanwhile."""
    oldest = min(found, key=_key)
    newest = max(found, key=_key)
    wanted: dict[str, tuple[Path, str, str, bool]] = {}
    for version, python in found.items():
        # The oldest runs with the minimum versions, unless it is the only one (as for --quick).
        minimum = options.minimum_only or (
            not options.latest_only and version == oldest and len(found) > 1
        )
        # The newest always gets the linters, so that --no-lint does not rebuild its venv. The CI
        # tools (tox, nox, pre-commit) need newer dependencies than the minimums: their tests
        # run with today's releases only.
        extras = "test" if minimum else "test,test-tools"
        extras += ",lint" if version == newest else ""
        name = f"test-{version}-minimum" if minimum else f"test-{version}"
        label = f"{version}-minimum" if minimum else version
        print(f"== Python {label}: preparing .venvs/{name}", flush=True)
        wanted[label] = (ROOT / ".venvs" / name, python, extras, minimum)
    # What the real-pip tier downloads once (the wheelhouse, the template venv, the real sdists),
    # fetched by each Python meanwhile; the venvs made side by side: on a fresh clone most of it
    # is waiting on downloads.
    prefetching = [] if options.quick else _start_prefetch(found, newest)
    with concurrent.futures.ThreadPoolExecutor(len(wanted)) as pool:
        made = {
            label: pool.submit(
                ensure_venv, root, python, extras, constraints=MINIMUM if minimum else None
            )
            for label, (root, python, extras, minimum) in wanted.items()
        }
        venvs = {label: future.result() for label, future in made.items()}
    for version, process in prefetching:
        _, errors = process.communicate()
        if process.returncode:  # the tests' fixtures try again, and skip with a reason
            said = errors.strip().splitlines() or [f"prefetch exited {process.returncode}"]
            print(f"note: Python {version}: {said[-1]} (the tests try again)", flush=True)
    return venvs


def _key(version: str) -> tuple[int, ...]:
    return tuple(map(int, version.split(".")))


def _pytest_args(
    options: argparse.Namespace, label: str, venvs: dict[str, Path], newest: str
) -> list[str]:
    """pytest's arguments for one Python: its tier, its xdist workers, the user's own."""
    args = list(options.pytest_args)
    everything = options.all or len(venvs) == 1 or label.startswith(newest)
    if options.quick:
        args = ["-m", "not slow", *args]
    elif not everything:
        args = ["-m", "not slow or every_python", *args]
    workers = options.workers or _workers(len(venvs), quick=options.quick, full=everything)
    if workers not in {"0", "1"}:
        # worksteal: a worker that runs out takes tests queued for another, so that a few long
        # real-pip tests (the CI recipes, the fixes) do not leave one worker finishing alone.
        args = ["-n", workers, "--dist", "worksteal", *args]
    return args


def _workers(pythons: int, *, quick: bool, full: bool) -> str:
    """xdist workers per Python. The real-pip tier mostly waits on pip and on venvs being copied,
    so about two workers per core keep the cores busy, most of them for the run that has the
    whole real-pip tier (the other ends first); the quick tier is CPU-bound (hypothesis) and
    gains little beyond one worker per core."""
    cores = os.cpu_count() or 1
    if quick:
        return str(max(1, cores // pythons))
    if pythons == 1:
        return str(max(2, 2 * cores))
    return str(max(2, 2 * cores - 1) if full else max(1, cores))


def _pytest_environ() -> dict[str, str]:
    """pytest's environment: the machine's pip configuration scrubbed, and bytecode written
    (a PYTHONDONTWRITEBYTECODE of the machine's would make every worker of every run rewrite
    the test modules' assertions, and every safepip child compile its modules, again)."""
    environ = clean_environ()
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return environ


def _start_prefetch(found: dict[str, str], newest: str) -> list[tuple[str, Popen[str]]]:
    """``python -m testing.prefetch`` with each Python (the newest fetches the shared sdists)."""
    return [
        (
            version,
            subprocess.Popen(
                [python, "-m", "testing.prefetch", *(["--sdists"] if version == newest else [])],
                cwd=ROOT,
                env=clean_environ(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for version, python in found.items()
    ]


def _lint(venv: Path, version: str) -> list[str]:
    """ruff, its formatter check and mypy, live; the failures, as lines."""
    failed = []
    for check in (
        ["-m", "ruff", "check", "."],
        ["-m", "ruff", "format", "--check", "."],
        ["-m", "mypy"],
    ):
        print(f"== Python {version}: {' '.join(check[1:])}", flush=True)
        if subprocess.run([str(venv), *check], cwd=ROOT, check=False).returncode:
            failed.append(f"{version}: {' '.join(check[1:])}")
    return failed


def _serial_pytest(venvs: dict[str, Path], runs: dict[str, list[str]]) -> list[str]:
    """Run pytest on each venv in turn, live; the failures, as lines."""
    failed: list[str] = []
    for version, venv in venvs.items():
        print(f"== Python {version}: pytest", flush=True)
        status = subprocess.run(
            [str(venv), "-m", "pytest", *runs[version]],
            cwd=ROOT,
            env=_pytest_environ(),
            check=False,
        ).returncode
        if status:  # 5 (no test collected) is a failure too: the suite always has tests
            failed.append(f"{version}: pytest exited {status}")
    return failed


Running = list[tuple[str, Path, "Popen[bytes]"]]


def _start_pytest(venvs: dict[str, Path], runs: dict[str, list[str]]) -> Running:
    """Start pytest on every venv at once, each writing its log under .cache/test-logs/."""
    logs = ROOT / ".cache" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    running: Running = []
    for version, venv in venvs.items():
        log = logs / f"pytest-{version}.log"
        print(f"== Python {version}: pytest (side by side; log in {log.relative_to(ROOT)})")
        with log.open("wb") as handle:
            running.append(
                (
                    version,
                    log,
                    subprocess.Popen(
                        [str(venv), "-m", "pytest", *runs[version]],
                        cwd=ROOT,
                        env=_pytest_environ(),
                        stdin=subprocess.DEVNULL,
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
    sys.stdout.flush()
    return running


def _finish_pytest(running: Running) -> list[str]:
    """Wait for each run and print its log whole; the failures, as lines."""
    failed: list[str] = []
    for version, log, process in running:
        status = process.wait()
        print(f"== Python {version}: pytest exited {status}", flush=True)
        sys.stdout.buffer.write(log.read_bytes())
        sys.stdout.flush()
        if status:  # 5 (no test collected) is a failure too: the suite always has tests
            failed.append(f"{version}: pytest exited {status}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
