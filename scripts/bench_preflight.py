"""What the pre-flight saves: `python3 scripts/bench_preflight.py [--rounds N]`.

A project whose pyproject.toml forgets its backend, fixed with `safepip --yes install`: once with
the pre-flight (the fix lands before pip runs, pip runs once) and once without it
(SAFEPIP_PREFLIGHT=0: pip fails, safepip reads the failure, fixes, and pip runs again). Each
round uses a fresh copy of the project and a fresh virtual environment; rounds are interleaved.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

from _envs import ROOT, clean_environ, ensure_venv, venv_python

FIXTURE = ROOT / "tests" / "projects" / "flit-missing"


def one_run(safepip: Path, preflight: bool, folder: Path) -> float:
    project = folder / "flit-missing"
    shutil.copytree(FIXTURE, project)
    venv.create(folder / "env", with_pip=True)
    environ = clean_environ()
    environ["SAFEPIP_PYTHON"] = str(venv_python(folder / "env"))
    environ["SAFEPIP_PREFLIGHT"] = "1" if preflight else "0"
    started = time.perf_counter()
    subprocess.run(
        [str(safepip), "--yes", "install", str(project)],
        env=environ,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    safepip = ensure_venv(ROOT / ".venvs" / "bench", sys.executable, "test,lint").with_name(
        "safepip"
    )
    times: dict[bool, list[float]] = {True: [], False: []}
    for round_ in range(options.rounds + 1):
        for preflight in (True, False):
            with tempfile.TemporaryDirectory() as folder:
                elapsed = one_run(safepip, preflight, Path(folder))
            if round_:  # the first round warms pip's cache
                times[preflight].append(elapsed)
    with_ = statistics.median(times[True]) * 1000
    without = statistics.median(times[False]) * 1000
    print(
        f"{options.rounds} rounds, medians: with pre-flight {with_:.0f} ms, "
        f"fixing after pip failed {without:.0f} ms, saved {without - with_:.0f} ms "
        f"({(without - with_) / without:.0%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
