"""Generic row reader for real data files: CSV (optionally gzipped), JSON documents, JSON lines,
Parquet and VCR (vcrpy) YAML cassettes.

Every reader yields `(location, row)` pairs. `location` is what an error message should point at:
the line number for text files (so `file:line` opens in an editor at the right place), `row N` for
Parquet and `interaction I record N` for cassettes. `row` is a dict from column name to the raw value
(strings for CSV; JSON values with floats parsed as `Decimal`, so no rate or price ever passes
through binary floating point).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

Row = dict[str, Any]


class LoaderError(ValueError):
    """A data file cannot be loaded as asked; the message names the file (and line and field)."""


@dataclass(frozen=True)
class Source:
    """Where the records sit inside a file.

    json_path: keys from the document root to the array of records (`("result", "list")`); `"*"`
        matches the one key whose value is an array (Kraken puts records under the pair name).
    positional: column names for records that are arrays rather than objects (Kraken OHLC, Bybit klines).
    cassette_request: in a VCR cassette, read only interactions whose request body has this `type`.
    """

    json_path: tuple[str, ...] = ()
    positional: tuple[str, ...] = ()
    cassette_request: str | None = None


_DECODER = json.JSONDecoder(parse_float=Decimal)
_WS = " \t\n\r"


def file_kind(path: Path) -> str:
    """csv | json | jsonl | parquet | cassette, from the file name (a trailing .gz is looked through)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffixes, kind in (
        ((".csv", ".tsv", ".txt"), "csv"),
        ((".jsonl", ".ndjson"), "jsonl"),
        ((".json",), "json"),
        ((".parquet", ".pq"), "parquet"),
        ((".yaml", ".yml"), "cassette"),
    ):
        if name.endswith(suffixes):
            return kind
    raise LoaderError(
        f"{path}: cannot tell the file type from its name "
        "(expected .csv, .csv.gz, .json, .jsonl, .parquet or a .yaml VCR cassette)"
    )


def read_rows(
    path: Path | str, source: Source = Source(), where: tuple[str, str] | None = None
) -> Iterator[tuple[str, Row]]:
    """Yield `(location, row)` for every record of `path`.

    `where=(column, value)` lets a Parquet file be filtered before rows are built (one ZuShen file holds
    dozens of symbols); other file kinds ignore it and the caller filters.
    """
    p = Path(path)
    if not p.is_file():
        raise LoaderError(f"{p}: file not found")
    kind = file_kind(p)
    if kind == "csv":
        yield from _csv_rows(p)
    elif kind == "jsonl":
        yield from _jsonl_rows(p, source)
    elif kind == "json":
        yield from _records(p, _read_text(p), source, lambda line, i: str(line))
    elif kind == "parquet":
        yield from _parquet_rows(p, where)
    else:
        yield from _cassette_rows(p, source)


def _read_text(p: Path) -> str:
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8-sig")


def _open_text(p: Path) -> io.TextIOBase:
    with p.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    if gz:
        return gzip.open(p, "rt", encoding="utf-8-sig", newline="")  # type: ignore[return-value]
    return p.open("r", encoding="utf-8-sig", newline="")


def _csv_rows(p: Path) -> Iterator[tuple[str, Row]]:
    with _open_text(p) as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames:
            raise LoaderError(f"{p}: empty file (no header line)")
        for row in reader:
            # a blank trailing line comes back as a row of Nones: not a record
            if all(v is None or v == "" for k, v in row.items() if k is not None):
                continue
            yield str(reader.line_num), row


def _jsonl_rows(p: Path, source: Source) -> Iterator[tuple[str, Row]]:
    with _open_text(p) as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = _DECODER.decode(line)
            except json.JSONDecodeError as e:
                raise LoaderError(f"{p}:{n}: not valid JSON ({e.msg} at column {e.colno})") from None
            yield str(n), _as_row(p, str(n), value, source)


