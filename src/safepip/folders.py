"""Who else can change a folder: the checks safepip makes before it keeps files in one (a log
directory, the store of fixed wheels, the launchers' folder), as ssh checks ``~/.ssh`` and the
folders above it."""

from __future__ import annotations

import os
import stat

__all__ = ["NEW_FILE", "not_private", "private_folder_refusal", "unsafe_parent"]

#: How safepip creates a file of its own in such a folder: new (never one that exists, nor a
#: link followed), closed on exec, and binary where the platform tells binary from text.
NEW_FILE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def unsafe_parent(directory: str) -> str | None:
    """The first folder above ``directory`` (from the first that exists, links resolved) that
    another user could rename ``directory`` out of, or swap for theirs: one owned by neither the
    user nor root, or writable by group or others without the sticky bit (``/tmp`` is fine).
    None when there is none (and on Windows, where folders have access lists instead)."""
    if not hasattr(os, "geteuid"):
        return None
    folder = os.path.abspath(directory)
    while not os.path.lexists(folder):
        folder = os.path.dirname(folder)
    folder = os.path.realpath(folder)
    if folder == os.path.realpath(directory):
        folder = os.path.dirname(folder)  # the directory itself is its caller's to judge
    while True:
        status = os.stat(folder)
        others_write = status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if status.st_uid not in {os.geteuid(), 0} or (
            others_write and not status.st_mode & stat.S_ISVTX
        ):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def not_private(status: os.stat_result) -> str | None:
    """Why a folder safepip keeps its own files in (``status``: its ``stat``) is not private to
    the user, as the middle of a sentence that ends with where to go instead ("belongs to
    another user (uid 1001);"); None when it is private (and on Windows)."""
    if not hasattr(os, "geteuid"):
        return None
    if status.st_uid != os.geteuid():
        return f"belongs to another user (uid {status.st_uid});"
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by other users; make it private (chmod go-w) or"
    return None


def private_folder_refusal(
    status: os.stat_result, path: str, *, what: str, noun: str, variable: str
) -> str | None:
    """Why safepip will not keep its files in the folder at ``path`` (``status``: its ``stat``),
    as one line naming ``variable`` to set instead ("the log directory D belongs to another user
    (uid 1001); set SAFEPIP_LOG_DIR to a directory of your own"); None when it may."""
    if not stat.S_ISDIR(status.st_mode):
        return f"{path} is not a {noun}"
    problem = not_private(status)
    if problem is None:
        return None
    return f"the {what} {path} {problem} set {variable} to a {noun} of your own"
