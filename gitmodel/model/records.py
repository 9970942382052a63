"""Value records for the modules the pre-commit hook imports: dataclass-like, and free to define.

`@dataclass` builds every class by generating and exec-ing the source of its methods, and importing
`dataclasses` pulls in `inspect` (with `ast`, `dis`, `tokenize`). On this project's 2-core machines that
came to ~20 ms of a ~90 ms hook run for the 16 records the check defines, paid on every `git commit`
(README, "Design notes"). A `Record` subclass reads its fields from its annotations once, at class
creation, and shares one generic `__init__`, `__repr__`, `__eq__` and `__hash__`: no code generation.

What it keeps from dataclasses: positional or keyword construction in annotation order, defaults,
`field(default_factory=...)`, `frozen=True` (assignment raises, instances hash by their fields; mutable
records are unhashable, as with `eq=True`), a class's own `__eq__`/`__hash__`/`__repr__` win,
`__post_init__`, `replace()` (which runs `__init__` and `__post_init__` again) and `fields()`. mypy
type-checks construction through `dataclass_transform` (PEP 681). What it leaves out: ordering,
`asdict`, `InitVar`, `__slots__`, keyword-only fields.

The rule (one object model per layer, so a newcomer need not ask):
- `Record` for every value class in gitmodel/model/ and gitmodel/repo/ (all of them: any module there may
  join the commit hook's path tomorrow), and in the few modules above that the pre-commit hook imports
  (gitmodel/gate/check.py, gitmodel/storage/dvc_pointers.py). tests/infra/test_records.py asserts model/ and
  repo/ never import dataclasses; tests/gate/test_hooks.py asserts a hook run that checks a model never does.
- `@dataclass` everywhere above (storage, registry, review, context, workspace, gate's install and pre-push):
  those commands import Typer or DVC anyway, and some use what Record leaves out (`asdict`).
Converting the ~60 dataclasses above would buy no millisecond and lose `asdict`; converting the records to
dataclasses would cost the hook its ~20 ms back.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~4 ms to import; the name alone makes mypy read the block below
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, ClassVar, TypeVar, dataclass_transform

    _T = TypeVar("_T")
    _R = TypeVar("_R", bound="Record")
else:
    def dataclass_transform(**_: object) -> object:
        return lambda cls: cls


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record (dataclasses' exception of the same name)."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], _T]) -> _T:
    """A default made fresh for each instance (`field(default_factory=list)`), as in dataclasses."""
    return _Factory(default_factory)  # type: ignore[return-value]  # stands in for a _T until __init__


_MISSING = object()


@dataclass_transform(field_specifiers=(field,))
class Record:
    """Base of a value record: annotate the fields in the class body; `class X(Record, frozen=True)`."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, object] = {}
    _frozen: bool = False
    _post_init: ClassVar[Callable[[Any], None] | None] = None

    def __init_subclass__(cls, *, frozen: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [name for name, kind in cls.__dict__.get("__annotations__", {}).items()
               if not (isinstance(kind, str) and kind.startswith(("ClassVar", "typing.ClassVar")))]
        defaults = dict(cls._defaults)
        names = [*cls._fields, *(n for n in own if n not in cls._fields)]
        for name in own:
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
                if isinstance(defaults[name], _Factory):
                    delattr(cls, name)  # as dataclasses: the class attribute is not a shared default
        seen_default = ""
        for name in names:
            if name in defaults:
                seen_default = name
            elif seen_default:
                raise TypeError(f"{cls.__name__}: non-default field {name!r} follows default field {seen_default!r}")
        cls._fields, cls._defaults, cls._frozen = tuple(names), defaults, frozen or cls._frozen
        cls._post_init = getattr(cls, "__post_init__", None)  # looked up once, not per instance
        if cls._frozen:
            cls.__setattr__ = _refuse_set  # type: ignore[method-assign,assignment]
            cls.__delattr__ = _refuse_del  # type: ignore[method-assign,assignment]
        elif "__hash__" not in cls.__dict__:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable

    def __init__(self, *args: object, **kwargs: object) -> None:
        cls = type(self)
        names = cls._fields
        if not kwargs and len(args) == len(names):  # the common call: every field, in order
            self.__dict__.update(zip(names, args, strict=True))
        else:
            self.__dict__.update(self._bind(args, kwargs))
        if cls._post_init is not None:
            cls._post_init(self)

    @classmethod
    def _bind(cls, args: tuple[object, ...], kwargs: dict[str, object]) -> dict[str, object]:
        """Field name → value for a call with keywords or defaults, with dataclasses' TypeErrors."""
        names = cls._fields
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__}() takes {len(names)} positional arguments but {len(args)} were given")
        values = dict(zip(names, args, strict=False))  # fewer args than fields: the rest by keyword or default
        for key, value in kwargs.items():
            if key in values:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}")
            values[key] = value
        for name in names:
            if name not in values:
                default = cls._defaults.get(name, _MISSING)
                if default is _MISSING:
                    raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
                values[name] = default.make() if isinstance(default, _Factory) else default
        if len(values) != len(names):
            unknown = next(key for key in values if key not in names)
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {unknown!r}")
        return values

    def _values(self) -> tuple[object, ...]:
        state = self.__dict__
        return tuple(state[name] for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields, self._values(), strict=True))
        return f"{type(self).__qualname__}({inner})"


def _refuse_set(self: Record, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")


def _refuse_del(self: Record, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")


def replace(record: _R, **changes: object) -> _R:
    """A copy of `record` with `changes` (dataclasses.replace): built through `__init__` again."""
    values = dict(zip(record._fields, record._values(), strict=True))
    values.update(changes)
    return type(record)(**values)


def fields(record: Record | type[Record]) -> tuple[str, ...]:
    """The field names, in order."""
    return record._fields
