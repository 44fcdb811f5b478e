"""Time ``safepip doctor`` on a project against ``pip --version``, in the same interpreter.

Both commands run as subprocesses of the same Python (``-m safepip doctor PATH`` and
``-m pip --version``), interleaved so that a busy machine slows both alike; the medians are
reported. doctor's exit status 1 (findings) is expected for a broken project.

    python scripts/bench_doctor.py [PATH] [--runs N] [--python PYTHON]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _envs import clean_environ

ROOT = Path(__file__).resolve().parent.parent


def _environ() -> dict[str, str]:
    environ = clean_environ()
    # An installed safepip has byte-code caches, as pip has: let the warm-up run write them.
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return environ


def _time(argv: list[str], environ: dict[str, str], allowed: set[int]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, env=environ, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in allowed:
        raise SystemExit(
            f"{' '.join(argv)} exited with {result.returncode}:\n{result.stderr.decode()}"
        )
    return elapsed


def _doctor_argv(python: str, path: str) -> list[str]:
    """``-m safepip doctor PATH``."""
    return [python, "-m", "safepip", "doctor", path]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "path", nargs="?", default=str(ROOT / "tests" / "projects" / "flit-missing")
    )
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args()

    environ = _environ()
    doctor = _doctor_argv(options.python, options.path)
    pip = [options.python, "-m", "pip", "--version"]
    # One untimed run of each: byte-code caches written, files in the page cache.
    _time(doctor, environ, {0, 1})
    _time(pip, environ, {0})
    doctor_times: list[float] = []
    pip_times: list[float] = []
    for _ in range(options.runs):
        doctor_times.append(_time(doctor, environ, {0, 1}))
        pip_times.append(_time(pip, environ, {0}))
    doctor_median = statistics.median(doctor_times)
    pip_median = statistics.median(pip_times)
    print(f"python:        {options.python}")
    print(f"project:       {options.path}")
    print(f"runs:          {options.runs} each, interleaved")
    print(f"doctor:        median {doctor_median * 1000:.0f} ms  ({' '.join(doctor[1:4])} ...)")
    print(f"pip --version: median {pip_median * 1000:.0f} ms")
    print(f"ratio:         doctor takes {doctor_median / pip_median:.0%} of pip --version")
    return 0


if __name__ == "__main__":
    sys.exit(main())
