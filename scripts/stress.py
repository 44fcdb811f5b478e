"""The long hardening campaigns (issue 7): what CI runs briefly, run here at length.

1. Kills: a child patches pyproject.toml files and is SIGKILLed at a seeded random moment, again
   and again; every file must be the original or the patched version, valid TOML, every backup a
   full copy of the original, and the next run must clean up and patch.
2. Volume: ``python -m safepip install`` with a stand-in pip that prints N MB; the output read
   back must match byte for byte (sha256). safepip's own peak RSS (VmHWM, polled from /proc) is
   compared between 1 MB and N MB, with the throughput against pip's output read directly.
3. Fuzz: tests/test_hardening_fuzz.py with many more hypothesis examples.
4. A 5 MB ``requires`` array through the patcher: refused at once (the 1 MiB cap), or right.
5. Races: tests/test_concurrency.py with many more rounds of four patchers started at once, and
   its end-to-end race with 20 ``safepip --yes install`` runs of one broken project at once.

Usage: python scripts/stress.py [--kills 500] [--megabytes 500] [--fuzz 2000] [--races 100]
       [--concurrent-runs 20] [--skip-huge]
POSIX only (SIGKILL, /proc).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Callable

from _envs import clean_environ

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
REQUIREMENT = "flit_core>=3.2"
# A stand-in for ``python -m pip``: prints N MB in mixed writes, a progress bar of redraws, and
# records what it wrote (sha256, size) and its own peak RSS.
STANDIN_PIP = r"""
import hashlib, json, os, random, resource, sys
megabytes, report = float(os.environ["STRESS_MB"]), os.environ["STRESS_REPORT"]
rng = random.Random(1)
# What a long build prints: mostly compiler lines, some of pip's own (which the diagnosis reads
# closely), progress redraws. STRESS_WORST=1: pip's own lines only, the reader's slowest case.
pip_lines = b"".join(b"Collecting package-%05d (from -r requirements.txt (line %d))\n" % (i, i)
                     for i in range(2000))
noise = b"".join(b"      gcc -pthread -Wno-unused-result -fPIC -I/usr/include/python3 -c "
                 b"src/module%04d.c -o build/temp/src/module%04d.o\n" % (i, i) for i in range(2000))
redraws = b"".join(b"  Progress %d/50\r" % i for i in range(50)) + b"\n"
if os.environ.get("STRESS_WORST"):
    block = pip_lines
else:
    block = noise * 8 + pip_lines[:20000] + redraws
digest, size, total = hashlib.sha256(), 0, int(megabytes * 1024 * 1024)
position = 0
while size < total:
    length = min(rng.choice([100, 4096, 65536, 200000]), total - size)
    start = position % len(block)
    piece = block[start:start + length]
    position += len(piece)
    digest.update(piece)
    size += len(piece)
    view = memoryview(piece)
    while view:
        view = view[os.write(1, view):]
