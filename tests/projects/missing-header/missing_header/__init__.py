"""a C extension including a header that does not exist (not a build dependency problem)"""

__version__ = "1.0"
