"""a build requirement that does not exist"""

__version__ = "1.0"
