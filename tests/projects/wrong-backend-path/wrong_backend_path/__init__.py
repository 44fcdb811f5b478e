"""build-backend names a module that does not exist"""

__version__ = "1.0"
