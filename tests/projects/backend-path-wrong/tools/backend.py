"""The in-tree backend, in the wrong folder: it re-exports flit_core's hooks."""

from flit_core.buildapi import *  # noqa: F403
