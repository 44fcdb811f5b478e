"""``safepip memory [list|show NAME|remove NAME|purge] [--json]``: the remembered fixed wheels.

Not ``safepip cache``: that is pip's own command (``pip cache purge``), which safepip, a drop-in
``pip``, must pass through.

``list`` (the default) prints one line per wheel: name, version, the fix, when it was made and
its size; ``show NAME`` the whole record of each of NAME's; ``remove NAME`` forgets them;
``purge`` forgets everything. Exit status: 0, or 1 with one line on stderr (a store another user
could write in, a name with nothing remembered).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from safepip.memory import MAX_BYTES, Entry, StoreError, iter_matching, open_store, store_dir
from safepip.options import SafepipOptions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="safepip memory",
        description="List, show and remove the fixed wheels safepip remembers.",
    )
    parser.add_argument(
        "action", nargs="?", default="list", choices=["list", "show", "remove", "purge"]
    )
    parser.add_argument("name", nargs="?", help="a distribution name (show, remove)")
    parser.add_argument("--json", action="store_true", help="list or show as JSON on stdout")
    return parser


def run(args: list[str], own: SafepipOptions | None = None) -> int:
    """Entry point: ``args`` are the words after ``safepip memory``."""
    del own  # no option of safepip's changes what is remembered
    parsed = _parser().parse_args(args)
    if parsed.action in {"show", "remove"} and not parsed.name:
        print(f"safepip memory: {parsed.action} needs a distribution name", file=sys.stderr)
        return 1
    try:
        store = open_store(os.environ)
        if store is None:
            return _empty(parsed)
        with store:
            entries = store.entries()
            if parsed.name:
                entries = list(iter_matching(entries, parsed.name))
                if not entries:
                    print(f"safepip memory: nothing remembered for {parsed.name}", file=sys.stderr)
                    return 1
            if parsed.action in {"remove", "purge"}:
                for entry in entries:
                    store.remove(entry)
                    print(f"removed {entry.wheel}")
                return 0
    except (StoreError, OSError) as exc:
        print(f"safepip memory: {exc}", file=sys.stderr)
        return 1
    if parsed.json:
        print(json.dumps([{**entry.to_json(), "size": entry.size} for entry in entries], indent=2))
    elif parsed.action == "show":
        for entry in entries:
            print(json.dumps({**entry.to_json(), "size": entry.size}, indent=2))
    else:
        _list(entries)
    return 0


def _empty(parsed: argparse.Namespace) -> int:
    if parsed.name:
        print(f"safepip memory: nothing remembered for {parsed.name}", file=sys.stderr)
        return 1
    if parsed.json:
        print("[]")
    elif parsed.action == "list":
        print(f"nothing remembered ({store_dir(os.environ)})")
    return 0


def _list(entries: list[Entry]) -> None:
    total = sum(entry.size for entry in entries)
    for entry in entries:
        print(
            f"{entry.name} {entry.version}  {entry.wheel}  {_size(entry.size)}  "
            f"made {entry.created}  fix: {entry.fix}"
        )
    print(
        f"{len(entries)} wheel(s), {_size(total)} of {_size(MAX_BYTES)} ({store_dir(os.environ)})"
    )


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} B"
