"""a sound hatchling project"""

__version__ = "1.0"
