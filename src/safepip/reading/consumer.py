"""The interface between the runner and whatever reads pip's output (the diagnosis, issue 3).

The runner relays pip's bytes to the user first and only then hands a decoded copy of each line to
a :class:`LineConsumer`; a consumer can neither change nor delay what the user sees.
"""

from __future__ import annotations

# Not typing.TYPE_CHECKING: this module is on the pass-through path (the relay, on Windows and
# for pip's help), which imports no typing; the rule and its test: docs/architecture.md.
TYPE_CHECKING = False

#: Where a line came from: pip's stdout, its stderr, or a pty (where the two are one stream).
STDOUT = "stdout"
STDERR = "stderr"
TERMINAL = "terminal"


if TYPE_CHECKING:  # typing.Protocol would cost pass-through start-up; it is only for mypy
    import collections
    from typing import Protocol

    class LineConsumer(Protocol):
        """Receives each line pip prints, decoded, without its line ending."""

        def feed_line(self, stream: str, line: str) -> None: ...


class TailRecorder:
    """Keeps the last ``limit`` lines: bounded memory, whatever pip prints."""

    def __init__(self, limit: int = 200) -> None:
        from collections import deque  # here, not at the top: start-up time

        self.lines: collections.deque[tuple[str, str]] = deque(maxlen=limit)
        self.count = 0

    def feed_line(self, stream: str, line: str) -> None:
        self.lines.append((stream, line))
        self.count += 1

    def feed_lines(self, stream: str, lines: list[str]) -> None:
        keep = self.lines.maxlen or len(lines)
        self.lines.extend((stream, line) for line in lines[-keep:])
        self.count += len(lines)

    def text(self, stream: str | None = None) -> list[str]:
        return [line for origin, line in self.lines if stream is None or origin == stream]


class Fanout:
    """Feeds several consumers; one that raises is dropped, the others and the relay go on."""

    def __init__(self, *consumers: LineConsumer) -> None:
        self.consumers = list(consumers)
        self.failures: list[BaseException] = []

    def feed_line(self, stream: str, line: str) -> None:
        self.feed_lines(stream, [line])

    def feed_lines(self, stream: str, lines: list[str]) -> None:
        """Each consumer gets the batch in one call when it can take one (far cheaper per line)."""
        for consumer in list(self.consumers):
            try:
                batch = getattr(consumer, "feed_lines", None)
                if batch is not None:
                    batch(stream, lines)
                else:
                    for line in lines:
                        consumer.feed_line(stream, line)
            except Exception as exc:  # noqa: BLE001, PERF203 - a reader's bug must not stop the relay
                self.failures.append(exc)
                self.consumers.remove(consumer)
