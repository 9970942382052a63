"""Sample readers, CSV coercion and input validation (gitmodel/context/samples.py, sample_coerce.py)."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import validators

from gitmodel.context import samples
from gitmodel.context.sample_accept import fast_acceptor
from gitmodel.context.sample_coerce import coerce_csv_record
from gitmodel.context.samples import (
    RecordError,
    ValidationSummary,
    iter_located,
    iter_records,
    validate_file,
)
from gitmodel.infra.errors import ExitCode, InvalidInput
from tests.kit.files import write

SCHEMA = {
    "type": "object",
    "required": ["text", "user_age"],
    "properties": {
        "text": {"type": "string"},
        "user_age": {"type": "integer"},
        "score": {"type": "number"},
        "vip": {"type": "boolean"},
    },
}


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


# --- JSONL ----------------------------------------------------------------------------------------------

def test_jsonl_good_file_validates(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"text": "hi", "user_age": 3}, {"text": "yo", "user_age": 40})
                 + "\n   \n" + jsonl({"text": "x", "user_age": 1, "score": 0.5, "vip": True}))
    summary = validate_file(path, SCHEMA)
    assert (summary.total, summary.failed, summary.errors, summary.ok) == (3, 0, [], True)


def test_jsonl_bad_record_names_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"text": "a", "user_age": 1}, {"text": "b", "user_age": 2},
                                             {"text": "c", "user_age": "abc"}))
    summary = validate_file(path, SCHEMA)
    assert not summary.ok
    assert (summary.total, summary.failed) == (3, 1)
    assert [str(e) for e in summary.errors] == ["row 3: user_age: 'abc' is not of type 'integer'"]


def test_jsonl_rows_are_file_lines_when_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "in.ndjson", "\n" + jsonl({"text": "a", "user_age": "x"}))
    assert [e.row for e in validate_file(path, SCHEMA).errors] == [2]


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"text": "a", "user_age": 1}, {"text": "b", "user_age": 2},
                                             {"text": "c", "user_age": 3}, {"user_age": 4}))
    assert [str(e) for e in validate_file(path, SCHEMA).errors] == ["row 4: text: is a required property"]


def test_nested_field_is_a_dotted_path_and_root_is_record(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"address": {"type": "object", "required": ["zip"],
                                                            "properties": {"zip": {"type": "integer"}}},
                                               "tags": {"type": "array", "items": {"type": "string"}}}}
    path = write(tmp_path, "in.jsonl", jsonl({"address": {"zip": "x"}}, {"address": {}}, {"tags": ["a", 1]}, 5))
    assert [str(e) for e in validate_file(path, schema).errors] == [
        "row 1: address.zip: 'x' is not of type 'integer'",
        "row 2: address.zip: is a required property",
        "row 3: tags.1: 1 is not of type 'string'",
        "row 4: (record): 5 is not of type 'object'",
    ]


def test_unparseable_jsonl_line_is_invalid_input_with_line_number(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"text": "a", "user_age": 1}) + '{"text": "b", "user_age": \n')
    with pytest.raises(InvalidInput) as info:
        validate_file(path, SCHEMA)
    assert info.value.exit_code == ExitCode.INVALID_INPUT
    assert info.value.where == str(path)
    assert info.value.message.startswith("line 2: invalid JSON")


def test_records_stream_before_a_later_parse_error(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"a": 1}, {"a": 2}) + "nope\n")
    records = iter_records(path)
    assert [next(records), next(records)] == [(1, {"a": 1}), (2, {"a": 2})]
    with pytest.raises(InvalidInput, match="line 3"):
        next(records)


# --- JSON -----------------------------------------------------------------------------------------------

def test_json_object_is_one_record(tmp_path: Path) -> None:
    path = write(tmp_path, "in.json", json.dumps({"text": "a", "user_age": 7}, indent=2))
    assert list(iter_records(path)) == [(1, {"text": "a", "user_age": 7})]
    assert validate_file(path, SCHEMA).ok


def test_json_array_rows_and_lines(tmp_path: Path) -> None:
    records = [{"text": "a", "user_age": 1}, {"text": "b", "user_age": "2"}, {"text": "c", "user_age": 3}]
    path = write(tmp_path, "in.json", json.dumps(records, indent=2))
    assert [r for _, r in iter_records(path)] == records
    summary = validate_file(path, SCHEMA)
    assert (summary.total, summary.failed) == (3, 1)
    error = summary.errors[0]
    assert str(error) == "row 2: user_age: '2' is not of type 'integer'"
    assert error.line == 6  # the line where the second element starts


def test_json_empty_array_has_no_records(tmp_path: Path) -> None:
    summary = validate_file(write(tmp_path, "in.json", " [ ] \n"), SCHEMA)
    assert (summary.total, summary.ok) == (0, True)


@pytest.mark.parametrize(("content", "line", "what"), [
    ("[\n 1,\n 2\n 3\n]", 4, "expected ',' or ']'"),
    ("[\n {\"a\": 1},\n", 3, "unterminated array"),
    ("[1, 2]\n\n[3]", 3, "extra data"),
    ("\n\n42", 3, "expected a JSON object or an array"),
    ("   \n", 2, "empty file"),
    ("{\"a\": 1,\n\"b\": }", 2, "invalid JSON"),
    ("[1,\n tru ]", 2, "invalid JSON"),
])
def test_json_parse_errors_name_the_line(tmp_path: Path, content: str, line: int, what: str) -> None:
    path = write(tmp_path, "in.json", content)
    with pytest.raises(InvalidInput) as info:
        list(iter_records(path))
    assert info.value.message.startswith(f"line {line}: ")
    assert what in info.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=15,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(json_values, max_size=8), indent=st.sampled_from([None, 0, 1, 4]),
       chunk=st.integers(min_value=1, max_value=16))
def test_streamed_array_equals_json_load(tmp_path: Path, values: list[object], indent: int | None,
                                         chunk: int) -> None:
    """Chunk boundaries anywhere (inside numbers, strings, UTF-8 sequences) never change what is read."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps(values, indent=indent, ensure_ascii=False), encoding="utf-8")
    with mock.patch.object(samples, "_JSON_CHUNK", chunk):
        assert [r for _, r in iter_records(path)] == values


