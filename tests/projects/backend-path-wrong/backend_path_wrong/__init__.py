"""backend-path points at a folder without the in-tree backend"""

__version__ = "1.0"
