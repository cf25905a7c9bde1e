"""Data files shipped with the package (common-password list, fonts), read with importlib.resources."""
