"""SemVer 2.0.0 parsing, precedence, bumps and the bump-level checks."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gitmodel.infra.errors import InvalidInput
from gitmodel.model import semver
from gitmodel.model.semver import Level, Version, difference, meets, parse

# --- parsing -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.0.0", Version(0, 0, 0)),
        ("1.2.3", Version(1, 2, 3)),
        ("10.20.30", Version(10, 20, 30)),
        ("1.0.0-alpha", Version(1, 0, 0, ("alpha",))),
        ("1.0.0-0.3.7", Version(1, 0, 0, ("0", "3", "7"))),
        ("1.0.0-x.7.z.92", Version(1, 0, 0, ("x", "7", "z", "92"))),
        ("1.0.0-x-y-z.--", Version(1, 0, 0, ("x-y-z", "--"))),
        ("1.0.0-0a", Version(1, 0, 0, ("0a",))),
        ("1.0.0+20130313144700", Version(1, 0, 0, (), ("20130313144700",))),
        ("1.0.0-beta+exp.sha.5114f85", Version(1, 0, 0, ("beta",), ("exp", "sha", "5114f85"))),
        ("1.0.0+21AF26D3----117B344092BD", Version(1, 0, 0, (), ("21AF26D3----117B344092BD",))),
        ("1.0.0+001", Version(1, 0, 0, (), ("001",))),
    ],
)
def test_parse_valid(text: str, expected: Version) -> None:
    version = parse(text)
    assert (version.core, version.prerelease, version.build) == (expected.core, expected.prerelease, expected.build)
    assert str(version) == text


@pytest.mark.parametrize(
    "text",
    [
        "01.0.0",
        "1.01.0",
        "1.0.01",
        "1.0",
        "1",
        "v1.0.0",
        "V1.0.0",
        "1.0.0-01",
        "1.0.0-alpha.01",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-+build",
        " 1.0.0",
        "1.0.0 ",
        "1.0.0\n",
        "a.b.c",
        "1.0.0-a..b",
        "1.0.0+a..b",
        "1.0.0-a.",
        "1.0.0-ä",
        "1.0.0+ä",
        "١.0.0",
        "1.0.0.0",
        "-1.0.0",
        "",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a semantic version") as caught:
        parse(text, where="models/x.yaml: version")
    assert caught.value.where == "models/x.yaml: version"
    assert caught.value.hint


def test_v_prefix_message_points_at_tags() -> None:
    with pytest.raises(InvalidInput, match="only in tag names") as caught:
        parse("v1.2.0")
    assert caught.value.hint == "write 1.2.0"


def test_whitespace_message_names_the_fix() -> None:
    with pytest.raises(InvalidInput, match="whitespace") as caught:
        parse("1.2.0\n")
    assert caught.value.hint == "write 1.2.0"


@pytest.mark.parametrize("value", [1.2, 1, None, b"1.0.0", ["1", "0", "0"]])
def test_parse_rejects_non_strings(value: object) -> None:
    with pytest.raises(InvalidInput, match="not a string"):
        parse(value)


def test_parse_rejects_absurd_length() -> None:
    text = "1.0.0-" + ".".join(["a"] * 200)
    assert len(text) > semver.MAX_LENGTH
    with pytest.raises(InvalidInput, match="characters long"):
        parse(text)


def test_parse_accepts_maximum_length() -> None:
    text = "1.0.0-" + "a" * (semver.MAX_LENGTH - 6)
    assert len(text) == semver.MAX_LENGTH
    assert str(parse(text)) == text


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"major": -1, "minor": 0, "patch": 0}, "major"),
        ({"major": 1, "minor": True, "patch": 0}, "minor"),
        ({"major": 1, "minor": 0, "patch": "0"}, "patch"),
        ({"major": 1, "minor": 0, "patch": 0, "prerelease": ("01",)}, "prerelease"),
        ({"major": 1, "minor": 0, "patch": 0, "prerelease": ("",)}, "prerelease"),
        ({"major": 1, "minor": 0, "patch": 0, "prerelease": ["rc"]}, "prerelease"),
        ({"major": 1, "minor": 0, "patch": 0, "build": ("a+b",)}, "build"),
    ],
)
def test_constructor_validates(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput, match=field):
        Version(**kwargs)  # type: ignore[arg-type]


# --- precedence ----------------------------------------------------------------------------------------

SPEC_CHAIN = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0-0",
    "2.0.0",
]


def test_spec_precedence_chain() -> None:
    versions = [parse(text) for text in SPEC_CHAIN]
    for lower, higher in zip(versions, versions[1:], strict=False):
        assert lower < higher
        assert lower <= higher
        assert higher > lower
        assert higher >= lower
        assert lower != higher
    shuffled = versions[1::2] + versions[::2]
    assert [str(v) for v in sorted(shuffled)] == SPEC_CHAIN


def test_build_metadata_ignored_for_precedence_and_equality() -> None:
    a, b, plain = parse("1.0.0+a"), parse("1.0.0+b"), parse("1.0.0")
    assert a == b == plain
    assert not a < b
    assert not b < a
    assert len({a, b, plain}) == 1
    assert hash(a) == hash(b)
    assert str(a) != str(b)


def test_numeric_identifiers_compare_numerically() -> None:
    assert parse("1.0.0-2") < parse("1.0.0-10")
    assert parse("1.0.0-10") < parse("1.0.0-a")
    assert parse("1.0.0-9") < parse("1.0.0-1a")  # "1a" is alphanumeric, so above every number


def test_comparison_with_other_types() -> None:
    assert parse("1.0.0") != "1.0.0"
    with pytest.raises(TypeError):
        _ = parse("1.0.0") < "1.0.0"  # type: ignore[operator]


# --- levels --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "level"),
    [("none", Level.NONE), ("patch", Level.PATCH), ("Minor", Level.MINOR), ("MAJOR", Level.MAJOR)],
)
def test_level_parse(text: str, level: Level) -> None:
    assert Level.parse(text) is level
    assert str(level) == text.lower()
    assert f"{level}" == text.lower()


@pytest.mark.parametrize("text", ["", "minr", " minor", "mınor", "3", 3, None])
def test_level_parse_rejects(text: object) -> None:
    with pytest.raises(InvalidInput, match="not a bump level"):
        Level.parse(text)


def test_levels_are_ordered() -> None:
    assert Level.NONE < Level.PATCH < Level.MINOR < Level.MAJOR
    assert max([Level.PATCH, Level.MAJOR, Level.MINOR]) is Level.MAJOR


# --- bump ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "level", "new"),
    [
        ("1.2.3", Level.MAJOR, "2.0.0"),
        ("1.2.3", Level.MINOR, "1.3.0"),
        ("1.2.3", Level.PATCH, "1.2.4"),
        ("1.2.3", Level.NONE, "1.2.3"),
        ("1.2.3+build.1", Level.NONE, "1.2.3"),
        ("1.2.3+build.1", Level.PATCH, "1.2.4"),
        ("0.1.0", Level.MINOR, "0.2.0"),
        ("1.0.0-rc.1", Level.PATCH, "1.0.0"),
        ("1.0.0-rc.1", Level.MINOR, "1.0.0"),
        ("1.0.0-rc.1", Level.MAJOR, "1.0.0"),
        ("1.1.0-rc.1", Level.MINOR, "1.1.0"),
        ("1.1.0-rc.1", Level.PATCH, "1.1.0"),
        ("1.1.0-rc.1", Level.MAJOR, "2.0.0"),
        ("1.1.1-rc.1", Level.MINOR, "1.2.0"),
        ("1.1.1-rc.1", Level.PATCH, "1.1.1"),
        ("1.1.1-rc.1", Level.NONE, "1.1.1-rc.1"),
    ],
)
def test_bump(old: str, level: Level, new: str) -> None:
    assert str(parse(old).bump(level)) == new


# --- meets / difference --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "level", "expected"),
    [
        ("0.1.0", "0.2.0", Level.MINOR, True),
        ("0.1.0", "0.2.0-rc.1", Level.MINOR, True),
        ("0.1.0", "0.1.1", Level.MINOR, False),
        ("0.1.0", "0.1.1", Level.PATCH, True),
        ("0.1.0", "0.1.1-rc.1", Level.PATCH, True),
        ("0.1.0", "0.1.0+build", Level.NONE, False),
        ("0.1.0", "0.1.0", Level.NONE, False),
        ("0.1.0", "0.1.0", Level.PATCH, False),
        ("0.1.0", "0.0.9", Level.NONE, False),
        ("0.1.0", "0.1.1", Level.NONE, True),
        ("0.1.0", "1.0.0", Level.MAJOR, True),
        ("0.1.0", "0.9.0", Level.MAJOR, False),
        ("0.1.0", "1.0.0-alpha", Level.MAJOR, True),
        ("1.0.0-rc.1", "1.0.0", Level.PATCH, True),
        ("1.0.0-rc.1", "1.0.0", Level.MAJOR, True),
        ("1.0.0-rc.1", "1.0.0-rc.2", Level.NONE, True),
        ("1.0.0-rc.2", "1.0.0-rc.1", Level.NONE, False),
        ("1.2.3", "2.0.0", Level.PATCH, True),
    ],
)
def test_meets(old: str, new: str, level: Level, expected: bool) -> None:
    assert meets(parse(new), parse(old), level) is expected


@pytest.mark.parametrize(
    ("old", "new", "level"),
    [
        ("1.2.3", "2.0.0", Level.MAJOR),
        ("1.2.3", "0.2.3", Level.MAJOR),
        ("1.2.3", "1.3.0", Level.MINOR),
        ("1.2.3", "1.2.4", Level.PATCH),
        ("1.2.3", "1.2.3-rc.1", Level.NONE),
        ("1.2.3+a", "1.2.3+b", Level.NONE),
    ],
)
def test_difference(old: str, new: str, level: Level) -> None:
    assert difference(parse(old), parse(new)) is level


# --- properties ----------------------------------------------------------------------------------------

_numbers = st.integers(min_value=0, max_value=10**12)
_alnum = st.text(alphabet="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-", min_size=1,
                 max_size=8)
_prerelease_id = st.one_of(_numbers.map(str), _alnum.filter(lambda s: not s.isdigit()))
_build_id = _alnum
versions = st.builds(
    Version,
    _numbers,
    _numbers,
    _numbers,
    st.lists(_prerelease_id, max_size=4).map(tuple),
    st.lists(_build_id, max_size=3).map(tuple),
)
small_versions = st.builds(
    Version,
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 2),
    st.lists(st.one_of(st.sampled_from(["0", "1", "2", "10"]), st.sampled_from(["a", "b", "rc", "1a"])),
             max_size=3).map(tuple),
    st.lists(st.sampled_from(["x", "y"]), max_size=1).map(tuple),
)


@given(versions)
def test_roundtrip(version: Version) -> None:
    text = str(version)
    again = parse(text)
    assert str(again) == text
    assert (again.core, again.prerelease, again.build) == (version.core, version.prerelease, version.build)


@given(small_versions, small_versions, small_versions)
def test_total_order(a: Version, b: Version, c: Version) -> None:
    # Exactly one of <, ==, > holds, the operators agree, and the order is transitive.
    assert [a < b, a == b, a > b].count(True) == 1
    assert (a <= b) == (a < b or a == b)
    assert (a >= b) == (a > b or a == b)
    if a == b:
        assert hash(a) == hash(b)
    if a <= b and b <= c:
        assert a <= c


def _reference_key(version: Version) -> tuple[object, ...]:
    # An independent statement of §11 to sort by: releases above pre-releases, numbers below words.
    ids = tuple((0, int(i), "") if i.isdigit() else (1, 0, i) for i in version.prerelease)
    return (version.major, version.minor, version.patch, not version.prerelease, ids)


@given(st.lists(small_versions, max_size=12))
def test_order_consistent_with_tuple_sort(items: list[Version]) -> None:
    assert [_reference_key(v) for v in sorted(items)] == sorted(_reference_key(v) for v in items)


@given(small_versions, small_versions)
def test_bump_and_meets_agree(old: Version, new: Version) -> None:
    for level in Level:
        bumped = old.bump(level)
        assert bumped.build == ()
        if level is not Level.NONE:
            assert bumped > old
            assert meets(bumped, old, level)
        if meets(new, old, level):
            assert new > old
            assert difference(old, new) >= level or old.is_prerelease


@given(st.text(max_size=40))
def test_parse_arbitrary_text_is_version_or_invalid_input(text: str) -> None:
    try:
        version = parse(text)
    except InvalidInput:
        return
    assert str(version) == text


@given(st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(-[0-9a-z.-]{0,6})?(\+[0-9a-z.-]{0,6})?", fullmatch=True))
def test_parse_near_misses_are_version_or_invalid_input(text: str) -> None:
    assume(text)
    try:
        version = parse(text)
    except InvalidInput:
        return
    assert str(version) == text
