"""Running pip: relay its output to the user untouched, and a decoded copy to a line consumer."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.reading.consumer import LineConsumer


def should_use_pty() -> bool:
    """A pty only when the user watches a terminal (stdout and stderr) and the platform has ptys."""
    if sys.platform == "win32":
        return False
    try:
        return os.isatty(1) and os.isatty(2)
    except OSError:
        return False


def run_command(
    argv: Sequence[str],
    consumer: LineConsumer,
    *,
    env: Mapping[str, str] | None = None,
    use_pty: bool | None = None,
) -> int:
    """Run ``argv`` with its output relayed live; return its exit status (128+N for signal N)."""
    if use_pty is None:
        use_pty = should_use_pty()
    if use_pty:
        from safepip.running.terminal import run_in_pty

        return run_in_pty(argv, consumer, env=env)
    from safepip.running.pipes import run_with_pipes

    return run_with_pipes(argv, consumer, env=env)
