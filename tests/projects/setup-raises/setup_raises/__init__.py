"""setup.py raises an error of its own (not a build dependency problem)"""

__version__ = "1.0"
