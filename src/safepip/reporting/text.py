"""A diagnosed build failure in words, for a person: what failed, why, the fix, and pip's line.

Used by ``safepip diagnose`` (on stdout) and by a live run's terminal reporter (on stderr, each
line prefixed with ``safepip:``).
"""

from __future__ import annotations

from collections.abc import Sequence

from safepip.reading.findings import (
    BACKEND_UNAVAILABLE,
    BUILD_DEPENDENCY_MISSING,
    BUILD_DEPENDENCY_TOO_NEW,
    BUILD_REQUIREMENT_UNAVAILABLE,
    PIP_TOO_OLD,
    UNIDENTIFIED_IMPORT,
    BuildFailure,
)

_SOURCES = {
    "local": "local project",
    "editable": "editable project",
    "sdist": "source distribution",
    "index": "package",
    "vcs": "project from version control",
}


def render_human(failures: Sequence[BuildFailure], fixes: Sequence[str | None]) -> str:
    """Each failure with its fix (None: no "Fix:" line), separated by blank lines."""
    return "\n\n".join(render_failure(failure, fix) for failure, fix in zip(failures, fixes))


def render_failure(failure: BuildFailure, fix: str | None) -> str:
    lines = [_headline(failure)] if _headline(failure) else []
    if failure.explanation:
        lines.append(f"Why: {failure.explanation}")
    if fix:
        lines.append(f"Fix: {fix}")
    if failure.evidence:
        lines.append(f"pip said: {failure.evidence}")
    return "\n".join(lines)


def prefixed(text: str) -> str:
    """Every line as one of safepip's own lines on stderr."""
    return "\n".join(f"safepip: {line}" if line else "safepip:" for line in text.splitlines())


def _where(failure: BuildFailure) -> str:
    if failure.package is None:
        return "A package"
    return f"The {_SOURCES.get(failure.source or '', 'package')} {failure.package}"


def _hook(failure: BuildFailure) -> str:
    return f" (build hook {failure.hook})" if failure.hook else ""


def _headline(failure: BuildFailure) -> str:  # noqa: PLR0911 - one exit per kind
    where = _where(failure)
    if failure.kind == BACKEND_UNAVAILABLE:
        return f"{where} could not be built: its build backend is unavailable{_hook(failure)}."
    if failure.kind == BUILD_DEPENDENCY_MISSING:
        what = repr(failure.module) if failure.module else (failure.requirement or "a module")
        return (
            f"{where} could not be built: the build needs {what}, which the build environment "
            f"lacks{_hook(failure)}."
        )
    if failure.kind == BUILD_DEPENDENCY_TOO_NEW:
        return (
            f"{where} could not be built: its build requirement {failure.distribution} is too "
            f"new for it{_hook(failure)}."
        )
    if failure.kind == UNIDENTIFIED_IMPORT:
        return (
            f"{where} could not be built: the build imported {failure.module!r}, which no "
            f"build requirement safepip can name provides{_hook(failure)}."
        )
    if failure.kind == PIP_TOO_OLD:
        return f"{where} could not be installed: this pip is too old for it."
    if failure.kind == BUILD_REQUIREMENT_UNAVAILABLE:
        return (
            f"{where} could not be built: pip could not install its build requirement "
            f"{failure.requirement}."
        )
    return ""
