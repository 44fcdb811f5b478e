"""setup.py imports numpy, which requires does not list"""

__version__ = "1.0"