# --- CSV ------------------------------------------------------------------------------------------------

def test_csv_header_and_integer_coercion(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", "text,user_age,score,vip\nhello,42,0.5,true\n\nbye,abc,,FALSE\n")
    assert list(iter_located(path)) == [
        (1, 2, {"text": "hello", "user_age": "42", "score": "0.5", "vip": "true"}),
        (2, 4, {"text": "bye", "user_age": "abc", "score": "", "vip": "FALSE"}),
    ]
    summary = validate_file(path, SCHEMA)
    assert (summary.total, summary.failed) == (2, 1)
    assert [str(e) for e in summary.errors] == ["row 2: user_age: 'abc' is not of type 'integer'"]
    assert summary.errors[0].line == 4


def test_csv_empty_cell_is_an_absent_value(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", "text,user_age\n,5\n")
    assert [str(e) for e in validate_file(path, SCHEMA).errors] == ["row 1: text: is a required property"]


def test_csv_with_bom_and_quoted_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", "\ufefftext,user_age\r\n\"two\nlines\",1\r\nok,2\r\n")
    assert list(iter_located(path)) == [(1, 2, {"text": "two\nlines", "user_age": "1"}),
                                        (2, 4, {"text": "ok", "user_age": "2"})]
    assert validate_file(path, SCHEMA).ok


def test_coerce_csv_record_follows_schema_types() -> None:
    schema = {"properties": {
        "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"}, "z": {"type": "null"},
        "s": {"type": "string"}, "u": {"type": ["integer", "null"]}, "su": {"type": ["string", "integer"]},
        "a": {"type": "array"}, "bad": {"type": "integer"}, "underscore": {"type": "number"},
        "huge": {"type": "integer"},
    }}
    record = {"i": "-12", "n": "1.5e3", "b": "True", "z": "null", "s": "007", "u": "NULL", "su": "5",
              "a": "[1, 2]", "bad": "1.5", "underscore": "1_000", "huge": "9" * 5000, "other": "x", "empty": ""}
    assert coerce_csv_record(record, schema) == {
        "i": -12, "n": 1500.0, "b": True, "z": None, "s": "007", "u": None, "su": "5", "a": [1, 2],
        "bad": "1.5", "underscore": "1_000", "huge": "9" * 5000, "other": "x",
    }


