"""gitmodel/infra/lazy_re.py: a LazyPattern answers as the compiled pattern does, and compiles only when used."""

from __future__ import annotations

import re
import subprocess
import sys

from gitmodel.infra.lazy_re import LazyPattern


def test_a_lazy_pattern_answers_as_re_compile_does() -> None:
    text = r"^(?P<name>[^@#]+)@v(?P<version>[^@#!]+)$"
    lazy, compiled = LazyPattern(text), re.compile(text)
    for tag in ("sentiment@v1.2.0", "team/ranker@v0.1.0-rc.1", "sentiment#prod", "", "a@v1@v2"):
        got, want = lazy.match(tag), compiled.match(tag)
        assert (got and got.groupdict()) == (want and want.groupdict())
    assert lazy.fullmatch("x@v1") is not None
    assert lazy.search("nothing here") is None
    assert LazyPattern(b"^md5: (?P<md5>[0-9a-f]{32})$", re.M).search(b"x\nmd5: " + b"a" * 32).group("md5") == b"a" * 32


def test_importing_the_tag_and_config_modules_compiles_none_of_their_patterns() -> None:
    """What the commit hook gains: nothing compiled at import (counted in a fresh process)."""
    probe = ("import re._compiler as c\ncount = [0]\nreal = c.compile\n"
             "def counting(*a, **k):\n    count[0] += 1\n    return real(*a, **k)\nc.compile = counting\n"
             "import gitmodel.repo.tags, gitmodel.model.config, gitmodel.model.units\nbefore = count[0]\n"
             "from gitmodel.repo.tags import parse_tag_name\nparse_tag_name('sentiment@v1.0.0')\n"
             "print(before, count[0] - before)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    compiled_at_import, compiled_on_use = int(out[0]), int(out[1])
    assert compiled_on_use >= 1  # the tag patterns, now that one was used
    # only patterns of modules these import that are used on every path (semver, names, pointers, json) remain
    assert compiled_at_import <= 6, compiled_at_import  # 14 before: 9 of them were the tag, gate and role patterns
