"""storage/: the backends (git, DVC, LFS) through their protocol, push/pull/checkout/verify, get and resolve()."""
