"""``safepip doctor [PATH ...] [--json] [--fix] [--yes]``: check ``[build-system]`` before pip runs.

Each PATH is a project folder or its pyproject.toml (default: the current folder). The checks
are static (safepip.deciding.static): nothing is built, pip is not imported, nothing is fetched.

Exit status: 0 when every project is sound, 1 when there are findings, 2 when a path cannot be
read or parsed (one line on stderr each; the other paths are still checked). With ``--fix``, the
findings that have a safe fix are fixed through the same patcher and consent rules as a failed
pip run (docs/fixing.md), the projects are checked again, and the status is the new result's.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

from safepip.applying.pyproject import (
    PatchError,
    PatchPlan,
    apply_plan,
    held_by_git,
    plan_changes,
    real_pyproject,
    undo_hint,
)
from safepip.changes import Change
from safepip.config import FixSetting, load_config, resolve_fix
from safepip.deciding.consent import ask
from safepip.deciding.static import check_pyproject
from safepip.deciding.static_findings import StaticCheckError, StaticFinding
from safepip.errors import SafepipError
from safepip.fixmode import APPLY, ASK, EXPLAIN
from safepip.options import SafepipOptions, parse_command_line

if TYPE_CHECKING:
    from safepip.fixmode import FixMode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip doctor",
        description=(
            "Check the [build-system] table of local projects for what would break pip's build."
        ),
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a project folder or its pyproject.toml (default: the current folder)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument(
        "--fix", action="store_true", help="fix what can be fixed safely (asks first on a terminal)"
    )
    parser.add_argument(
        "--yes", action="store_true", help="with --fix: apply without asking (SAFEPIP_YES=1)"
    )
    return parser


def check_paths(paths: Sequence[str]) -> tuple[list[StaticFinding], list[str]]:
    """Findings for every path, and one error line for each path that could not be checked."""
    findings: list[StaticFinding] = []
    errors: list[str] = []
    for path in paths:
        found, error = _check_one(path)
        findings.extend(found)
        if error is not None:
            errors.append(error)
    return findings, errors


def _check_one(path: str) -> tuple[list[StaticFinding], str | None]:
    try:
        return check_pyproject(path), None
    except StaticCheckError as exc:
        return [], str(exc)


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip doctor``.

    ``own`` are safepip's own options (``safepip --yes doctor --fix``), as main.py hands them to
    every own command; without, the SAFEPIP_* variables alone are taken.
    """
    parser = _parser()
    options = parser.parse_args(args)

    fix = _fix_setting(parser, options, own)
    paths: list[str] = options.paths or [os.curdir]
    # --json keeps stdout for the JSON document: diffs and notes then go to stderr.
    out = sys.stderr if options.json else sys.stdout

    findings, errors = check_paths(paths)
    for error in errors:
        print(f"safepip doctor: {error}", file=sys.stderr)
    if not options.json:
        _print_findings(findings, out)
    changed: list[dict[str, str | None]] = []
    if fix is not None and findings:
        changed = _fix(findings, fix, out=out)
        if changed:
            findings, errors = check_paths(paths)
            if not options.json:
                print("safepip doctor: checked again after the fix:", file=out)
                _print_findings(findings, out)
                if not findings:
                    print("safepip doctor: no findings left", file=out)
    if options.json:
        document: dict[str, object] = {"findings": [finding.to_json() for finding in findings]}
        if options.fix:
            document["changed"] = changed
        print(json.dumps(document, indent=2))
    if errors:
        return 2
    return 1 if findings else 0


def _fix_setting(
    parser: argparse.ArgumentParser, options: argparse.Namespace, own: SafepipOptions | None
) -> FixSetting | None:
    """The fix mode for --fix (None without): safepip's own options, the SAFEPIP_* variables,
    the configuration file, and doctor's --yes (like safepip's, though --no-fix and
    SAFEPIP_NO_FIX still win)."""
    try:  # a bad SAFEPIP_* value, or an unusable configuration file, is reported like a bad option
        if own is None:
            own = parse_command_line([], os.environ).options
        if not options.fix:
            return None
        if options.yes and own.fix != EXPLAIN:
            own.fix, own.fix_source = APPLY, "--yes"
        return resolve_fix(own, load_config(os.environ))
    except SafepipError as exc:
        parser.error(str(exc))


