"""setup.py imports the runtime dependency requests"""

__version__ = "1.0"