with open(report, "w") as file:
    json.dump({"sha256": digest.hexdigest(), "size": size,
               "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, file)
"""


def child_environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    environ = clean_environ()
    environ["PYTHONPATH"] = str(SRC)
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    environ.update(extra or {})
    return environ


# --- 1. Kills -----------------------------------------------------------------------------------


def _tests_module(name: str) -> ModuleType:
    """A module of tests/, for the pieces a campaign shares with its short run in CI."""
    import importlib

    sys.path.insert(0, str(ROOT / "tests"))
    return importlib.import_module(name)


def campaign_kills(kills: int, seed: int) -> dict[str, object]:
    """The kills of tests/test_hardening_writes.py, many more of them, counted not asserted."""
    writes = _tests_module("test_hardening_writes")
    original = writes.ORIGINAL.read_bytes()
    counts = dict.fromkeys(
        (
            "runs",
            "killed_mid_run",
            "files",
            "files_original",
            "files_patched",
            "damaged_files",
            "invalid_toml",
            "backups_foreign",
            "backups_short",
            "patched_without_full_backup",
            "temporaries_cleaned",
            "recoveries_failed",
        ),
        0,
    )

    def copies(name: str) -> list[Path]:
        folders = [root / name / str(index) for index in range(writes.PROJECTS_PER_CHILD)]
        for folder in folders:
            folder.mkdir(parents=True)
            (folder / "pyproject.toml").write_bytes(original)
        return folders

    with tempfile.TemporaryDirectory(prefix="safepip-kills-") as root_name:
        root = Path(root_name)
        patched = writes.patched_bytes(root)
        _, span = writes.kill_during_patching(copies("timing"), 60.0)
        rng = random.Random(seed)  # noqa: S311 - seeded delays, not secrets
        started = time.monotonic()
        while counts["killed_mid_run"] < kills:
            run = counts["runs"]
            folders = copies(f"run{run}")
            killed, _ = writes.kill_during_patching(folders, rng.uniform(0.0, span))
            counts["runs"] += 1
            counts["killed_mid_run"] += killed
            for folder in folders:
                _count_folder(folder, original, patched, counts, parses=writes.parses)
            shutil.rmtree(root / f"run{run}")
        timings = {
            "seconds": round(time.monotonic() - started, 1),
            "patch_span_ms": round(span * 1000, 1),
        }
    return {**counts, **timings}


def _count_folder(
    folder: Path,
    original: bytes,
    patched: bytes,
    counts: dict[str, int],
    *,
    parses: Callable[[bytes], bool],
) -> None:
    """What a kill left in ``folder``, then what the next run makes of it, into ``counts``."""
    from safepip.applying.pyproject import (
        BACKUP_SUFFIX,
        TEMP_PREFIX,
        apply_plan,
        plan_add_requirement,
        remove_stray_temporaries,
    )

    counts["files"] += 1
    data = (folder / "pyproject.toml").read_bytes()
    if data == original:
        counts["files_original"] += 1
    elif data == patched:
        counts["files_patched"] += 1
    else:
        counts["damaged_files"] += 1
    counts["invalid_toml"] += not parses(data)
    backups = [
        backup.read_bytes() for backup in folder.glob("pyproject.toml" + BACKUP_SUFFIX + "*")
    ]
    counts["backups_foreign"] += sum(not original.startswith(b) for b in backups)
    counts["backups_short"] += sum(original.startswith(b) and b != original for b in backups)
    if data == patched and original not in backups:
        counts["patched_without_full_backup"] += 1
    counts["temporaries_cleaned"] += len(remove_stray_temporaries(str(folder), min_age=0))
    try:
        apply_plan(plan_add_requirement(str(folder / "pyproject.toml"), REQUIREMENT))
        if (folder / "pyproject.toml").read_bytes() != patched:
            counts["recoveries_failed"] += 1
    except Exception:  # noqa: BLE001 - any failure counts
        counts["recoveries_failed"] += 1
    if list(folder.glob(TEMP_PREFIX + "*")):
        counts["recoveries_failed"] += 1


# --- 2. Volume ----------------------------------------------------------------------------------


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        with Path(f"/proc/{pid}/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _pass_through(
    megabytes: float, through_safepip: bool, *, worst: bool = False, live: bool = True
) -> dict[str, object]:
    """``live``: with a configuration file, so that the session reads pip's output as it comes;
    without, pip's lines are only kept, to be read if pip fails (docs/architecture.md)."""
    with tempfile.TemporaryDirectory(prefix="safepip-volume-") as folder_name:
        folder = Path(folder_name)
        (folder / "pip").mkdir()
        (folder / "pip" / "__init__.py").write_text("")
        (folder / "pip" / "__main__.py").write_text(STANDIN_PIP)
        report = folder / "report.json"
        (folder / "config.toml").write_text("# safepip's stress run: an empty configuration\n")
        environ = child_environ(
            {
                "PYTHONPATH": os.pathsep.join([str(folder), str(SRC)]),
                "SAFEPIP_PYTHON": sys.executable,
                "SAFEPIP_LOG_DIR": str(folder / "log"),
                **({"SAFEPIP_CONFIG": str(folder / "config.toml")} if live else {}),
                "XDG_CONFIG_HOME": str(folder / "no-config"),
                "STRESS_MB": str(megabytes),
                "STRESS_REPORT": str(report),
                **({"STRESS_WORST": "1"} if worst else {}),
            }
        )
        program = "safepip" if through_safepip else "pip"
        argv = [sys.executable, "-m", program, "install", "stress-demo"]
        digest = hashlib.sha256()
        size = 0
        peak = 0
        started = time.monotonic()
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, env=environ)
        if process.stdout is None:  # pragma: no cover - Popen with PIPE guarantees it
            raise SystemExit("no pipe from safepip")
        fd = process.stdout.fileno()
        reads = 0
        while True:
            data = os.read(fd, 1 << 20)
            if not data:
                break
            digest.update(data)
            size += len(data)
            reads += 1
            if reads % 16 == 0:
                peak = max(peak, _vm_hwm_kb(process.pid) or 0)
        process.stdout.close()
        # The last look before it is reaped (VmHWM only grows).
        peak = max(peak, _vm_hwm_kb(process.pid) or 0)
        status = process.wait()
        seconds = time.monotonic() - started
        written = json.loads(report.read_text())
    return {
        "status": status,
        "exact": (digest.hexdigest(), size) == (written["sha256"], written["size"]),
        "megabytes": round(size / 2**20, 1),
        "seconds": round(seconds, 2),
        "mb_per_s": round(size / 2**20 / seconds, 1),
        "peak_rss_mb": round(peak / 1024, 1),
        "pip_peak_rss_mb": round(written["maxrss_kb"] / 1024, 1),
    }


def campaign_volume(megabytes: float) -> dict[str, object]:
    return {
        "pip-alone": _pass_through(megabytes, through_safepip=False),
        "safepip-1MB": _pass_through(1.0, through_safepip=True),
        f"safepip-{megabytes:g}MB": _pass_through(megabytes, through_safepip=True),
        f"safepip-{megabytes:g}MB-kept-not-read": _pass_through(
            megabytes, through_safepip=True, live=False
        ),
        # Every line one of pip's own: the diagnosis does the most work per byte.
        "safepip-50MB-pip-lines-only": _pass_through(50.0, through_safepip=True, worst=True),
    }


# --- 3. Fuzz ------------------------------------------------------------------------------------


def campaign_fuzz(examples: int) -> dict[str, object]:
    import re

    started = time.monotonic()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            "--hypothesis-show-statistics",
            # The two pinned bugs (strict xfail) have no examples to draw.
            *("-k", "not nul_byte and not never_a_url"),
            str(ROOT / "tests" / "test_hardening_fuzz.py"),
        ],
        env={**os.environ, "SAFEPIP_FUZZ_EXAMPLES": str(examples)},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    passing = [int(n) for n in re.findall(r"(\d+) passing\b", result.stdout)]
    failing = [int(n) for n in re.findall(r"(\d+) failing\b", result.stdout)]
    summary = [line for line in result.stdout.splitlines() if " in " in line and "passed" in line]
    return {
        "status": result.returncode,
        "summary": summary[-1].strip("= ") if summary else "",
        "examples_per_property": examples,
        "cases_passed": sum(passing),
        "cases_failed": sum(failing),
        "seconds": round(time.monotonic() - started, 1),
        "failures": result.stdout[-3000:] if result.returncode else "",
    }