@pytest.mark.parametrize(("content", "line", "what"), [
    ("", 1, "no header row"),
    ("\n\n", 1, "no header row"),
    ("a,b\n1,2\n3\n", 3, "1 fields, header has 2"),
    ("a,b\n1,2,3\n", 2, "3 fields, header has 2"),
    ("a,,c\n1,2,3\n", 1, "header column 2 has no name"),
    ("a,b,a\n1,2,3\n", 1, "duplicate header column 'a'"),
    ('a,b\n1,"2\n', 2, "invalid CSV"),
])
def test_csv_structure_errors_name_the_line(tmp_path: Path, content: str, line: int, what: str) -> None:
    path = write(tmp_path, "in.csv", content)
    with pytest.raises(InvalidInput) as info:
        validate_file(path, SCHEMA)
    assert info.value.message.startswith(f"line {line}: ")
    assert what in info.value.message


# --- files and schemas ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["blob.jsonl", "blob.csv", "blob.json"])
def test_binary_file_is_invalid_input_naming_the_file(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\n\x89\x00\xfe")
    with pytest.raises(InvalidInput) as info:
        validate_file(path, SCHEMA)
    assert info.value.where == str(path)
    assert "not UTF-8" in info.value.message


def test_non_utf8_line_is_reported_on_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": "\xe9"}\n')
    with pytest.raises(InvalidInput, match=r"line 3: not UTF-8"):
        list(iter_records(path))


@pytest.mark.parametrize(("name", "what"), [("in.txt", "unsupported file type"), ("gone.jsonl", "not found")])
def test_unreadable_inputs_are_invalid_input(tmp_path: Path, name: str, what: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("{}\n")
    with pytest.raises(InvalidInput, match=what):
        validate_file(path, SCHEMA)


@pytest.mark.parametrize("schema", [
    {"type": "object", "properties": {"a": {"type": "strng"}}},
    {"required": "text"},
    {"$ref": "https://example.invalid/schema.json"},
    ["not", "a", "schema"],
])
def test_invalid_schema_is_invalid_input(tmp_path: Path, schema: object) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"a": 1}))
    with pytest.raises(InvalidInput) as info:
        validate_file(path, schema)  # type: ignore[arg-type]
    assert info.value.where == "schema.inputs"


def test_format_is_asserted(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
    path = write(tmp_path, "in.jsonl", jsonl({"email": "a@b.c"}, {"email": "nope"}))
    assert [str(e) for e in validate_file(path, schema).errors] == ["row 2: email: 'nope' is not a 'email'"]


def test_error_cap_keeps_counting(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl(*({"user_age": "x"} for _ in range(50)), {"text": "ok", "user_age": 1}))
    summary = validate_file(path, SCHEMA, max_errors=10)
    assert (summary.total, summary.failed, len(summary.errors), summary.unreported) == (51, 50, 10, 45)
    assert summary.errors[-1].row == 5  # two errors per row: text missing, user_age a string


def test_long_values_are_shortened_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "in.jsonl", jsonl({"text": "a", "user_age": "9" * 10_000}))
    (error,) = validate_file(path, SCHEMA).errors
    assert len(error.message) <= 300
    assert error.message.endswith("…")


