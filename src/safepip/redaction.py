"""The one masker of credentials, with pip's rules (pip's ``redact_auth_from_url``).

``https://user:secret@host/`` is shown as ``https://user:****@host/`` and a lone
``https://token@host/`` as ``https://****@host/``: pip's ``redact_netloc`` (the user name is kept,
quoted as pip quotes it, because it helps to tell indexes apart; a lone name may be the secret, as
GitHub tokens are). Everything safepip shows or stores that may hold a command line or pip's output
goes through it: its lines on stderr (``errors.say``), the reporter, the GitHub annotations and
step summary, the ``--report`` JSON, transcripts and the crash log.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence
from typing import TypeVar, cast

_Json = TypeVar("_Json")

MASK = "****"

# scheme://userinfo@ : the userinfo runs to the last "@" before the host's end (pip splits the
# netloc at its last "@", as urllib does), and never crosses "/", "?", "#", quotes or white space,
# so the "@" of a plain https://host/path@v1 is not taken for one.
_USERINFO = re.compile(r"""(\b[A-Za-z][A-Za-z0-9+.-]*://)([^/\s?#'"<>]*)@""")

#: pip's options whose value may be a proxy without a scheme (``user:pass@proxy:3128``), and the
#: abbreviations optparse accepts for it (``--pro`` is ambiguous: ``--progress-bar``, ``--prefix``).
_PROXY_OPTIONS = ("--proxy", "--prox")


def redact_userinfo(userinfo: str) -> str:
    """The userinfo of a netloc as pip's ``redact_netloc`` shows it: ``user:****`` or ``****``."""
    user, colon, _password = userinfo.partition(":")
    if not colon:
        return MASK
    return urllib.parse.quote(urllib.parse.unquote(user)) + ":" + MASK


def redact_netloc(netloc: str) -> str:
    """pip's ``redact_netloc``: ``user:pass@host`` -> ``user:****@host``, ``tok@host`` ->
    ``****@host``; a netloc without ``@`` as it is."""
    if "@" not in netloc:
        return netloc
    userinfo, host = netloc.rsplit("@", 1)
    return f"{redact_userinfo(userinfo)}@{host}"


def _mask_match(match: re.Match[str]) -> str:
    return f"{match.group(1)}{redact_userinfo(match.group(2))}@"


def mask_credentials(text: str) -> str:
    """``text`` with the credentials of every URL in it masked: ``https://user:****@host/``."""
    if "@" not in text or "://" not in text:
        return text  # the common case, at the cost of two scans
    return _USERINFO.sub(_mask_match, text)


def redact_argv(argv: Sequence[str]) -> list[str]:
    """A command line as it may be shown or stored: every URL's credentials masked (``-i URL``,
    ``--index-url=URL``, ``-iURL``, ``--extra-index-url``, ``-f``, ``pkg @ URL``, ``git+https://
    tok@...``), and a ``--proxy`` value's even without a scheme, as pip documents it
    (``[user:passwd@]proxy.server:port``)."""
    shown: list[str] = []
    after_proxy = False
    for word in argv:
        name, equals, value = word.partition("=")
        if after_proxy:
            masked = _redact_proxy(word)
        elif equals and name in _PROXY_OPTIONS:
            masked = f"{name}={_redact_proxy(value)}"
        else:
            masked = mask_credentials(word)
        shown.append(masked)
        after_proxy = word in _PROXY_OPTIONS
    return shown


def _redact_proxy(value: str) -> str:
    if "://" in value:
        return mask_credentials(value)
    netloc, slash, rest = value.partition("/")
    return redact_netloc(netloc) + slash + rest


def redact_json(value: _Json) -> _Json:
    """A JSON value with every string in it masked (keys too: a URL may be one), and every list
    of strings masked as a command line (:func:`redact_argv`: ``--proxy`` values too)."""
    return cast("_Json", _redact(value))


def _redact(value: object) -> object:
    if isinstance(value, str):
        return mask_credentials(value)
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return redact_argv(value)
        return [_redact(item) for item in value]
    if isinstance(value, dict):
        return {mask_credentials(str(key)): _redact(item) for key, item in value.items()}
    return value
