"""Run the whole test suite from a fresh clone: `python3 scripts/test.py`.

Creates one virtual environment per Python under .venvs/ (safepip installed editable with its test
tools), runs the linters once (ruff, mypy strict) and pytest on the oldest and the newest supported
Python (`--all` for every supported one, `--python 3.11` for one). A Python the machine lacks is
skipped with a clear reason; at least one must be found.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from _envs import ROOT, SUPPORTED, clean_environ, ensure_venv, find_python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="test on every supported Python")
    parser.add_argument("--python", action="append", choices=SUPPORTED, help="test on this one")
    parser.add_argument("--no-lint", action="store_true", help="skip ruff and mypy")
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
    for version, python in found.items():
        extras = "test,lint" if version == newest and not options.no_lint else "test"
        print(f"== Python {version}: preparing .venvs/test-{version}", flush=True)
        venv = ensure_venv(ROOT / ".venvs" / f"test-{version}", python, extras)
        if "lint" in extras:
            for check in (
                ["-m", "ruff", "check", "."],
                ["-m", "ruff", "format", "--check", "."],
                ["-m", "mypy"],
            ):
                print(f"== Python {version}: {' '.join(check[1:])}", flush=True)
                if subprocess.run([str(venv), *check], cwd=ROOT, check=False).returncode:
                    failed.append(f"{version}: {' '.join(check[1:])}")
        print(f"== Python {version}: pytest", flush=True)
        status = subprocess.run(
            [str(venv), "-m", "pytest", *options.pytest_args],
            cwd=ROOT,
            env=clean_environ(),
            check=False,
        ).returncode
        if status:  # 5 (no test collected) is a failure too: the suite always has tests
            failed.append(f"{version}: pytest exited {status}")
    if failed:
        print("FAILED: " + "; ".join(failed), file=sys.stderr)
        return 1
    print(f"all checks passed on Python {', '.join(found)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
