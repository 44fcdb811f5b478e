"""Running pip: relay its output to the user untouched, and a decoded copy to a line consumer."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.reading.consumer import LineConsumer
    from safepip.running.terminal import Terminal


def output_terminals() -> Terminal:
    """Which of our stdout and stderr are terminals (pip gets a pty for those); none on Windows."""
    if sys.platform == "win32":
        return ""
    try:
        out, err = os.isatty(1), os.isatty(2)
    except OSError:
        return ""
    if out and err:
        return "both"
    return "stdout" if out else "stderr" if err else ""


def run_command(
    argv: Sequence[str],
    consumer: LineConsumer,
    *,
    env: Mapping[str, str] | None = None,
    terminal: Terminal | None = None,
) -> int:
    """Run ``argv`` with its output relayed live; return its exit status (128+N for signal N)."""
    from safepip.running.pipes import run_with_pipes

    if terminal is None:
        terminal = output_terminals()
    return run_with_pipes(argv, consumer, env=env, terminal=terminal)
