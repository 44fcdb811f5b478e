"""a sound setuptools project"""

__version__ = "1.0"
