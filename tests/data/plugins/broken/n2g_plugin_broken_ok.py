"""A module that imports, but names no plug-in: NAME is not a corpus factory."""

NAME = "not a corpus factory"
