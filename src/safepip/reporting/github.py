"""GitHub Actions: each finding as a workflow command, and a step summary.

Only when ``GITHUB_ACTIONS=true``. Workflow commands go to stderr with safepip's other lines
(the runner reads them on both streams), so stdout stays pip's (``--report - | jq``). A finding
left as it was is an ``::error``; one safepip fixed in the same run is a ``::warning``. The
annotation points at the pyproject.toml line that needs the change when the project is local, so
the pull request shows it beside the code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from safepip import tomlfile
from safepip.redaction import redact_argv
from safepip.visible import shown


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
        data = tomlfile.read_bytes(pyproject)
    except tomlfile.TomlFileError:
        return 1
    if data is None:
        return 1
    text = tomlfile.split_bom(data)[1].decode("utf-8", "replace")
    return tomlfile.KeyLines(text).find(("build-system", key))


def annotation(
    finding: Mapping[str, Any],
    fix: str | None = None,
    *,
    applied: bool = False,
    changed_file: str | None = None,
) -> str:
    """One workflow command for a finding (a BuildFailure's JSON).

    ``::error`` when nothing was fixed; ``::warning`` when safepip fixed it in this run, saying
    what changed and that the change belongs in the repository (the next run needs it again).
    """
    kind = finding.get("kind") or "build-failure"
    package = finding.get("package") or "a package"
    message = finding.get("explanation") or f"{kind} while building {package}"
    if applied:
        message = (
            f"safepip fixed this in this run: {fix or 'a fix was applied'}. "
            + (
                f"Commit the change to {_relative(changed_file)}: without it the next run fails "
                "the same way."
                if changed_file
                else "Nothing in the repository changed: every run makes this fix again (keep "
                "SAFEPIP_YES, or name the requirement in safepip's [extra-build-dependencies])."
            )
            + f" ({message})"
        )
    elif fix:
        message += f" Fix: {fix}"
    command = "warning" if applied else "error"
    # The message quotes pip's output: masked and made visible, then escaped as GitHub documents.
    message = shown(message, lines=True)
    title = shown(f"safepip: {kind} ({package})")
    properties = [f"title={_escape_property(title)}"]
    pyproject = finding.get("pyproject")
    if pyproject:
        key = "build-backend" if finding.get("suggestion") else "requires"
        line = build_system_line(pyproject, key)
        where = _escape_property(shown(_relative(pyproject)))
        properties = [f"file={where}", f"line={line}", *properties]
    return f"::{command} {','.join(properties)}::{_escape_data(message)}"


def _relative(path: str) -> str:
    # Annotations resolve file paths against the workspace.
    workspace = os.environ.get("GITHUB_WORKSPACE") or os.getcwd()
    try:
        relative = os.path.relpath(path, workspace)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative


class Row:
    """One finding as CI shows it: the failure (its JSON), the fix proposed, whether applied,
    and the file the fix changed (a pyproject.toml), if it changed one."""

    def __init__(
        self,
        failure: Mapping[str, Any],
        fix: str | None,
        applied: bool,
        changed_file: str | None = None,
    ) -> None:
        self.failure = failure
        self.fix = fix
        self.applied = applied
        self.changed_file = changed_file


# Everything put in the step summary goes through one of the three below: it may quote pip's
# output (a build prints anything), so it is masked (credentials), made visible (control
# characters) and neutralised (no Markdown or HTML of its own renders: no link, image or tag).


def _fence(text: str, least: int) -> str:
    # CommonMark: a code span or block ends only at a backtick run as long as its fence, so a
    # fence longer than any run in the text cannot be closed by it.
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(least, longest + 1)


def _code(text: str) -> str:
    """Inline code: one line, whatever backticks the text holds."""
    text = shown(text).replace("\t", " ")
    fence = _fence(text, 1)
    # A space inside the fence keeps a backtick at either end of the text out of the fence.
    return f"{fence} {text} {fence}" if "`" in text else f"{fence}{text}{fence}"


def _code_block(text: str) -> list[str]:
    text = shown(text)
    fence = _fence(text, 3)
    return [fence, text, fence]


_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
#: What can start Markdown of its own (GitHub's flavour): emphasis, code, links and images,
#: headings, lists, tables, strikethrough, maths, autolinks (``http://``, ``www.``, ``a@b``).
#: CommonMark shows a backslash-escaped punctuation character as itself.
_MARKDOWN = frozenset("\\`*_{}[]()#+-.!|~$:@")


def _text(text: str) -> str:
    """Plain text: HTML-escaped and Markdown-escaped, so ``[x](url)``, ``![x](url)``,
    ``<img>``, ``<details>``, emphasis, headings, lists, tables and autolinks show as typed."""
    out = []
    for char in shown(text).replace("\n", " ").replace("\r", " "):
        if char in _HTML:
            out.append(_HTML[char])
        elif char in _MARKDOWN:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def step_summary(
    pip_args: Sequence[str],
    rows: Sequence[Row],
    exit_status: int | None,
    fix_command: str | None = None,
) -> str:
    """One Markdown block for ``$GITHUB_STEP_SUMMARY`` per safepip run: what was found, what
    was done, and the exact command that would fix what was left undone."""
    lines = [
        f"### safepip: {_code('pip ' + ' '.join(redact_argv(pip_args)))}",
        "",
        f"pip exited with status {exit_status}.",
        "",
        "**Found**",
        "",
    ]
    for row in rows:
        failure = row.failure
        what = str(failure.get("explanation") or failure.get("kind") or "a build failure")
        package = f"{_code(str(failure['package']))}: " if failure.get("package") else ""
        lines.append(f"- {package}{_text(what)}")
    lines += ["", "**Done**", ""]
    done = [row for row in rows if row.applied]
    for row in done:
        where = f" (commit {_code(_relative(row.changed_file))})" if row.changed_file else ""
        lines.append(f"- {_text(row.fix or 'a fix was applied')}{where}")
    if not done:
        lines.append("- nothing was changed")
    undone = [row for row in rows if not row.applied and row.fix]
    if undone:
        lines += ["", "**To fix**", ""]
        lines += [f"- {_text(row.fix)}" for row in undone if row.fix]
        if fix_command:
            lines += ["", "Run:", "", *_code_block(fix_command)]
    return "\n".join(lines) + "\n\n"


def emit(
    stream: TextIO,
    environ: Mapping[str, str],
    *,
    pip_args: Sequence[str],
    rows: Sequence[Row],
    exit_status: int | None,
    fix_command: str | None = None,
) -> None:
    """Print the workflow commands (on ``stream``: safepip's stderr) and append the step
    summary, when running on GitHub Actions."""
    if not active(environ) or not rows:
        return
    for row in rows:
        line = annotation(row.failure, row.fix, applied=row.applied, changed_file=row.changed_file)
        stream.write(line + "\n")
    stream.flush()
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(step_summary(pip_args, rows, exit_status, fix_command))
        except OSError:
            pass  # a summary is a courtesy: never a reason to fail the step
