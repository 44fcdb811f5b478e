"""``safepip config-show [--json]``: the effective configuration and where each value came from.

The human form is TOML with a comment after each value naming its origin (a file and line, a
``SAFEPIP_*`` variable, an option, or "default"), so it can be pasted into a configuration file.
Exit status: 0, or 1 with one line on stderr when the configuration file is unusable.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from safepip.config import (
    Config,
    FixSetting,
    Origin,
    effective_options,
    load_config,
    quote_key,
    resolve_fix,
)
from safepip.errors import SafepipError
from safepip.fixmode import FILE_WORDS, GLOSS
from safepip.memory import OFF_VARIABLE, turned_off
from safepip.options import SafepipOptions, parse_command_line


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip config-show",
        description="Show safepip's effective configuration and where each value came from.",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    return parser


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip config-show``.

    ``own`` are safepip's own options (``safepip --no-fix config-show``), as main.py hands
    them to every own command; without, the environment alone is taken.
    """
    parsed = _parser().parse_args(args)
    try:
        if own is None:
            own = parse_command_line([], os.environ).options
        config = load_config(os.environ)
    except SafepipError as exc:
        print(f"safepip config-show: {exc}", file=sys.stderr)
        return 1
    values, sources = effective_options(own, config)
    fix = resolve_fix(own, config)
    if parsed.json:
        print(json.dumps(_as_json(config, fix, values, sources), indent=2))
    else:
        sys.stdout.write(_as_text(config, fix, values, sources))
    return 0


def _as_json(
    config: Config, fix: FixSetting, values: SafepipOptions, sources: dict[str, Origin]
) -> dict[str, Any]:
    document = config.to_json()
    document["effective_options"] = {
        # What the options, variables and file chose, in the file's words.
        "fix": {"value": FILE_WORDS[fix.chosen], **fix.origin.to_json()},
        "report": {"value": values.report, **sources["report"].to_json()},
    }
    memory, origin = _memory(config)
    document["effective_options"]["memory"] = {"value": memory, **origin.to_json()}
    return document


def _memory(config: Config) -> tuple[bool, Origin]:
    """Whether the store of fixed wheels is on (safepip.memory), and what said so."""
    if turned_off(os.environ, None) is not None:
        return False, Origin(f"${OFF_VARIABLE}")
    if config.memory is not None:
        return config.memory, config.origins["memory"]
    return True, Origin("default")


def _toml_string(text: str) -> str:
    # JSON strings are TOML basic strings for everything a path or requirement holds.
    return json.dumps(text, ensure_ascii=False)


def _row(assignment: str, origin: object) -> str:
    return f"{assignment:<40} # {origin}\n"


def _as_text(
    config: Config, fix: FixSetting, values: SafepipOptions, sources: dict[str, Origin]
) -> str:
    # A missing file is only possible at the default location: $SAFEPIP_CONFIG must exist.
    state = "" if config.exists else " (none there: no value below comes from a file)"
    how = "" if config.path_origin.description == "default" else f" (from {config.path_origin})"
    out = [f"# configuration file: {config.path}{how}{state}\n", "\n[options]\n"]
    origin = str(fix.origin)
    # "--yes (like --yes)" says nothing twice: the option needs no gloss.
    gloss = "" if GLOSS[fix.chosen] == f"like {origin}" else f" ({GLOSS[fix.chosen]})"
    out.append(_row(f"fix = {_toml_string(FILE_WORDS[fix.chosen])}", origin + gloss))
    if values.report is None:
        out.append(_row("# report: not set", sources["report"]))
    else:
        out.append(_row(f"report = {_toml_string(values.report)}", sources["report"]))
    memory, memory_origin = _memory(config)
    if not memory or config.memory is not None:
        out.append(_row(f"memory = {str(memory).lower()}", memory_origin))

    out.append("\n[extra-build-dependencies]\n")
    if not config.extra_build_dependencies:
        out.append("# none\n")
    for name, items in config.extra_build_dependencies.items():
        entries = []
        for item in items:
            if item.match_runtime:
                entries.append(
                    f"{{ requirement = {_toml_string(item.requirement)}, match-runtime = true }}"
                )
            else:
                entries.append(_toml_string(item.requirement))
        key = quote_key(config.extra_build_names[name])
        out.append(_row(f"{key} = [{', '.join(entries)}]", config.extra_build_origins[name]))

    out.append("\n[mapping]\n")
    if not config.mapping:
        out.append("# none (the curated table in safepip.knowledge applies)\n")
    for module, entry in config.mapping.items():
        if entry.requirement == entry.distribution:
            value = _toml_string(entry.distribution)
        else:
            value = (
                f"{{ distribution = {_toml_string(entry.distribution)}, "
                f"requirement = {_toml_string(entry.requirement)} }}"
            )
        out.append(_row(f"{quote_key(module)} = {value}", entry.origin))
    return "".join(out)
