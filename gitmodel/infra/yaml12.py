"""YAML as check-jsonschema, editors and DVC read it: the YAML 1.2 core schema, on PyYAML's C parser.

PyYAML resolves plain scalars by YAML 1.1: `yes`, `no`, `on`, `off` are booleans, `017` is octal 15,
`1:20` is sexagesimal 80, `2024-01-02` is a date, while `0o17` and `1e3` stay strings. check-jsonschema
(ruamel.yaml), the YAML language server and DVC read the same text as YAML 1.2, so a manifest meant one
thing to gitmodel and another to every other tool. gitmodel reads YAML 1.2 too, exactly as
check-jsonschema does (tests/model/test_schema_truth.py holds the two together):

- plain scalars resolve by ruamel.yaml's 1.2 rules (its extensions included: `0b101`, `1_000`);
- timestamps stay strings (check-jsonschema loads them as strings: JSON has no dates);
- a key given twice in one mapping is refused (a merge-conflict leftover, and ruamel refuses it);
- non-string keys become strings with str(), as check-jsonschema normalises them before validating;
- tags for data JSON cannot hold (`!!binary`, `!!set`, `!!omap`, `!!pairs`) are refused.

The dumper quotes every string that YAML 1.1 or 1.2 would read as something else, so what gitmodel
writes reads back the same in both (an old PyYAML-based reader included).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False  # the name alone is enough for mypy; importing typing costs the hook ~4 ms
if TYPE_CHECKING:
    from typing import Any

_TAG = "tag:yaml.org,2002:"
# ruamel.yaml's YAML 1.2 implicit resolvers (ruamel/yaml/resolver.py), in its order; timestamps are left
# out on purpose (they stay strings).
_RESOLVERS_12 = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("float", r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""", "-+0123456789."),
    ("int", r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$""", "-+0123456789"),
    ("merge", r"^(?:<<)$", "<"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("value", r"^(?:=)$", "="),
)
_KEPT_TAGS = ("null", "bool", "int", "float", "str", "seq", "map")
# `%YAML 1.1` switches ruamel (so check-jsonschema) back to 1.1 resolution; gitmodel reads 1.2 only
_OTHER_VERSION = re.compile(r"^%YAML[ \t]+(?!1\.2[ \t]*(?:#.*)?$)", re.M)


def version_problem(text: str) -> str | None:
    """Why the document's %YAML directive is not read here, or None (no directive, or %YAML 1.2)."""
    if "%YAML" in text and _OTHER_VERSION.search(text):
        return "a %YAML directive other than 1.2: gitmodel reads YAML 1.2 (remove the line)"
    return None


def _add_resolvers(cls: Any, table: tuple[tuple[str, str, Any], ...]) -> None:
    for tag, pattern, first in table:
        cls.add_implicit_resolver(_TAG + tag, re.compile(pattern, re.X), list(first))


def core_loader(yaml: Any, base: Any) -> Any:
    """A subclass of PyYAML loader `base` that reads the YAML 1.2 core schema as check-jsonschema does."""

    class CoreLoader(base):  # type: ignore[misc,valid-type]
        yaml_implicit_resolvers: dict[Any, Any] = {}
        yaml_constructors = {key: value for key, value in base.yaml_constructors.items()
                             if key is None or key in {_TAG + t for t in _KEPT_TAGS}}

        def construct_yaml_int(self, node: Any) -> int:
            # ruamel's 1.2 reading: a leading 0 is decimal, 0o/0x/0b prefixes, `_` ignored
            text = str(self.construct_scalar(node)).replace("_", "")
            sign = -1 if text.startswith("-") else 1
            digits = text[1:] if text.startswith(("-", "+")) else text
            base_of = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2])
            try:
                return sign * (int(digits[2:], base_of) if base_of else int(digits))
            except ValueError:
                problem = (f"an integer of {len(digits)} digits is more than this reader takes (4300)"
                           if len(digits) > 4300 else f"{text!r} is not an integer")
                raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None

        def construct_yaml_float(self, node: Any) -> float:
            text = str(self.construct_scalar(node)).replace("_", "").lower()
            sign = -1.0 if text.startswith("-") else 1.0
            digits = text[1:] if text.startswith(("-", "+")) else text
            if digits == ".nan":
                return float("nan")
            try:
                return sign * float("inf" if digits == ".inf" else digits)
            except ValueError:
                raise yaml.constructor.ConstructorError(None, None, f"{text!r} is not a number",
                                                        node.start_mark) from None

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            if isinstance(node, yaml.MappingNode):
                seen: set[Any] = set()
                for key_node, _ in node.value:
                    merge = key_node.tag == _TAG + "merge"  # `<<` twice is a repeated key too (ruamel)
                    key = "<<" if merge else self.construct_object(key_node, deep=True)
                    try:
                        repeated = (merge, key) in seen if merge else key in seen
                        seen.add((merge, key) if merge else key)
                    except TypeError:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            "a key that is a list or mapping (JSON keys are strings)", key_node.start_mark) from None
                    if repeated:
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            f"key {key!r} is given twice (a merge-conflict leftover?)", key_node.start_mark)
            mapping = super().construct_mapping(node, deep=deep)
            if all(isinstance(key, str) for key in mapping):
                return dict(mapping)
            return {key if isinstance(key, str) else str(key): value for key, value in mapping.items()}

    _add_resolvers(CoreLoader, _RESOLVERS_12)
    CoreLoader.add_constructor(_TAG + "int", CoreLoader.construct_yaml_int)
    CoreLoader.add_constructor(_TAG + "float", CoreLoader.construct_yaml_float)
    CoreLoader.add_constructor(_TAG + "timestamp", base.yaml_constructors[_TAG + "str"])
    return CoreLoader


def core_dumper(yaml: Any, base: Any) -> Any:
    """A subclass of PyYAML dumper `base` that quotes strings YAML 1.1 or 1.2 would read as non-strings."""

    class CoreDumper(base):  # type: ignore[misc,valid-type]
        # PyYAML's own (1.1) resolvers plus the 1.2 ones: a string either would read otherwise is quoted
        yaml_implicit_resolvers = {key: list(value) for key, value in base.yaml_implicit_resolvers.items()}

    _add_resolvers(CoreDumper, _RESOLVERS_12)
    return CoreDumper
