"""Semantic Versioning 2.0.0: strict parsing, precedence, bumps and the bump-level checks."""

from __future__ import annotations

import re
from enum import IntEnum

from gitmodel.infra.errors import InvalidInput
from gitmodel.model.records import Record

MAX_LENGTH = 256

# The regex published with SemVer 2.0.0 (semver.org, FAQ), with `\d` spelled `[0-9]` so that non-ASCII
# digits such as "١" are rejected; it is used with fullmatch because `$` would also accept a trailing "\n".
_NUMBER = r"0|[1-9][0-9]*"
_PRE_ID = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
_BUILD_ID = r"[0-9a-zA-Z-]+"
_SEMVER = re.compile(
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<prerelease>{_PRE_ID}(?:\.{_PRE_ID})*))?"
    rf"(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?"
)
_PRE_ID_RE = re.compile(_PRE_ID)
_BUILD_ID_RE = re.compile(_BUILD_ID)
_HINT = "use MAJOR.MINOR.PATCH, e.g. 1.2.0"


class Level(IntEnum):
    """How big a change is; ordered so that the highest required level wins with max()."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @classmethod
    def parse(cls, text: object, *, where: str | None = None) -> Level:
        """The level named by `text` ("none", "patch", "minor" or "major", any case)."""
        # isascii: "mınor".upper() is "MINOR" (dotless i), and a typo like that should not pass.
        if isinstance(text, str) and text.isascii():
            level = cls.__members__.get(text.upper())
            if level is not None:
                return level
        raise InvalidInput(f"not a bump level: {text!r}", where=where, hint="use one of none, patch, minor, major")

    def __str__(self) -> str:
        return self.name.lower()

    # IntEnum formats as its int in f-strings (3.11 routes __format__ to int); keep f"{level}" == str(level).
    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _identifier_key(identifier: str) -> tuple[int, int, str]:
    # SemVer §11.4: numeric identifiers compare numerically and sort below alphanumeric ones.
    if identifier.isdigit():
        return (0, int(identifier), "")
    return (1, 0, identifier)


class Version(Record, frozen=True):
    """A semantic version; compares, and is equal and hashes, by SemVer precedence (build ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for field in ("major", "minor", "patch"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InvalidInput(f"version {field} must be a non-negative integer, got {value!r}", hint=_HINT)
        for field, pattern in (("prerelease", _PRE_ID_RE), ("build", _BUILD_ID_RE)):
            identifiers = getattr(self, field)
            if not isinstance(identifiers, tuple) or not all(
                isinstance(i, str) and pattern.fullmatch(i) for i in identifiers
            ):
                raise InvalidInput(f"invalid {field} identifiers in version: {identifiers!r}", hint=_HINT)

    @property
    def core(self) -> tuple[int, int, int]:
        """(major, minor, patch)."""
        return (self.major, self.minor, self.patch)

    @property
    def is_prerelease(self) -> bool:
        """True for versions such as 1.0.0-rc.1."""
        return bool(self.prerelease)

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # A release sorts above all of its pre-releases (§11.3); shorter pre-release sets sort first when
        # all preceding identifiers are equal (§11.4.4), which is plain tuple comparison.
        return (*self.core, 0 if self.prerelease else 1, tuple(_identifier_key(i) for i in self.prerelease))

    # Equality and hashing follow precedence, not field identity: SemVer §10 says build metadata MUST be
    # ignored when determining precedence, so 1.0.0+a and 1.0.0+b are neither < nor > each other. Were
    # they unequal too, sorting and max() would not be a total order, and a set of versions could hold
    # the "same" release twice. Compare str(v) when the build metadata matters.
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() >= other._key()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    def bump(self, level: Level) -> Version:
        """The next version at `level`; a pre-release first becomes the release it precedes (as npm's inc)."""
        major, minor, patch = self.core
        pre = bool(self.prerelease)
        if level is Level.MAJOR:
            # 2.0.0-rc.1 -> 2.0.0 already is a major step from 1.x; 2.1.0-rc.1 -> 3.0.0.
            return Version(major, 0, 0) if pre and minor == 0 and patch == 0 else Version(major + 1, 0, 0)
        if level is Level.MINOR:
            return Version(major, minor, 0) if pre and patch == 0 else Version(major, minor + 1, 0)
        if level is Level.PATCH:
            return Version(major, minor, patch) if pre else Version(major, minor, patch + 1)
        return Version(major, minor, patch, self.prerelease)


def parse(text: object, *, where: str | None = None) -> Version:
    """Parse a strict SemVer 2.0.0 string (no `v` prefix, no whitespace)."""
    if not isinstance(text, str):
        # YAML turns an unquoted `version: 1.2` into a float; say so rather than show "1.2".
        raise InvalidInput(
            f"not a semantic version: {text!r} is a {type(text).__name__}, not a string",
            where=where,
            hint='write it as a quoted string, e.g. version: "1.2.0"',
        )
    if len(text) > MAX_LENGTH:
        raise InvalidInput(
            f"not a semantic version: {len(text)} characters long (at most {MAX_LENGTH})", where=where, hint=_HINT
        )
    match = _SEMVER.fullmatch(text)
    if match is None:
        if text[:1] in ("v", "V") and _SEMVER.fullmatch(text[1:]):
            raise InvalidInput(
                f"not a semantic version: {text!r}: the `v` prefix belongs only in tag names (name@v{text[1:]})",
                where=where,
                hint=f"write {text[1:]}",
            )
        if text != text.strip() and _SEMVER.fullmatch(text.strip()):
            raise InvalidInput(
                f"not a semantic version: {text!r} has surrounding whitespace", where=where,
                hint=f"write {text.strip()}",
            )
        raise InvalidInput(f"not a semantic version: {text!r}", where=where, hint=_HINT)
    prerelease = match["prerelease"]
    build = match["build"]
    return Version(
        int(match["major"]),
        int(match["minor"]),
        int(match["patch"]),
        tuple(prerelease.split(".")) if prerelease else (),
        tuple(build.split(".")) if build else (),
    )


def meets(new: Version, old: Version, level: Level) -> bool:
    """True iff `new` is above `old` by at least `level` (0.1.0 -> 0.2.0-rc.1 counts as a minor bump)."""
    return new > old and new.core >= old.bump(level).core


def difference(old: Version, new: Version) -> Level:
    """The highest level whose number differs between the two versions' cores."""
    if old.major != new.major:
        return Level.MAJOR
    if old.minor != new.minor:
        return Level.MINOR
    if old.patch != new.patch:
        return Level.PATCH
    return Level.NONE
