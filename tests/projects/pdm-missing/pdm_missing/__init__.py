"""build backend pdm.backend is not in requires"""

__version__ = "1.0"
