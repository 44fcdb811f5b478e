"""build backend hatchling.build is not in requires"""

__version__ = "1.0"
