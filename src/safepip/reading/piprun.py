"""One pip run, read: its status, the build failures diagnosed in its output, and what else the
session needs from its lines (the sdists pip fetched, the patched wheels it used, its last
lines). The user's command and safepip's own build of a patched copy are both read here."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from safepip.knowledge import NO_USER_PROVIDERS, UserProviders
from safepip.reading.consumer import Fanout, TailRecorder
from safepip.reading.diagnosis import Diagnosis
from safepip.reading.downloads import DownloadsReader
from safepip.reading.findings import BuildFailure
from safepip.reading.oldpip import OldPipReader

if TYPE_CHECKING:  # the protocol exists for mypy only (reading/consumer.py is on the fast path)
    from safepip.reading.consumer import LineConsumer

#: A run's status above this is 128 + the signal that killed pip (pip never exits so itself).
_SIGNAL_BASE = 128


@dataclass
class PipRun:
    """What one run of pip did and printed, as read (the report's record of it is a
    ``RunRecord``, reporting/records.py)."""

    status: int
    #: The build failures diagnosed, for a run that failed and could be read.
    failures: list[BuildFailure] = field(default_factory=list)
    #: The sdists pip fetched from indexes, by project (normalised).
    fetched: dict[str, str] = field(default_factory=dict)
    #: The wheels pip built, by project (normalised): (the path it stored it at, its sha256).
    built: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: The projects whose patched wheel pip installed.
    wheels_used: set[str] = field(default_factory=set)
    #: Its last lines, when it printed at most two (Python's "No module named pip").
    short_output: list[str] = field(default_factory=list)
    #: The signal that killed pip (the OOM killer, a cancelled CI job), if one did.
    killed_by: str | None = None
    #: Why its output could not be read, if it could not.
    unreadable: str | None = None
    #: pip's own words for what failed, for a run that failed: its first ``ERROR:`` line near
    #: the end (``Failed building wheel for x``), or else its last ``×`` line.
    error_line: str | None = None


def read_pip_run(
    run: Callable[[Fanout], int],
    args: Sequence[str],
    cwd: str,
    *,
    wheel_pins: dict[str, str] | None = None,
    recorder: LineConsumer | None = None,
    providers: UserProviders = NO_USER_PROVIDERS,
) -> PipRun:
    """Run pip (``run`` feeds its lines to the consumer it is given) and read what it printed.

    ``providers`` is the user's ``[mapping]``, for the diagnosis.
    """
    diagnosis = Diagnosis(providers=providers)
    diagnosis.set_context(list(args), cwd)
    tail = TailRecorder(limit=20)
    old_pip = OldPipReader()
    downloads = DownloadsReader()
    wheels = WheelUse(wheel_pins or {})
    transcript = [recorder] if recorder is not None else []
    fanout = Fanout(tail, diagnosis, old_pip, downloads, *transcript, wheels)
    status = run(fanout)
    output = PipRun(
        status,
        fetched=dict(downloads.sdists),
        built=dict(downloads.built),
        wheels_used=wheels.used,
        short_output=tail.text() if tail.count <= 2 else [],
    )
    if status == 0:
        return output
    if status > _SIGNAL_BASE:
        # Its output stops mid-way, and another run is the last thing wanted.
        output.killed_by = _signal_name(status - _SIGNAL_BASE)
        return output
    output.error_line = _error_line(tail.text())
    if diagnosis not in fanout.consumers:
        output.unreadable = repr(fanout.failures[-1])
        return output
    try:
        output.failures = diagnosis.failures()
    except Exception as exc:  # noqa: BLE001 - a reading bug must not change pip's status
        output.unreadable = f"{type(exc).__name__}: {exc}"
        return output
    too_old = old_pip.failure()
    if too_old is not None:
        output.failures.append(too_old)
    return output


class WheelUse:
    """A line consumer: which patched wheels pip really used (``Processing /.../x.whl``)."""

    def __init__(self, wheel_pins: dict[str, str]) -> None:
        self._wanted = {os.path.basename(wheel): name for name, wheel in wheel_pins.items()}
        self.used: set[str] = set()

    def feed_line(self, stream: str, line: str) -> None:
        del stream  # pip says it on either
        text = line.strip()
        if self._wanted and text.startswith("Processing ") and text.endswith((".whl", ")")):
            location = text[len("Processing ") :].split(" (from ", 1)[0].strip()
            name = self._wanted.get(os.path.basename(location))
            if name is not None:
                self.used.add(name)


def _error_line(lines: Sequence[str]) -> str | None:
    texts = [line.strip() for line in lines]
    for text in texts:
        if text.startswith("ERROR: "):
            return text[len("ERROR: ") :].strip() or None
    for text in reversed(texts):
        if text.startswith("× "):
            return text[2:].strip() or None
    return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
