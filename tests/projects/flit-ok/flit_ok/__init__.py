"""a sound flit_core project"""

__version__ = "1.0"
