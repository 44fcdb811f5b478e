"""setup.py imports pkg_resources, which setuptools>=82 no longer ships"""

__version__ = "1.0"
