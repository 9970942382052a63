"""Streaming sample readers (JSON, JSONL, CSV) and record validation for `gitmodel validate-input`.

CSV cells become JSON values in gitmodel/context/sample_coerce.py; gitmodel/context/sample_accept.py accepts
the common valid record without jsonschema."""

from __future__ import annotations

import codecs
import csv
import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gitmodel.context.sample_accept import fast_acceptor
from gitmodel.context.sample_coerce import coerce, csv_coercers
from gitmodel.infra.errors import InvalidInput

SCHEMA_WHERE = "schema.inputs"
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
_JSON_CHUNK = 1 << 16
_MAX_MESSAGE = 300
_WS = " \t\r\n"

# (row, line, record): row is what messages show; line is where the record starts in the file.
Located = tuple[int, int, object]


@dataclass(frozen=True)
class RecordError:
    """One schema violation in one record."""

    row: int
    field: str  # dotted path of the failing value, the missing property for `required`, or "(record)"
    message: str
    line: int | None = None  # file line, when it differs from the row (CSV, JSON arrays)

    def __str__(self) -> str:
        return f"row {self.row}: {self.field}: {self.message}"


@dataclass
class ValidationSummary:
    """Counts over every record; `errors` holds the first `max_errors`, `unreported` the failing rest."""

    total: int = 0
    failed: int = 0
    errors: list[RecordError] = field(default_factory=list)
    unreported: int = 0

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _invalid(path: Path, line: int, what: str) -> InvalidInput:
    return InvalidInput(f"line {line}: {what}", where=str(path),
                        hint="fix the file; JSON Lines needs one JSON value per line, CSV a header row")


