"""A package whose setup.py imports what setuptools 74 removed."""