def _print_findings(findings: list[StaticFinding], out: TextIO) -> None:
    for finding in findings:
        print(finding.render(), file=out)


# --- --fix -------------------------------------------------------------------------------------


def _fix(
    findings: list[StaticFinding], fix: FixSetting, *, out: TextIO
) -> list[dict[str, str | None]]:
    """Plan the fixable findings per file, then apply them with consent; return what changed."""
    by_file: dict[str, list[Change]] = {}
    for finding in findings:
        if finding.change is not None and finding.change not in by_file.get(finding.path, []):
            by_file.setdefault(finding.path, []).append(finding.change)
    unfixable = sum(1 for finding in findings if finding.change is None)
    if unfixable:
        print(
            f"safepip doctor: {unfixable} finding(s) have no automatic fix; "
            "see the fix suggested for each",
            file=out,
        )
    if not by_file:
        return []
    changed: list[dict[str, str | None]] = []
    explained: list[str] = []
    for pyproject, changes in by_file.items():
        outcome = _fix_file(pyproject, changes, fix.mode, out)
        if outcome == _EXPLAINED:
            explained.append(pyproject)
        elif isinstance(outcome, dict):
            changed.append(outcome)
    if explained and fix.refused:
        print(f"safepip doctor: {_refusal(fix)}, so nothing was changed", file=out)
    elif explained:
        command = shlex.join(["safepip", "doctor", "--fix", "--yes", *explained])
        print(
            "safepip doctor: nothing changed (no terminal to ask); to apply the change "
            f"above, run: {command}",
            file=out,
        )
    return changed


_EXPLAINED = "explained"


def _refusal(fix: FixSetting) -> str:
    """Who said to change nothing: ``--no-fix is given``, ``SAFEPIP_NO_FIX is set``, the file."""
    origin = fix.origin
    if origin.path is not None:
        return f'{origin} says fix = "no"'
    if origin.description.startswith("$"):
        return f"{origin.description[1:]} is set"
    return f"{origin.description} is given"


def _fix_file(
    pyproject: str, changes: list[Change], mode: FixMode, out: TextIO
) -> dict[str, str | None] | str | None:
    """Show one file's diff and apply it with consent: what changed, _EXPLAINED, or None."""

    try:
        pyproject = real_pyproject(pyproject)  # the diff and the question name the real file
        plan = plan_changes(pyproject, changes)
    except PatchError as exc:
        print(f"safepip doctor: cannot prepare the fix of {pyproject}: {exc}", file=out)
        return None
    if not plan.changed:
        return None
    print(plan.diff(), end="", file=out)
    if mode == ASK and not ask(f"Apply this change to {pyproject}?"):
        print(f"safepip doctor: {pyproject} not changed", file=out)
        return None
    if mode not in {ASK, APPLY}:
        return _EXPLAINED
    return _write(plan, lambda: plan_changes(pyproject, changes), out)


def _write(
    plan: PatchPlan, replan: Callable[[], PatchPlan], out: TextIO
) -> dict[str, str | None] | None:
    # No backup where git holds the original (doctor --fix as a pre-commit hook would have the
    # backup committed by the next `git add -A`).
    in_git = held_by_git(plan.path)
    try:
        applied = apply_plan(plan, replan=replan, backup=not in_git)
    except SafepipError as exc:  # PatchError, or another run holding the folder too long
        print(f"safepip doctor: {exc}", file=out)
        return None
    if applied.already_done:
        print(f"safepip doctor: {plan.path} already has this change", file=out)
        return None
    backup = f" (backup: {applied.backup})" if applied.backup else ""
    if in_git:
        backup = f" ({undo_hint(plan.path)})"
    print(f"safepip doctor: changed {plan.path}{backup}", file=out)
    return {"path": plan.path, "backup": applied.backup}
