"""What safepip adds to pip's time: `python3 scripts/bench.py [--rounds N]`.

Times, interleaved in one run, plain `pip <args>` (the environment's `pip` script) and
`safepip <args>` installed in the same environment (so that safepip runs that pip), output to a
pipe as in CI, with the bare interpreter start beside them. Commands that never build (`list`,
`show`, `--version`...) are handed over to pip (exec): they should cost one interpreter start, no
more. The building commands (`install`) keep the relay, and read pip's output only if pip fails
(docs/architecture.md): an install already satisfied, `-r` of 30 installed requirements, and a
local pure-Python project built without isolation should cost about as much.

Targets: for `list` (issue 11), the median ratio safepip / pip at most 1.05 and the added
milliseconds at most a bare `python -c pass` plus 10 ms; for the satisfied install and the local
build (issue 20), the ratio at most 1.05 and the added time at most a bare start plus 15 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _envs import ROOT, clean_environ, ensure_venv

PASS_THROUGH = (["list"], ["list", "-v"], ["show", "-f", "pip"], ["--version"])
RATIO_TARGET = 1.05
ADDED_SLACK_MS = 10.0
BUILDING_SLACK_MS = 15.0


def timed(argv: list[str], environ: dict[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, env=environ, check=True)
    return time.perf_counter() - start, result.stdout


def _wheel(folder: Path) -> str:
    """A tiny wheel to install again and again ("Requirement already satisfied" after the first)."""
    from testing.wheels import build_wheel  # _envs put the checkout on sys.path

    build_wheel(folder, "safepip_bench_pkg")
    return "safepip_bench_pkg"


def _masked(output: bytes) -> bytes:
    """pip's output without what differs from run to run (its temporary folders, a wheel's hash
    and size, which carry the build's time stamps)."""
    import re

    output = re.sub(rb"/pip-[\w-]+", b"/pip-X", output)
    return re.sub(rb"size=\d+ sha256=\w+", b"size=N sha256=X", output)


def compare(
    label: str,
    plain_argv: list[str],
    safepip_argv: list[str],
    environ: dict[str, str],
    rounds: int,
) -> tuple[float, float, float]:
    """Median plain ms, median safepip ms, median ratio; prints one row."""
    plain: list[float] = []
    wrapped: list[float] = []
    ratios: list[float] = []
    for round_ in range(rounds + 1):
        pip_time, pip_out = timed(plain_argv, environ)
        safepip_time, safepip_out = timed(safepip_argv, environ)
        if _masked(pip_out) != _masked(safepip_out):
            raise SystemExit(f"error: outputs differ for {label}")
        if round_ == 0:
            continue  # warm-up: file caches
        plain.append(pip_time)
        wrapped.append(safepip_time)
        ratios.append(safepip_time / pip_time)
    plain_ms = statistics.median(plain) * 1000
    wrapped_ms = statistics.median(wrapped) * 1000
    ratio = statistics.median(ratios)
    print(
        f"{label:<24}{plain_ms:>9.1f}{wrapped_ms:>12.1f}{ratio:>8.3f}"
        f"{wrapped_ms - plain_ms:>10.1f}{len(pip_out.splitlines()):>7}"
    )
    return plain_ms, wrapped_ms, ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()

    python = ensure_venv(ROOT / ".venvs" / "bench", sys.executable, "test,lint")
    pip = str(python.with_name("pip"))
    safepip = str(python.with_name("safepip"))
    environ = clean_environ()  # no VIRTUAL_ENV: safepip runs the pip of its own environment
    # As an installed safepip is: its modules compiled (an editable checkout under
    # PYTHONDONTWRITEBYTECODE would compile them again at every start).
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(
        [str(python), "-m", "compileall", "-q", str(ROOT / "src")], env=environ, check=True
    )
    rounds = options.rounds

    bare = [timed([str(python), "-c", "pass"], environ)[0] for _ in range(rounds + 1)]
    bare_ms = statistics.median(bare[1:]) * 1000

    print(f"Python {sys.version.split()[0]}, {rounds} interleaved rounds, output to a pipe")
    print(f"bare `python -c pass`: {bare_ms:.1f} ms")
    print(f"{'command':<24}{'pip ms':>9}{'safepip ms':>12}{'ratio':>8}{'added ms':>10}{'lines':>7}")
    results = {}
    for args in PASS_THROUGH:
        label = " ".join(args)
        results[label] = compare(label, [pip, *args], [safepip, *args], environ, rounds)
    # Called as `pip` (the shell-init alias): the pip PATH finds next.
    called = {
        **environ,
        "PATH": f"{python.parent}{os.pathsep}{environ.get('PATH', '')}",
        "SAFEPIP_INVOKED_AS": "pip",
    }
    results["list (as pip)"] = compare(
        "list (as pip)", [pip, "list"], [safepip, "list"], called, rounds
    )
    building = _building_rows(python, pip, safepip, environ, rounds)

    print()
    met = _verdict("list", results["list"], bare_ms + ADDED_SLACK_MS)
    for label in ("install (satisfied)", "local build, no isolation"):
        met = _verdict(label, building[label], bare_ms + BUILDING_SLACK_MS) and met
    print("targets met" if met else "targets NOT met")
    return 0


