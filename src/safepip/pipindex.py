"""The index a pip command uses, as pip works it out: the command line, then ``PIP_INDEX_URL``
and ``PIP_NO_INDEX``, then pip's configuration files.

The store of fixed wheels is keyed by the index an sdist came from, so that a wheel fixed from
one index is never offered for a command that gets its files from another. An ``index-url`` in
``/etc/pip.conf`` or ``~/.config/pip/pip.conf`` (the usual way a company index is set) must count
as much as ``-i``. The files are read as pip 24 to 26 reads them (``pip/_internal/
configuration.py``): site-wide (``$XDG_CONFIG_DIRS``/pip/pip.conf, /etc/pip.conf), then the
user's (``~/.pip/pip.conf``, ``$XDG_CONFIG_HOME``/pip/pip.conf; not under ``--isolated`` nor when
``PIP_CONFIG_FILE`` names a file that exists), then the environment's (``PREFIX/pip.conf``), then
``PIP_CONFIG_FILE``; none at all when that is ``os.devnull``. A later file wins, and the command's
own section (``[install]``) wins over ``[global]`` whatever the file. ``--isolated`` also drops
the ``PIP_*`` variables.

Only the building path's offer of remembered wheels reads this, and only when the store holds
something (configparser is imported then, never on pass-through).
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: pip's index when nothing says another.
DEFAULT_INDEX = "https://pypi.org/simple"
_NAME = "pip.conf"
_TRUE = {"1", "true", "yes", "on", "y"}


def configuration_files(
    environ: Mapping[str, str], prefix: str | None, *, isolated: bool
) -> list[str]:
    """The configuration files pip reads, lowest precedence first."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        site_dirs = ["/Library/Application Support/pip"]
        user_dirs = [os.path.join(home, "Library", "Application Support", "pip")]
    else:
        xdg_dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        site_dirs = [os.path.join(folder, "pip") for folder in xdg_dirs.split(os.pathsep) if folder]
        user_dirs = []
    site_dirs.append("/etc")
    config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    user_dirs.append(os.path.join(config_home, "pip"))
    files = [os.path.join(folder, _NAME) for folder in site_dirs]
    if not isolated and not (env_file and os.path.exists(env_file)):
        files.append(os.path.join(home, ".pip", _NAME))
        files += [os.path.join(folder, _NAME) for folder in user_dirs]
    if prefix:
        files.append(os.path.join(prefix, _NAME))
    if env_file:
        files.append(env_file)
    return files


def configured(
    environ: Mapping[str, str], prefix: str | None, command: str | None, *, isolated: bool
) -> dict[str, str]:
    """pip's configuration files' values for ``command`` (``index-url``: value)."""
    import configparser

    merged: dict[str, dict[str, str]] = {"global": {}}
    if command:
        merged[command] = {}
    for path in configuration_files(environ, prefix, isolated=isolated):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            continue  # pip stops on such a file; the offer is only an offer
        for section, values in merged.items():
            if parser.has_section(section):
                for key, value in parser.items(section):
                    values[key.lower().replace("_", "-").removeprefix("--")] = value
    return {**merged["global"], **(merged[command] if command else {})}


def command_index(
    pip_args: Sequence[str],
    options: Sequence[tuple[str, str | None]],
    environ: Mapping[str, str],
    prefix: str | None,
    command: str | None,
) -> str | None:
    """The index the command gets its files from (not masked), or None under ``--no-index``.

    ``options`` are the command line's options as ``(name, value)``."""
    isolated = "--isolated" in pip_args
    index = no_index = None
    for name, value in options:
        if name == "--no-index":
            no_index = True
        if name in {"-i", "--index-url"} and value:
            index = value
    variables = {} if isolated else environ
    if no_index is None and variables.get("PIP_NO_INDEX"):
        no_index = variables["PIP_NO_INDEX"].strip().lower() in _TRUE
    index = index or variables.get("PIP_INDEX_URL") or None
    if no_index is None or index is None:
        # Each option has its own precedence: a file's no-index stands beside PIP_INDEX_URL.
        files = configured(environ, prefix, command, isolated=isolated)
        if no_index is None:
            no_index = files.get("no-index", "").strip().lower() in _TRUE
        index = index or files.get("index-url")
    return None if no_index else index or DEFAULT_INDEX
