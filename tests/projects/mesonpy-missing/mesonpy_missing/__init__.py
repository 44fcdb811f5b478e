"""build backend mesonpy is not in requires"""

__version__ = "1.0"