def _building_rows(
    python: Path, pip: str, safepip: str, environ: dict[str, str], rounds: int
) -> dict[str, tuple[float, float, float]]:
    """The building commands that need no fix: what issue 20 holds to the pass-through floor."""
    from testing.wheels import wheelhouse

    rows = {}
    with tempfile.TemporaryDirectory() as folder:
        name = _wheel(Path(folder))
        install = ["install", "--no-index", "--find-links", folder, name]
        subprocess.run([pip, *install], env=environ, capture_output=True, check=True)
        rows["install (satisfied)"] = compare(
            "install (satisfied)", [pip, *install], [safepip, *install], environ, rounds
        )
        # -r with 30 requirements, all installed (a CI job's second install step).
        frozen = subprocess.run(
            [pip, "list", "--format=freeze", "--exclude-editable"],
            env=environ, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        requirements = Path(folder) / "requirements.txt"
        requirements.write_text("\n".join(frozen[:30]) + "\n")
        many = ["install", "--no-index", "-r", str(requirements)]
        label = f"install -r ({len(frozen[:30])} there)"
        rows[label] = compare(label, [pip, *many], [safepip, *many], environ, rounds)
        # A local pure-Python project, built without isolation (its backend installed).
        houses = ["--no-index", "--find-links", str(wheelhouse())]
        subprocess.run(
            [pip, "install", *houses, "flit_core"], env=environ, capture_output=True, check=True
        )
        project = Path(folder) / "project"
        shutil.copytree(ROOT / "tests" / "projects" / "flit-ok", project)
        local = ["install", "--no-build-isolation", "--no-deps", "--force-reinstall", str(project)]
        subprocess.run(
            [pip, *local], env=environ, capture_output=True, check=True
        )  # then a reinstall
        rows["local build, no isolation"] = compare(
            "local build, no isolation", [pip, *local], [safepip, *local], environ, rounds
        )
        subprocess.run(
            [pip, "uninstall", "-y", name, "flit-ok"], env=environ, capture_output=True, check=False
        )
    return rows


def _verdict(label: str, row: tuple[float, float, float], added_target: float) -> bool:
    plain_ms, wrapped_ms, ratio = row
    added = wrapped_ms - plain_ms
    met = ratio <= RATIO_TARGET and added <= added_target
    print(
        f"{label}: ratio {ratio:.3f} (target <= {RATIO_TARGET}), added {added:.1f} ms "
        f"(target <= {added_target:.1f} ms){'' if met else '  NOT MET'}"
    )
    return met


if __name__ == "__main__":
    sys.exit(main())