# --- 4. A 5 MB requires array: refused at once (over the 1 MiB cap) ------------------------


def campaign_huge(megabytes: float) -> dict[str, object]:
    from safepip.applying.pyproject import PatchError, apply_plan, plan_add_requirement

    count = int(megabytes * 2**20 / len('"pkg000000>=1.0", '))
    items = ", ".join(f'"pkg{index}>=1.0"' for index in range(count))
    text = f'[build-system]\nrequires = [{items}]\nbuild-backend = "flit_core.buildapi"\n'
    with tempfile.TemporaryDirectory(prefix="safepip-huge-") as folder:
        path = Path(folder) / "pyproject.toml"
        path.write_text(text)
        started = time.monotonic()
        try:
            apply_plan(plan_add_requirement(str(path), REQUIREMENT))
            outcome = "patched"
        except PatchError as exc:
            outcome = f"refused: {exc}"
        seconds = time.monotonic() - started
        data = path.read_bytes()
    right = outcome != "patched" or data.endswith(
        b', "pkg%d>=1.0", "flit_core>=3.2"]\nbuild-backend = "flit_core.buildapi"\n' % (count - 1)
    )
    return {
        "bytes": len(text),
        "items": count,
        "outcome": outcome[:200],
        "correct": right,
        "seconds": round(seconds, 1),
    }


