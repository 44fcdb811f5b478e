"""Where safepip's own files are: the configuration file, the log folder and the cache.

platformdirs' answers, computed here without importing it on Linux (platformdirs alone costs tens
of milliseconds to import), so that the building path can look for the configuration file with
one ``stat`` before pip runs. Imports nothing beyond ``os`` and ``sys``.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see safepip.reading.consumer
if TYPE_CHECKING:
    from collections.abc import Mapping

CONFIG_VARIABLE = "SAFEPIP_CONFIG"
FILE_NAME = "config.toml"
APP_NAME = "safepip"


def _is_plain_unix() -> bool:
    return sys.platform != "win32" and sys.platform != "darwin" and os.name == "posix"


def _xdg_home(environ: Mapping[str, str], variable: str, fallback: str) -> str:
    # platformdirs' Unix rules: an absolute $XDG_* wins, anything else falls back under $HOME.
    value = environ.get(variable, "")
    if os.path.isabs(value):
        return value
    home = environ.get("HOME", "")
    if os.path.isabs(home):  # the environ given, not necessarily os.environ
        return os.path.join(home, fallback[2:])
    return os.path.expanduser(fallback)


def user_config_dir(environ: Mapping[str, str]) -> str:
    """platformdirs' ``user_config_dir("safepip")``, without importing it on Linux."""
    if _is_plain_unix():
        return os.path.join(_xdg_home(environ, "XDG_CONFIG_HOME", "~/.config"), APP_NAME)
    import platformdirs

    return platformdirs.user_config_dir(APP_NAME, appauthor=False)


def user_log_dir(environ: Mapping[str, str]) -> str:
    """platformdirs' ``user_log_dir("safepip")``, without importing it on Linux."""
    if _is_plain_unix():
        state = _xdg_home(environ, "XDG_STATE_HOME", "~/.local/state")
        return os.path.join(state, APP_NAME, "log")
    import platformdirs

    return platformdirs.user_log_dir(APP_NAME, appauthor=False)


def user_cache_dir(environ: Mapping[str, str]) -> str:
    """platformdirs' ``user_cache_dir("safepip")``, without importing it on Linux."""
    if _is_plain_unix():
        return os.path.join(_xdg_home(environ, "XDG_CACHE_HOME", "~/.cache"), APP_NAME)
    import platformdirs

    return platformdirs.user_cache_dir(APP_NAME, appauthor=False)


def config_file(environ: Mapping[str, str]) -> tuple[str, bool]:
    """The configuration file to read, and whether ``$SAFEPIP_CONFIG`` named it."""
    explicit = environ.get(CONFIG_VARIABLE)
    if explicit:
        return os.path.expanduser(explicit), True
    return os.path.join(user_config_dir(environ), FILE_NAME), False
