"""Pass-through overhead: `python3 scripts/bench.py [--rounds N]`.

Times, interleaved in one run, `pip <args>` and `safepip <args>` against the same environment, for
`list` and for commands that print a lot (`list -v`, `show -f pip`), with output going to a pipe
as in CI. Prints the median of each, the median ratio and the added milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from _envs import ROOT, clean_environ, ensure_venv

COMMANDS = (["list"], ["list", "-v"], ["show", "-f", "pip"], ["--version"])


def timed(argv: list[str], environ: dict[str, str]) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, env=environ, check=True)
    return time.perf_counter() - start, result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()

    python = ensure_venv(ROOT / ".venvs" / "bench", sys.executable, "test,lint")
    safepip = str(python.with_name("safepip"))
    environ = {**clean_environ(), "SAFEPIP_PYTHON": str(python)}
    print(f"Python {sys.version.split()[0]}, {options.rounds} interleaved rounds, output to a pipe")
    print(f"{'command':<18}{'pip ms':>9}{'safepip ms':>12}{'ratio':>8}{'added ms':>10}{'lines':>7}")
    worst = 0.0
    for args in COMMANDS:
        plain: list[float] = []
        wrapped: list[float] = []
        ratios: list[float] = []
        for round_ in range(options.rounds + 1):
            pip_time, pip_out = timed([str(python), "-m", "pip", *args], environ)
            safepip_time, safepip_out = timed([safepip, *args], environ)
            if pip_out != safepip_out:
                print(f"error: outputs differ for {args}", file=sys.stderr)
                return 1
            if round_ == 0:
                continue  # warm-up: file caches
            plain.append(pip_time)
            wrapped.append(safepip_time)
            ratios.append(safepip_time / pip_time)
        ratio = statistics.median(ratios)
        worst = max(worst, ratio) if args == ["list"] else worst
        added = (statistics.median(wrapped) - statistics.median(plain)) * 1000
        print(
            f"{' '.join(args):<18}{statistics.median(plain) * 1000:>9.1f}"
            f"{statistics.median(wrapped) * 1000:>12.1f}{ratio:>8.3f}{added:>10.1f}"
            f"{len(pip_out.splitlines()):>7}"
        )
    print(f"median ratio for `list`: {worst:.3f} (target <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
