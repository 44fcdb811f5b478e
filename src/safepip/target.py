"""Which pip safepip runs: ``<python> -m pip``, with ``<python>`` chosen like pip's users expect.

In order: ``$SAFEPIP_PYTHON``; the active environment (``$VIRTUAL_ENV``, then ``$CONDA_PREFIX``);
else the interpreter safepip itself runs in. pip's own ``--python`` option is left to pip.
"""

from __future__ import annotations

import os
import sys

from safepip.errors import SafepipError

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping

_WINDOWS = sys.platform == "win32"


class TargetPython:
    """The interpreter whose pip safepip runs, and why it was chosen."""

    def __init__(self, executable: str, reason: str) -> None:
        self.executable = executable
        self.reason = reason

    def pip_command(self) -> list[str]:
        return [self.executable, "-m", "pip"]


# os.path rather than pathlib: pathlib costs pass-through start-up several milliseconds.
def _environment_python(prefix: str) -> str:
    if _WINDOWS:
        # venvs keep python.exe in Scripts\, conda environments at their root.
        for candidate in (
            os.path.join(prefix, "Scripts", "python.exe"),
            os.path.join(prefix, "python.exe"),
        ):
            if os.path.exists(candidate):
                return candidate
        return os.path.join(prefix, "Scripts", "python.exe")
    return os.path.join(prefix, "bin", "python")


def _checked(path: str, reason: str) -> TargetPython:
    found: str | None = path
    if os.sep not in path and not (os.altsep and os.altsep in path):
        # A bare name (SAFEPIP_PYTHON=python3.12) is looked up on PATH, as a shell would.
        # (shutil only here: importing it costs pass-through start-up about 10 ms.)
        import shutil

        found = shutil.which(path)
    if not found or not os.path.isfile(found):
        raise SafepipError(f"the Python interpreter {path} ({reason}) does not exist")
    if not os.access(found, os.X_OK):
        raise SafepipError(f"the Python interpreter {path} ({reason}) is not executable")
    return TargetPython(executable=found, reason=reason)


def choose_python(environ: Mapping[str, str]) -> TargetPython:
    """Pick the interpreter whose pip to run, or say in one line why there is none."""
    explicit = environ.get("SAFEPIP_PYTHON")
    if explicit:
        return _checked(explicit, "from $SAFEPIP_PYTHON")
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        prefix = environ.get(variable)
        if prefix:
            return _checked(_environment_python(prefix), f"the environment in ${variable}")
    if not sys.executable:
        raise SafepipError("cannot tell which Python safepip runs in: set $SAFEPIP_PYTHON")
    return TargetPython(executable=sys.executable, reason="the interpreter safepip runs in")


def raise_if_pip_missing(status: int, lines: list[str], target: TargetPython) -> None:
    """Turn Python's "No module named pip" (the whole of the output) into one clear line."""
    if (
        status == 1
        and len(lines) <= 2
        and any(line.rstrip().endswith("No module named pip") for line in lines)
    ):
        raise SafepipError(
            f"{target.executable} ({target.reason}) has no pip: install it with "
            f"`{target.executable} -m ensurepip --upgrade`, or choose another interpreter"
        )
