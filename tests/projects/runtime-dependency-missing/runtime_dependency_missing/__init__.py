"""a runtime dependency that does not exist (not a build problem)"""

__version__ = "1.0"
