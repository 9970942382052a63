"""gitmodel.model.records: the dataclass-like base of the hook path's records behaves as dataclasses would."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gitmodel.infra.errors import InvalidInput
from gitmodel.model.config import Config
from gitmodel.model.manifest import FileEntry, Manifest
from gitmodel.model.records import FrozenInstanceError, Record, field, fields, replace
from gitmodel.model.semver import Version


class Point(Record, frozen=True):
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


class Box(Record):
    items: list[int] = field(default_factory=list)
    label: str = "box"


def test_positional_keyword_and_defaults() -> None:
    assert Point(1).y == 0
    assert Point(1, 2).y == 2
    assert Point(y=5, x=1) == Point(1, 5)
    assert Point(1).tags == []
    assert Point(1).tags is not Point(1).tags
    assert fields(Point) == ("x", "y", "tags") == fields(Point(1))
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[])"


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing required argument: 'x'"),
    ((1, 2, [], 4), {}, "takes 3 positional arguments but 4 were given"),
    ((1,), {"x": 2}, "got multiple values for argument 'x'"),
    ((1,), {"z": 3}, "unexpected keyword argument 'z'"),
    ((), {"x": 1, "y": 2, "tags": [], "z": 3}, "unexpected keyword argument 'z'"),
])
def test_bad_construction_raises_type_error(args: tuple, kwargs: dict, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_frozen_refuses_assignment_and_hashes_by_value() -> None:
    p = Point(1, 2)
    with pytest.raises(FrozenInstanceError):
        p.x = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y  # type: ignore[misc]
    assert p.x == 1
    assert hash(Point(1, 2, ("a",))) == hash(Point(1, 2, ("a",)))  # type: ignore[arg-type]
    assert len({Point(1, 2, ()), Point(1, 2, ())}) == 1  # type: ignore[arg-type]


def test_mutable_records_assign_and_are_unhashable_like_dataclasses() -> None:
    box = Box()
    box.items.append(1)
    box.label = "crate"
    assert box == Box([1], "crate")
    assert box != Box()
    with pytest.raises(TypeError):
        hash(box)
    assert Box() != Point(1)  # different classes never compare equal


def test_replace_builds_through_init_again() -> None:
    p = Point(1, 2, ["a"])
    q = replace(p, y=9)
    assert (q.x, q.y, q.tags) == (1, 9, ["a"])
    assert p.y == 2
    with pytest.raises(TypeError, match="unexpected keyword argument 'w'"):
        replace(p, w=1)
    # __post_init__ runs again: a Version cannot be replaced into an invalid one
    with pytest.raises(InvalidInput, match="non-negative integer"):
        replace(Version(1, 0, 0), minor=-1)


def test_own_dunder_methods_win() -> None:
    # Version compares by SemVer precedence, not by fields: build metadata is ignored
    assert Version(1, 0, 0, (), ("a",)) == Version(1, 0, 0, (), ("b",))
    assert hash(Version(1, 0, 0, (), ("a",))) == hash(Version(1, 0, 0))


def test_non_default_after_default_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="non-default field 'b' follows default field 'a'"):
        class Bad(Record):
            a: int = 1
            b: int


def test_factory_defaults_are_not_class_attributes() -> None:
    assert "gates" not in Config.__dict__
    assert Config().gates == {}
    assert Config().gates is not Config().gates
    assert Config().manifests == "models"


def test_manifest_records_round_trip_through_pickle_and_equality() -> None:
    entry = FileEntry("w.bin", "a" * 64, 3, "git")
    m = Manifest("sentiment", "1.0.0", weights=(entry,))
    assert pickle.loads(pickle.dumps(m)) == m
    assert replace(m, version="1.1.0").with_version("1.0.0") == m
    assert m.with_version("2.0.0") != m


# ------------------------------------------------------------------- differential: against dataclasses

_values = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none(), st.tuples(st.integers(0, 2)))


@dataclasses.dataclass(frozen=True)
class _DataPoint:
    x: object
    y: object = 0
    z: object = "z"


class _RecordPoint(Record, frozen=True):
    x: object
    y: object = 0
    z: object = "z"


def _both(args: tuple, kwargs: dict) -> tuple[object, object]:
    return _DataPoint(*args, **kwargs), _RecordPoint(*args, **kwargs)


@given(a=st.tuples(_values, _values, _values), b=st.tuples(_values, _values, _values),
       cut=st.integers(1, 3), change=_values)
def test_records_agree_with_dataclasses(a: tuple, b: tuple, cut: int, change: object) -> None:
    """Equality, hashing, repr and replace give what the same class as a frozen dataclass gives."""
    names = ("x", "y", "z")
    kwargs = dict(zip(names[cut:], a[cut:], strict=True))
    da, ra = _both(a[:cut], kwargs)
    db, rb = _both(b, {})
    assert (da == db) == (ra == rb)
    assert hash(ra) == hash(da)  # both hash the tuple of field values
    assert repr(ra) == repr(da).replace("_DataPoint", "_RecordPoint")
    moved_d, moved_r = dataclasses.replace(da, y=change), replace(ra, y=change)
    assert repr(moved_r) == repr(moved_d).replace("_DataPoint", "_RecordPoint")
    assert dataclasses.astuple(moved_d) == tuple(getattr(moved_r, name) for name in fields(moved_r))


def test_the_layers_below_storage_define_records_not_dataclasses() -> None:
    """The rule in gitmodel/model/records.py: model/ and repo/ use Record, so the hook can import any of them."""
    import ast
    from pathlib import Path

    import gitmodel

    package = Path(gitmodel.__file__).parent
    offenders = []
    for path in sorted([*(package / "model").glob("*.py"), *(package / "repo").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "dataclasses" or (
                    isinstance(node, ast.Import) and any(a.name == "dataclasses" for a in node.names)):
                offenders.append(path.relative_to(package).as_posix())
    assert offenders == []
    assert len(list((package / "repo").glob("*.py"))) > 5  # the scan found the package
