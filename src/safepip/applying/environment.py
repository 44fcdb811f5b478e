"""Installing a build requirement into the target environment (for builds without isolation)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from safepip.errors import SafepipError
from safepip.reading.consumer import TailRecorder
from safepip.running import run_command


def pip_prefix(python: str, pip_python: str | None) -> list[str]:
    """How to run the user's pip for a helper command, aimed at the same environment."""
    prefix = [python, "-m", "pip"]
    if pip_python:
        prefix += ["--python", pip_python]  # pip's own --python: the environment pip acts on
    return prefix


def install_requirements(
    prefix: Sequence[str],
    requirements: Sequence[str],
    index_options: Sequence[str],
    *,
    runner: Callable[..., int] = run_command,
) -> None:
    """``pip install`` the requirements (from the curated table) where the user's pip installs."""
    argv = [*prefix, "install", *index_options, *requirements]
    status = runner(argv, TailRecorder(limit=5))
    if status != 0:
        raise SafepipError(
            f"installing {' '.join(requirements)} failed (pip exited with status {status}); "
            "nothing else was changed"
        )