@pytest.mark.parametrize("name", ["deep.json", "deep.jsonl"])
def test_absurd_nesting_is_invalid_input(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, name, "[" * 100_000 + "]" * 100_000)
    with pytest.raises(InvalidInput, match="line 1: invalid JSON"):
        list(iter_records(path))


def test_record_error_str() -> None:
    assert str(RecordError(3, "user_age", "'abc' is not of type 'integer'")) == \
        "row 3: user_age: 'abc' is not of type 'integer'"


json_ish_bytes = st.text(alphabet='[]{},:"0123456789.eE-+ \n\r\\truefalsn\x00\u00e9', max_size=60).map(
    lambda t: t.encode("utf-8"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200) | json_ish_bytes, suffix=st.sampled_from([".jsonl", ".csv", ".json"]))
def test_arbitrary_bytes_validate_or_are_invalid_input(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"in{suffix}"
    path.write_bytes(data)
    outcome: ValidationSummary | InvalidInput
    try:
        outcome = validate_file(path, SCHEMA)
    except InvalidInput as err:  # anything else escapes and fails the test
        outcome = err
    if isinstance(outcome, InvalidInput):
        assert outcome.message.startswith("line ")
        assert outcome.where == str(path)
    else:
        assert outcome.failed <= outcome.total


# --- the fast acceptance path ---------------------------------------------------------------------------

scalar_schemas = st.one_of(
    st.builds(lambda t: {"type": t}, st.sampled_from(["string", "integer", "number", "boolean", "null",
                                                      "object", "array"])),
    st.builds(lambda t: {"type": t}, st.lists(st.sampled_from(["integer", "string", "null"]), min_size=1,
                                              max_size=2, unique=True)),
    st.builds(lambda k, n: {k: n}, st.sampled_from(["minimum", "maximum", "exclusiveMinimum",
                                                    "exclusiveMaximum"]),
              st.integers(-3, 3) | st.floats(-3, 3)),
    st.builds(lambda k, n: {k: n}, st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]),
              st.integers(0, 3)),
    st.builds(lambda e: {"enum": e}, st.lists(json_values, min_size=1, max_size=4)),
    st.builds(lambda c: {"const": c}, json_values),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "[0-9]+", "^$"])),
    st.builds(lambda f: {"format": f}, st.sampled_from(["email", "date", "ipv4", "uri"])),
    st.booleans(),
)
schemas = st.recursive(
    scalar_schemas,
    lambda inner: st.one_of(
        st.builds(lambda props, req, extra: {"type": "object", "properties": props, "required": req,
                                             "additionalProperties": extra},
                  st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3),
                  st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True),
                  st.booleans() | inner),
        st.builds(lambda item: {"type": "array", "items": item}, inner),
        st.builds(lambda subs: {"allOf": subs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda subs: {"anyOf": subs}, st.lists(inner, min_size=1, max_size=3)),
    ),
    max_leaves=8,
)
instances = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-5, 5) | st.sampled_from([0.0, 1.0, -0.0])
    | st.text(alphabet="ab01@.:/-", max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner,
                                                                max_size=3),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(schema=schemas, instance=instances)
def test_fast_acceptor_never_accepts_what_jsonschema_rejects(schema: object, instance: object) -> None:
    cls = validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    fast = fast_acceptor(schema, validator)
    assert fast is not None
    if fast(instance):
        assert validator.is_valid(instance)


def test_fast_acceptor_covers_a_plain_input_schema() -> None:
    cls = validators.validator_for(SCHEMA)
    fast = fast_acceptor(SCHEMA, cls(SCHEMA))
    assert fast is not None
    assert fast({"text": "hi", "user_age": 3, "score": 1.5, "vip": False})
    assert not fast({"text": "hi", "user_age": "3"})
    assert fast_acceptor({"$ref": "#/$defs/x", "$defs": {"x": {}}}, cls({})) is None
