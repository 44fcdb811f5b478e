"""Run the whole test suite from a fresh clone: `python3 scripts/test.py`.

Creates one virtual environment per Python under .venvs/ (safepip installed editable with its test
tools), runs the linters once (ruff, mypy strict) and pytest on the oldest and the newest supported
Python (`--all` for every supported one, `--python 3.11` for one). A Python the machine lacks is
skipped with a clear reason; at least one must be found.

With more than one Python, their pytest runs go side by side (most of a run is waiting on pip
subprocesses, so two runs on two cores take little longer than one): each writes its log under
.cache/test-logs/, printed whole when it ends. `--serial` runs them one after another, live.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _envs import ROOT, SUPPORTED, clean_environ, ensure_venv, find_python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="test on every supported Python")
    parser.add_argument("--python", action="append", choices=SUPPORTED, help="test on this one")
    parser.add_argument("--no-lint", action="store_true", help="skip ruff and mypy")
    parser.add_argument("--serial", action="store_true", help="one Python after another, live")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    options = parser.parse_args()
    versions = options.python or (list(SUPPORTED) if options.all else [SUPPORTED[0], SUPPORTED[-1]])

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

    failed: list[str] = []
    newest = max(found, key=lambda v: tuple(map(int, v.split("."))))
    venvs: dict[str, Path] = {}
    for version, python in found.items():
        # The newest always gets the linters, so that --no-lint does not rebuild its venv.
        extras = "test,lint" if version == newest else "test"
        print(f"== Python {version}: preparing .venvs/test-{version}", flush=True)
        venvs[version] = ensure_venv(ROOT / ".venvs" / f"test-{version}", python, extras)
    if not options.no_lint:
        for check in (
            ["-m", "ruff", "check", "."],
            ["-m", "ruff", "format", "--check", "."],
            ["-m", "mypy"],
        ):
            print(f"== Python {newest}: {' '.join(check[1:])}", flush=True)
            if subprocess.run([str(venvs[newest]), *check], cwd=ROOT, check=False).returncode:
                failed.append(f"{newest}: {' '.join(check[1:])}")
    failed += _pytest(venvs, options.pytest_args, serial=options.serial or len(venvs) == 1)
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"all checks passed on Python {', '.join(found)}")
    return 0


def _pytest(venvs: dict[str, Path], args: list[str], *, serial: bool) -> list[str]:
    """Run pytest on each venv; the failures, as lines."""
    failed: list[str] = []
    if serial:
        for version, venv in venvs.items():
            print(f"== Python {version}: pytest", flush=True)
            status = subprocess.run(
                [str(venv), "-m", "pytest", *args], cwd=ROOT, env=clean_environ(), check=False
            ).returncode
            if status:  # 5 (no test collected) is a failure too: the suite always has tests
                failed.append(f"{version}: pytest exited {status}")
        return failed
    logs = ROOT / ".cache" / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    running: list[tuple[str, Path, subprocess.Popen[bytes]]] = []
    for version, venv in venvs.items():
        log = logs / f"pytest-{version}.log"
        print(f"== Python {version}: pytest (side by side; log in {log.relative_to(ROOT)})")
        with log.open("wb") as handle:
            running.append(
                (
                    version,
                    log,
                    subprocess.Popen(
                        [str(venv), "-m", "pytest", *args],
                        cwd=ROOT,
                        env=clean_environ(),
                        stdin=subprocess.DEVNULL,
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                    ),
                )
            )
    sys.stdout.flush()
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
