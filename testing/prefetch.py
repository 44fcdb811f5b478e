"""What the tests download or make once, made before a run: ``python -m testing.prefetch``
(``--sdists`` also fetches the real projects' sdists, which every Python shares).

scripts/test.py runs it with each Python's own interpreter while the test venvs are being made:
both mostly wait on the network, and the tests' workers then find everything in the tests' cache
(testing.cache) instead of all waiting on one of them downloading it. Each piece is made under
its lock, exactly as the tests' fixtures make it, so a run that finds something missing makes it
itself; a failure here is one line and status 1, never a reason to stop the tests."""

from __future__ import annotations

import subprocess
import sys

from testing.realsdists import FetchError, fetch_all
from testing.venvs import template_venv
from testing.wheels import WheelhouseError, wheelhouse


def main(argv: list[str]) -> int:
    try:
        wheelhouse()
        template_venv()
        if "--sdists" in argv:
            fetch_all()
    except (WheelhouseError, FetchError, OSError, subprocess.CalledProcessError) as exc:
        sys.stderr.write(f"prefetch: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
