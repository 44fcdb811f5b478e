"""GitHub Actions: each finding as an ``::error`` workflow command, and a step summary.

Only when ``GITHUB_ACTIONS=true``. The annotation points at the pyproject.toml line that needs the
change when the project is local, so the pull request shows it beside the code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, TextIO


def active(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping (actions/toolkit: command.ts).
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def build_system_line(pyproject: str, key: str = "requires") -> int:
    """The line of ``key`` in ``[build-system]`` (else the table's header, else 1)."""
    try:
        with open(pyproject, encoding="utf-8-sig", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return 1
    header = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("["):
            if header is not None:
                break
            if line.replace(" ", "").startswith("[build-system]"):
                header = number
        elif (header is not None and line.split("=", 1)[0].strip() == key) or line.replace(
            " ", ""
        ).startswith(f"build-system.{key}="):
            return number
    return header or 1


def annotation(finding: Mapping[str, Any], fix: str | None = None) -> str:
    """One ``::error`` line for a finding (a BuildFailure's JSON)."""
    kind = finding.get("kind") or "build-failure"
    package = finding.get("package") or "a package"
    message = finding.get("explanation") or f"{kind} while building {package}"
    if fix:
        message += f" Fix: {fix}"
    properties = [f"title={_escape_property(f'safepip: {kind} ({package})')}"]
    pyproject = finding.get("pyproject")
    if pyproject:
        key = "build-backend" if finding.get("suggestion") else "requires"
        line = build_system_line(pyproject, key)
        properties = [f"file={_escape_property(_relative(pyproject))}", f"line={line}", *properties]
    return f"::error {','.join(properties)}::{_escape_data(message)}"


def _relative(path: str) -> str:
    # Annotations resolve file paths against the workspace.
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    try:
        relative = os.path.relpath(path, workspace)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


class Row:
    """One finding as CI shows it: the failure (its JSON), the fix proposed, whether applied."""

    def __init__(self, failure: Mapping[str, Any], fix: str | None, applied: bool) -> None:
        self.failure = failure
        self.fix = fix
        self.applied = applied


def step_summary(pip_args: Sequence[str], rows: Sequence[Row], exit_status: int | None) -> str:
    """A short Markdown summary for ``$GITHUB_STEP_SUMMARY``."""
    lines = [
        "### safepip",
        "",
        f"`pip {' '.join(pip_args)}` exited with status {exit_status}.",
        "",
        "| kind | package | module | distribution | fix | applied |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        failure = row.failure
        cells = [
            str(failure.get("kind") or ""),
            f"`{failure['package']}`" if failure.get("package") else "",
            f"`{failure['module']}`" if failure.get("module") else "",
            str(failure.get("distribution") or ""),
            row.fix or "",
            "yes" if row.applied else "no",
        ]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def emit(
    stream: TextIO,
    environ: Mapping[str, str],
    *,
    pip_args: Sequence[str],
    rows: Sequence[Row],
    exit_status: int | None,
) -> None:
    """Print the annotations and append the step summary, when running on GitHub Actions."""
    if not active(environ) or not rows:
        return
    for row in rows:
        stream.write(annotation(row.failure, row.fix) + "\n")
    stream.flush()
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(step_summary(pip_args, rows, exit_status))
        except OSError:
            pass  # a summary is a courtesy: never a reason to fail the step
