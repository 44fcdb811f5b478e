"""``safepip diagnose --last``: explain the latest kept transcript again (see safepip.transcripts).

Same output and exit status as ``safepip diagnose LOG`` (0 nothing recognised, 1 failures found,
2 nothing to read), with one line on stderr first naming the transcript and the run it records.
The transcript's relative paths are read against the directory that run was started in, so the
explanation names the same pyproject.toml it named then.
"""

from __future__ import annotations

import os
import sys

from safepip.commands.diagnose import diagnose_log
from safepip.transcripts import latest_transcript, log_dir, read_metadata


def run_last(json: bool) -> int:
    """Diagnose the newest transcript; ``json`` prints one JSON object as ``--json`` does."""
    path = latest_transcript(os.environ)
    if path is None:
        print(
            f"safepip diagnose: no transcript kept yet in {log_dir(os.environ)} (safepip keeps "
            "one for each run that ends in a diagnosis)",
            file=sys.stderr,
        )
        return 2
    metadata = read_metadata(path)
    pip_args = metadata.get("pip_args")
    pip_args = [str(arg) for arg in pip_args] if isinstance(pip_args, list) else []
    cwd = metadata.get("cwd")
    cwd = cwd if isinstance(cwd, str) and os.path.isdir(cwd) else os.getcwd()
    when = metadata.get("time", "an unknown time")
    command = " ".join(["pip", *pip_args]) if pip_args else "a pip run"
    print(f"safepip: reading the transcript of `{command}` ({when}): {path}", file=sys.stderr)

    return diagnose_log(
        path, pip_args, cwd, as_json=json, what="transcript", extra_json={"transcript": path}
    )
