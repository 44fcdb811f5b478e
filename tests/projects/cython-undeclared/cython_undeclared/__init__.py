"""setup.py imports Cython, which requires does not list"""

__version__ = "1.0"
