"""build backend setuptools.build_meta is not in requires"""

__version__ = "1.0"
