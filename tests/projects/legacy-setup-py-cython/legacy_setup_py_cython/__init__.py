"""a legacy project: setup.py imports Cython, no pyproject.toml"""

__version__ = "1.0"