def sample_format(path: Path) -> str:
    """`jsonl`, `json` or `csv`, from the file extension."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InvalidInput(f"unsupported file type {path.suffix or '(none)'!r}", where=str(path),
                           hint="use .json (object or array), .jsonl/.ndjson or .csv with a header row")
    return kind


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InvalidInput("file not found", where=str(path)) from None
    except IsADirectoryError:
        raise InvalidInput("is a directory, not a sample file", where=str(path)) from None
    except OSError as err:
        raise InvalidInput(f"cannot read: {err.strerror or err}", where=str(path)) from None


def _decoded_lines(fh: IO[bytes], path: Path) -> Iterator[str]:
    # Decoding line by line (not by buffer) lets a bad byte be reported on its own line.
    for number, raw in enumerate(fh, 1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise _invalid(path, number, "not UTF-8 text (is this a binary file?)") from None


def _parse_json(text: str, path: Path, line: int) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _invalid(path, line + err.lineno - 1, f"invalid JSON: {err.msg} (column {err.colno})") from None
    except (ValueError, RecursionError) as err:  # e.g. a 5,000-digit integer, or nesting past the stack
        raise _invalid(path, line, f"invalid JSON: {err}") from None


def _iter_jsonl(path: Path) -> Iterator[Located]:
    with _open(path) as fh:
        for number, text in enumerate(_decoded_lines(fh, path), 1):
            if text.strip():
                # Without its line ending, a cut-off value is reported on its own line, not the next one.
                yield number, number, _parse_json(text.rstrip("\r\n"), path, number)


class _JsonArrayReader:
    """Yields the elements of a top-level JSON array one at a time, holding about one element in memory."""

    def __init__(self, fh: IO[bytes], path: Path, utf8: codecs.IncrementalDecoder, text: str,
                 lines_before: int) -> None:
        self._fh = fh
        self._path = path
        self._utf8 = utf8  # may hold the first bytes of a character cut by the previous read
        self._decoder = json.JSONDecoder()
        self._buf = text
        self._pos = 0
        self._lines = lines_before  # newlines in text already dropped from _buf
        self._mark = (0, lines_before + 1)  # (position, its line): counting resumes here, not from 0
        self._eof = False
        self._chunk = _JSON_CHUNK

    def _line_at(self, pos: int) -> int:
        mark, line = self._mark
        if pos < mark:
            mark, line = 0, self._lines + 1
        line += self._buf.count("\n", mark, pos)
        self._mark = (pos, line)
        return line

    def _more(self) -> None:
        data = self._fh.read(self._chunk)
        try:
            text = self._utf8.decode(data, final=not data)
        except UnicodeDecodeError as err:
            raise _decode_error(self._path, self._line_at(len(self._buf)) - 1, data, err) from None
        self._eof = not data
        if self._pos:
            self._lines = self._line_at(self._pos) - 1
            self._buf = self._buf[self._pos:]
            self._pos = 0
            self._mark = (0, self._lines + 1)
        self._buf += text

    def _peek(self) -> str | None:
        """The next non-blank character (not consumed), or None at end of file."""
        while True:
            buf, pos = self._buf, self._pos
            while pos < len(buf) and buf[pos] in _WS:
                pos += 1
            self._pos = pos
            if pos < len(buf):
                return buf[pos]
            if self._eof:
                return None
            self._more()

    def _grow(self) -> None:
        # Read as much again as is buffered, so one huge element costs O(n log n), not O(n^2).
        self._chunk = max(_JSON_CHUNK, len(self._buf) - self._pos)
        self._more()

    def _value(self) -> object:
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as err:
                # Near the end of the buffer the element may simply be cut by the chunk boundary.
                cut = err.pos >= len(self._buf) - 6 or err.msg.startswith("Unterminated string")
                if self._eof or not cut:
                    raise _invalid(self._path, self._line_at(err.pos), f"invalid JSON: {err.msg}") from None
                self._grow()
                continue
            except (ValueError, RecursionError) as err:
                raise _invalid(self._path, self._line_at(self._pos), f"invalid JSON: {err}") from None
            # A number at the buffer's end may continue in the next chunk ("12" of "125", "1e" of "1e5").
            complete = end < len(self._buf) and (
                not isinstance(value, int | float) or self._buf[end] in ",]}" + _WS)
            if complete or self._eof:
                self._pos = end
                return value
            self._grow()

    def elements(self) -> Iterator[Located]:
        self._pos += 1  # the opening "["
        row = 0
        if self._peek() == "]":
            self._pos += 1
        else:
            while True:
                if self._peek() is None:
                    raise _invalid(self._path, self._line_at(self._pos), "unterminated array")
                row += 1
                line = self._line_at(self._pos)
                yield row, line, self._value()
                nxt = self._peek()
                if nxt == "]":
                    self._pos += 1
                    break
                if nxt != ",":
                    what = "unterminated array" if nxt is None else f"expected ',' or ']', found {nxt!r}"
                    raise _invalid(self._path, self._line_at(self._pos), what)
                self._pos += 1
        if self._peek() is not None:
            raise _invalid(self._path, self._line_at(self._pos), "extra data after the array")


def _decode_error(path: Path, lines_before: int, data: bytes, err: UnicodeDecodeError) -> InvalidInput:
    line = lines_before + data.count(b"\n", 0, err.start) + 1
    return _invalid(path, line, "not UTF-8 text (is this a binary file?)")


Unwrap = Callable[[object], "list[object] | None"]  # a top-level object → its records, or None: one record


def _iter_json(path: Path, unwrap: Unwrap | None = None) -> Iterator[Located]:
    with _open(path) as fh:
        utf8 = codecs.getincrementaldecoder("utf-8-sig")()
        head = fh.read(_JSON_CHUNK)
        try:
            text = utf8.decode(head, final=not head)
        except UnicodeDecodeError as err:
            raise _decode_error(path, 0, head, err) from None
        start = len(text) - len(text.lstrip(_WS))
        lines_before = text.count("\n", 0, start)
        first = text[start:start + 1]
        if first == "[":
            yield from _JsonArrayReader(fh, path, utf8, text[start:], lines_before).elements()
            return
        if first == "{":
            # One object is one record: it has to be in memory to be validated anyway.
            rest = fh.read()
            try:
                text += utf8.decode(rest, final=True)
            except UnicodeDecodeError as err:
                raise _decode_error(path, text.count("\n"), rest, err) from None
            value = _parse_json(text, path, 1)
            rows = unwrap(value) if unwrap is not None else None
            if rows is None:
                yield 1, lines_before + 1, value
            else:  # an MLflow payload (gitmodel/context/mlflow_examples.py): its records, all at the object's line
                yield from ((row, lines_before + 1, record) for row, record in enumerate(rows, 1))
            return
        if not first:
            raise _invalid(path, lines_before + 1, "empty file")
        raise _invalid(path, lines_before + 1, "expected a JSON object or an array of records")


def _iter_csv_raw(path: Path) -> Iterator[tuple[int, int, list[str], dict[str, str]]]:
    """(row, line, header, record) per data row; a header row is required."""
    with _open(path) as fh:
        reader = csv.reader(_decoded_lines(fh, path), strict=True)
        try:
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise _invalid(path, max(reader.line_num, 1), "no header row")
            blank = [i + 1 for i, h in enumerate(header) if not h.strip()]
            if blank:
                raise _invalid(path, reader.line_num, f"header column {blank[0]} has no name")
            dupes = sorted({h for h in header if header.count(h) > 1})
            if dupes:
                raise _invalid(path, reader.line_num, f"duplicate header column {dupes[0]!r}")
            width, row, line = len(header), 0, reader.line_num + 1
            for cells in reader:
                if cells:  # csv gives [] for a blank line
                    row += 1
                    if len(cells) != width:
                        raise _invalid(path, line, f"{len(cells)} fields, header has {width}")
                    yield row, line, header, dict(zip(header, cells, strict=True))
                line = reader.line_num + 1
        except csv.Error as err:
            raise _invalid(path, reader.line_num, f"invalid CSV: {err}") from None


def iter_located(path: Path, unwrap: Unwrap | None = None) -> Iterator[Located]:
    """(row, file line, record) for every record in a JSON, JSONL or CSV file, streaming."""
    kind = sample_format(path)
    if kind == "jsonl":
        return _iter_jsonl(path)
    if kind == "json":
        return _iter_json(path, unwrap)
    return ((row, line, record) for row, line, _, record in _iter_csv_raw(path))


def iter_records(path: Path) -> Iterator[tuple[int, object]]:
    """(row, record) for every record; JSON arrays are streamed too, one element in memory at a time."""
    return ((row, record) for row, _, record in iter_located(path))


# --- validation ---------------------------------------------------------------------------------------

def _build_validator(schema: object) -> Any:
    from jsonschema import exceptions, validators

    if not isinstance(schema, Mapping | bool):
        raise InvalidInput("must be a JSON Schema (a mapping)", where=SCHEMA_WHERE)
    cls = validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except exceptions.SchemaError as err:
        path = ".".join(str(p) for p in err.absolute_path)
        raise InvalidInput(f"not a valid JSON Schema{' at ' + path if path else ''}: {_short(err.message)}",
                           where=SCHEMA_WHERE) from None
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"


def _record_errors(validator: Any, record: object, row: int, line: int | None) -> Iterator[RecordError]:
    for error in validator.iter_errors(record):
        path = [str(p) for p in error.absolute_path]
        message = error.message
        if error.validator == "required":
            missing = next((p for p in error.validator_value if message == f"{p!r} is a required property"),
                           None)
            if missing is not None:
                path.append(str(missing))
                message = "is a required property"
        yield RecordError(row, ".".join(path) or "(record)", _short(message), line)


def validate_file(path: Path, schema: dict[str, Any], *, max_errors: int = 1000) -> ValidationSummary:
    """Validate every record of a sample file against a JSON Schema, streaming."""
    from referencing.exceptions import Unresolvable

    validator = _build_validator(schema)
    is_valid = validator.is_valid
    kind = sample_format(path)
    summary = ValidationSummary()
    if kind == "csv":
        coercers = csv_coercers(schema)
        records: Iterator[Located] = ((r, ln, coerce(rec, coercers)) for r, ln, _, rec in _iter_csv_raw(path))
    else:
        from gitmodel.context.mlflow_examples import mlflow_records

        records = iter_located(path, lambda value: mlflow_records(value, schema, str(path)))
    fast = fast_acceptor(schema, validator)
    try:
        for row, line, record in records:
            summary.total += 1
            if (fast is not None and fast(record)) or is_valid(record):
                continue
            summary.failed += 1
            if len(summary.errors) >= max_errors:
                # Past the cap only the count matters; collecting messages would double the cost per row.
                summary.unreported += 1
                continue
            found = _record_errors(validator, record, row, None if line == row else line)
            summary.errors.extend(itertools.islice(found, max_errors - len(summary.errors)))
    except Unresolvable as err:
        raise InvalidInput(f"unresolvable $ref: {_short(str(err))}", where=SCHEMA_WHERE) from None
    return summary
