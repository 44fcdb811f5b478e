"""What the user's pip makes of their command, asked of that pip's own option parser: whether it
would act at all (``--dry-run``, ``require-virtualenv`` outside a virtual environment, an
``EXTERNALLY-MANAGED`` environment, a command line it rejects), and the constraints its
environment and configuration files give it.

Asked of pip itself, not read here: pip merges ``PIP_*`` variables, ``[global]`` and the
command's section of every configuration file (``PIP_CONFIG_FILE``, the user's, the site's, the
environment's) in an order that has changed between releases; its parser is the one answer.
It costs one process, so it is asked only before a change would be made.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from safepip.options import command_index

#: Run by the target's interpreter with the pip command's name and its other words: prints one
#: JSON object. pip's parser exits 2 on a command line it rejects; it is caught here.
_PROBE = r"""
import json, sys
out = {}
try:
    from pip._internal.commands import create_command
    name, words = sys.argv[1], sys.argv[2:]

    def parse(args):
        # As pip's main() makes it: --isolated ignores PIP_* variables and user configuration.
        return create_command(name, isolated="--isolated" in words).parse_args(list(args))[0]

    try:
        options = parse(words)
    except SystemExit:
        out["refusal"] = "pip rejects this command line"
    else:
        out["dry_run"] = bool(getattr(options, "dry_run", False))
        # With --python, pip runs again in that interpreter, which then makes these checks.
        elsewhere = bool(getattr(options, "python", None))
        if getattr(options, "require_venv", False) and not elsewhere:
            from pip._internal.utils.virtualenv import running_under_virtualenv
            if not running_under_virtualenv():
                out["refusal"] = "pip requires a virtual environment (require-virtualenv)"
        if name == "install" and "refusal" not in out and not elsewhere:
            try:
                from pip._internal.utils.misc import check_externally_managed
            except ImportError:
                check_externally_managed = None
            here = not (out["dry_run"] and getattr(options, "json_report_file", None)) and all(
                getattr(options, key, None) is None
                for key in ("root_path", "target_dir", "prefix_path")
            )
            if check_externally_managed and here and not getattr(
                options, "override_externally_managed", False
            ):
                try:
                    check_externally_managed()
                except Exception:
                    out["refusal"] = "the environment is externally managed (PEP 668)"
        # The constraints pip has without the command line's -c: PIP_CONSTRAINT, else the
        # configuration files (a variable replaces their value, -c adds to either).
        out["constraints"] = list(getattr(parse([]), "constraints", None) or [])
except Exception as exc:
    out["error"] = type(exc).__name__ + ": " + str(exc)
sys.stdout.write(json.dumps(out))
"""


@dataclass(frozen=True)
class PipSettings:
    """What the user's pip would do with their command, as far as a change depends on it."""

    #: Why pip would not run the command at all (None: it would).
    refusal: str | None = None
    #: ``--dry-run`` (or ``PIP_DRY_RUN``, or ``dry-run`` in a configuration file).
    dry_run: bool = False
    #: The constraint files pip gets from its environment and configuration files (not ``-c``).
    constraints: tuple[str, ...] = ()
    #: Why pip could not be asked (None: it answered).
    error: str | None = None


def read_pip_settings(
    python: str,
    pip_args: Sequence[str],
    *,
    cwd: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> PipSettings:
    """Ask ``python``'s pip what it makes of ``pip_args`` (the user's, as they run it)."""
    index = command_index(pip_args)
    if index is None:
        return PipSettings(error="no pip command")
    words = [*pip_args[:index], *pip_args[index + 1 :]]
    try:
        probe = subprocess.run(
            [python, "-c", _PROBE, pip_args[index], *words],
            capture_output=True,
            text=True,
            check=False,
            cwd=cwd,
            env={**(os.environ if environ is None else environ), "PIP_NO_INPUT": "1"},
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        answer = json.loads(probe.stdout or "{}")
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        return PipSettings(error=str(exc))
    if not isinstance(answer, dict) or "error" in answer or not answer:
        error = answer.get("error") if isinstance(answer, dict) else None
        return PipSettings(error=str(error or probe.stderr.strip()[-200:] or "no answer"))
    constraints = answer.get("constraints") or []
    return PipSettings(
        refusal=answer.get("refusal") if isinstance(answer.get("refusal"), str) else None,
        dry_run=answer.get("dry_run") is True,
        constraints=tuple(str(item) for item in constraints if isinstance(item, str)),
    )
