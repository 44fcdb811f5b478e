"""a C extension with a syntax error (not a build dependency problem)"""

__version__ = "1.0"