# --- 5. Races ---------------------------------------------------------------------------------


def campaign_races(rounds: int, runs: int) -> dict[str, object]:
    started = time.monotonic()
    chosen = "declared_once or all_land or many_runs_needing_the_same_patch"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
            *("-k", chosen, str(ROOT / "tests" / "test_concurrency.py")),
        ],
        env={
            **os.environ,
            "SAFEPIP_RACE_ROUNDS": str(rounds),
            "SAFEPIP_CONCURRENT_RUNS": str(runs),
        },
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    summary = [line for line in result.stdout.splitlines() if " in " in line and "passed" in line]
    return {
        "status": result.returncode,
        "rounds_of_four_racers": 2 * rounds,  # same requirement, then four different ones
        "concurrent_safepip_runs": runs,
        "summary": summary[-1].strip("= ") if summary else "",
        "seconds": round(time.monotonic() - started, 1),
        "failures": result.stdout[-3000:] if result.returncode else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=500, help="runs killed mid-patch")
    parser.add_argument("--megabytes", type=float, default=500, help="output through safepip")
    parser.add_argument("--fuzz", type=int, default=2000, help="hypothesis examples a property")
    parser.add_argument("--races", type=int, default=100, help="rounds of racing patchers")
    parser.add_argument(
        "--concurrent-runs", type=int, default=20, help="safepip runs fixing one project at once"
    )
    parser.add_argument("--huge-mb", type=float, default=5, help="size of the requires array")
    parser.add_argument("--skip-huge", action="store_true", help="skip the huge requires array")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    sys.path.insert(0, str(SRC))
    figures: dict[str, object] = {}
    if options.kills:
        figures["kills"] = campaign_kills(options.kills, options.seed)
        print("kills:", json.dumps(figures["kills"]), flush=True)
    if options.megabytes:
        figures["volume"] = campaign_volume(options.megabytes)
        print("volume:", json.dumps(figures["volume"]), flush=True)
    if options.fuzz:
        figures["fuzz"] = campaign_fuzz(options.fuzz)
        print("fuzz:", json.dumps(figures["fuzz"]), flush=True)
    if not options.skip_huge:
        figures["huge"] = campaign_huge(options.huge_mb)
        print("huge requires:", json.dumps(figures["huge"]), flush=True)
    if options.races:
        figures["races"] = campaign_races(options.races, options.concurrent_runs)
        print("races:", json.dumps(figures["races"]), flush=True)
    kills = figures.get("kills")
    damaged = isinstance(kills, dict) and any(
        kills[key]
        for key in (
            "damaged_files",
            "invalid_toml",
            "backups_foreign",
            "patched_without_full_backup",
            "recoveries_failed",
        )
    )
    volume = figures.get("volume")
    inexact = isinstance(volume, dict) and not all(run["exact"] for run in volume.values())
    fuzz = figures.get("fuzz")
    fuzz_failed = isinstance(fuzz, dict) and fuzz["status"] != 0
    races = figures.get("races")
    races_failed = isinstance(races, dict) and races["status"] != 0
    return 1 if damaged or inexact or fuzz_failed or races_failed else 0


if __name__ == "__main__":
    sys.exit(main())
