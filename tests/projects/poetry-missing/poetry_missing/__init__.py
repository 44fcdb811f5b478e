"""build backend poetry.core.masonry.api is not in requires"""

__version__ = "1.0"