def _parquet_rows(p: Path, where: tuple[str, str] | None) -> Iterator[tuple[str, Row]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(p)
    # Timestamps become integer UTC nanoseconds, the one time representation the loaders parse.
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            col = table.column(i).cast(pa.timestamp("ns", tz=field.type.tz)).cast(pa.int64())
            table = table.set_column(i, field.name, col)
    indices = range(table.num_rows)
    if where is not None:
        column, value = where
        if column not in table.column_names:
            raise LoaderError(f"{p}: no column '{column}' (columns: {', '.join(table.column_names)})")
        mask = pc.equal(table.column(column).cast(pa.string()), value)
        picked = pc.indices_nonzero(mask.fill_null(False))
        if len(picked) == 0:
            present = sorted(set(table.column(column).cast(pa.string()).to_pylist()) - {None})
            raise LoaderError(
                f"{p}: no rows with {column} = '{value}' "
                f"(present: {', '.join(present[:40])}{', ...' if len(present) > 40 else ''})"
            )
        indices = picked.to_pylist()
        table = table.take(picked)
    for n, row in zip(indices, table.to_pylist(), strict=True):
        yield f"row {n + 1}", row


def _cassette_rows(p: Path, source: Source) -> Iterator[tuple[str, Row]]:
    import yaml

    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise LoaderError(f"{p}: not a valid YAML cassette ({e})") from None
    interactions = doc.get("interactions") if isinstance(doc, dict) else None
    if not isinstance(interactions, list):
        raise LoaderError(f"{p}: not a VCR cassette (no 'interactions' list)")
    found = 0
    for i, interaction in enumerate(interactions, start=1):
        if source.cassette_request is not None and _request_type(interaction) != source.cassette_request:
            continue
        body = ((interaction.get("response") or {}).get("body") or {}).get("string")
        if not isinstance(body, str):
            continue
        found += 1
        yield from _records(p, body, source, lambda line, n, i=i: f"interaction {i} record {n}")
    if not found:
        wanted = f"'{source.cassette_request}' " if source.cassette_request else ""
        raise LoaderError(f"{p}: the cassette has no {wanted}response body")


def _request_type(interaction: dict) -> str | None:
    body = (interaction.get("request") or {}).get("body")
    try:
        parsed = json.loads(body) if isinstance(body, str | bytes) else None
    except ValueError:
        return None
    return parsed.get("type") if isinstance(parsed, dict) else None


# -- JSON documents --------------------------------------------------------------------------------
# `json.loads` loses positions, so the record array is walked with `raw_decode`: every record is
# decoded on its own and its starting line is known, which is what an error message should show.


def _records(p: Path, text: str, source: Source, where) -> Iterator[tuple[str, Row]]:
    try:
        idx = _find_array(p, text, source.json_path)
        line, last = 1 + text.count("\n", 0, idx), idx
        n = 0
        idx = _skip_ws(text, idx + 1)
        while text[idx] != "]":
            line += text.count("\n", last, idx)
            last = idx
            value, idx = _DECODER.raw_decode(text, idx)
            n += 1
            loc = where(line, n)
            yield loc, _as_row(p, loc, value, source)
            idx = _skip_ws(text, idx)
            if text[idx] == ",":
                idx = _skip_ws(text, idx + 1)
            elif text[idx] != "]":
                raise json.JSONDecodeError("expected ',' or ']'", text, idx)
    except json.JSONDecodeError as e:
        raise LoaderError(f"{p}:{e.lineno}: not valid JSON ({e.msg} at column {e.colno})") from None
    except IndexError:
        raise LoaderError(f"{p}: JSON document ends early") from None


def _skip_ws(text: str, idx: int) -> int:
    while idx < len(text) and text[idx] in _WS:
        idx += 1
    return idx


def _find_array(p: Path, text: str, path: tuple[str, ...]) -> int:
    """Offset of the '[' that opens the record array at `path`."""
    idx = _skip_ws(text, 0)
    for depth, key in enumerate(path):
        if text[idx] != "{":
            raise LoaderError(f"{p}: expected a JSON object at {'.'.join(path[:depth]) or 'the top level'}")
        idx = _skip_ws(text, idx + 1)
        while True:
            if text[idx] == "}":
                raise LoaderError(f"{p}: no key '{key}' at {'.'.join(path[:depth]) or 'the top level'}")
            name, idx = _DECODER.raw_decode(text, idx)
            idx = _skip_ws(text, idx)
            if text[idx] != ":":
                raise json.JSONDecodeError("expected ':'", text, idx)
            idx = _skip_ws(text, idx + 1)
            if name == key or (key == "*" and text[idx] == "["):
                break
            _, idx = _DECODER.raw_decode(text, idx)
            idx = _skip_ws(text, idx)
            if text[idx] == ",":
                idx = _skip_ws(text, idx + 1)
    if text[idx] != "[":
        where = ".".join(path) or "the top level"
        raise LoaderError(f"{p}: expected an array of records at {where}")
    return idx


def _as_row(p: Path, loc: str, value: Any, source: Source) -> Row:
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and source.positional:
        # a short record gets None for the missing fields: the loader reports the first one it needs
        padded = [*value, *[None] * (len(source.positional) - len(value))]
        return dict(zip(source.positional, padded, strict=False))
    raise LoaderError(f"{p}:{loc}: expected a JSON object per record, got {type(value).__name__}")
