#!/usr/bin/env python3
"""Benchmark `safepip diagnose` on a large log of compiler noise ending in a real pip failure.

Target (issue 3): at most 5 times a bare Python loop over the file's lines, and flat memory.

    python scripts/bench_diagnose.py            # 60 MB
    python scripts/bench_diagnose.py --mb 10
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _envs import clean_environ

HEAD = """\
Processing ./fastmath
  Installing build dependencies: started
  Installing build dependencies: finished with status 'done'
  Getting requirements to build wheel: started
  Getting requirements to build wheel: finished with status 'done'
  Preparing metadata (pyproject.toml): started
  Preparing metadata (pyproject.toml): finished with status 'done'
Building wheels for collected packages: fastmath
  Building wheel for fastmath (pyproject.toml): started
  Running command Building wheel for fastmath (pyproject.toml)
"""

NOISE = [
    (
        "  gcc -pthread -fno-strict-overflow -Wsign-compare -DNDEBUG -g -O3 -Wall -fPIC "
        "-I/tmp/pip-build-env-abc/overlay/include -I/usr/include/python3.12 "
        "-c src/fastmath/kernel_{n}.c -o build/temp.linux-x86_64-cpython-312/src/kernel_{n}.o"
    ),
    "  src/fastmath/kernel_{n}.c: In function 'kernel_{n}_apply':",
    "  src/fastmath/kernel_{n}.c:{n}:17: warning: unused variable 'tmp' [-Wunused-variable]",
    "     {n} |     double tmp = 0.0;",
    "        |            ^~~",
    "  In file included from src/fastmath/kernel_{n}.c:3:",
    "  src/fastmath/common.h:42:1: note: declared here",
    "  copying src/fastmath/data_{n}.py -> build/lib.linux-x86_64-cpython-312/fastmath",
]

TAIL = """\
  Traceback (most recent call last):
    File "/tmp/pip-build-env-abc/overlay/lib/python3.12/site-packages/setuptools/build_meta.py",\
 line 1, in build_wheel
    File "<string>", line 4, in <module>
  ModuleNotFoundError: No module named 'Cython'
  error: subprocess-exited-with-error

  × Building wheel for fastmath (pyproject.toml) did not run successfully.
  │ exit code: 1
  ╰─> See above for output.

  note: This error originates from a subprocess, and is likely not a problem with pip.
  Building wheel for fastmath (pyproject.toml): finished with status 'error'
  ERROR: Failed building wheel for fastmath
Failed to build fastmath
ERROR: Could not build wheels for fastmath, which is required to install \
pyproject.toml-based projects
"""


def make_log(path: Path, megabytes: int) -> None:
    target = megabytes * 1024 * 1024
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEAD)
        written = len(HEAD)
        n = 0
        while written < target:
            block = "\n".join(line.format(n=n) for line in NOISE) + "\n"
            handle.write(block)
            written += len(block)
            n += 1
        handle.write(TAIL)


def bare_loop(path: Path) -> float:
    started = time.perf_counter()
    with path.open(encoding="utf-8", errors="replace") as handle:
        for _line in handle:
            pass
    return time.perf_counter() - started


def diagnose_in_process(path: Path) -> tuple[float, int]:
    from safepip.commands.diagnose import run

    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        status = run([str(path), "--json"])
    elapsed = time.perf_counter() - started
    failures = json.loads(out.getvalue())["failures"]
    if status != 1 or [failure["module"] for failure in failures] != ["Cython"]:
        raise SystemExit(f"the diagnosis missed the failure at the end of the log: {failures}")
    return elapsed, status


PEAK = """
import contextlib, io, resource, sys
from safepip.commands.diagnose import run
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with contextlib.redirect_stdout(io.StringIO()):
    run([sys.argv[1], "--json"])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after)
"""


def peak_rss_kib(path: Path) -> tuple[int, int]:
    """Peak RSS of a fresh interpreter before and after diagnosing ``path`` (KiB)."""
    env = clean_environ()
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    before, after = result.stdout.split()
    return int(before), int(after)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=60, help="size of the generated log")
    parser.add_argument("--repeat", type=int, default=5, help="best of N timings")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="safepip-bench-") as folder:
        big = Path(folder) / "big.log"
        small = Path(folder) / "small.log"
        make_log(big, options.mb)
        make_log(small, max(1, options.mb // 10))
        with big.open("rb") as handle:
            lines = sum(1 for _ in handle)
        # Interleaved, best of N each: a shared machine's load hits both sides alike.
        baselines, measures = [], []
        for _ in range(options.repeat):
            baselines.append(bare_loop(big))
            measures.append(diagnose_in_process(big)[0])
        baseline, measured = min(baselines), min(measures)
        small_rss = peak_rss_kib(small)
        big_rss = peak_rss_kib(big)
    ratio = measured / baseline
    print(f"log: {options.mb} MB, {lines} lines")
    print(f"bare loop over lines:   {baseline:.3f} s")
    print(f"safepip diagnose --json: {measured:.3f} s")
    print(f"ratio: {ratio:.2f} (target <= 5)")
    print(
        f"peak RSS growth: {small_rss[1] - small_rss[0]} KiB for {max(1, options.mb // 10)} MB, "
        f"{big_rss[1] - big_rss[0]} KiB for {options.mb} MB (flat means streaming)"
    )
    return 0 if ratio <= 5 else 1


if __name__ == "__main__":
    sys.exit(main())
