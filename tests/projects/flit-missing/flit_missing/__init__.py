"""build backend flit_core.buildapi is not in requires"""

__version__ = "1.0"
