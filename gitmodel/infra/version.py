"""gitmodel's version, here at the bottom layer so that what is stamped with it (the caches under .git/gitmodel)
can read it; `gitmodel.__version__` is this."""

__version__ = "0.1.0"  # pyproject.toml's [project] version: bump both
