"""Where a sweep's rows go: an append-only Parquet dataset (a folder) or one CSV file.

**Folder** (``out="DIR"``): every finished chunk is one file ``part-<ns>-<hash>.parquet``
(pyarrow), written under a hidden temporary name and renamed (:func:`diracgan.io.atomic_output`),
so a file is whole or absent and an interrupted sweep leaves every finished chunk readable and
no partial row.  ``_sweep.json`` records what was swept (command, fixed options, axes, column
kinds, diracgan version); readers of Parquet datasets skip names starting with ``_`` or ``.``,
so ``pandas.read_parquet("DIR")`` or ``pyarrow.parquet.read_table("DIR")`` loads the table in
one call.  **CSV** (``out="FILE.csv"``, for small grids): the whole file is rewritten
atomically (at most once a second, and at the end), the record beside it in
``FILE.sweep.json``; floats are written by ``repr`` and read back exactly.

A store is reused only by the same sweep (same command, fixed options, axes and version;
other axis values and seeds are welcome): rerunning skips the stored keys.
"""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path

from ..errors import InputError
from .runners import BOOL, FLOAT, INT, STR

__all__ = ["open_store", "ParquetStore", "CsvStore", "read_store", "arrow_schema", "MANIFEST"]

MANIFEST = "_sweep.json"
FORMAT = "diracgan-sweep/1"


def arrow_schema(columns: list):
    """A pyarrow schema from ``[(name, kind), ...]``."""
    import pyarrow as pa

    types = {FLOAT: pa.float64(), INT: pa.int64(), STR: pa.string(), BOOL: pa.bool_()}
    return pa.schema([(name, types[kind]) for name, kind in columns])


def _same_sweep(old: dict, new: dict) -> str | None:
    """Why ``old`` (a stored record) is another sweep than ``new``, or None."""
    for field, what in (("format", "format"), ("command", "command"), ("diracgan", "diracgan version"),
                        ("axes", "axes"), ("fixed", "fixed options")):
        a, b = json.dumps(old.get(field), sort_keys=True), json.dumps(new.get(field), sort_keys=True)
        if a != b:
            return f"its {what} {_short(old.get(field))} differ from this sweep's {_short(new.get(field))}"
    return None


def _short(value) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _read_manifest(path: Path) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"{str(path)!r} is not a sweep's record: {exc}") from None


def _write_json(path: Path, doc: dict) -> None:
    from ..io import atomic_output

    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


class ParquetStore:
    """The folder store (see module doc)."""

    def __init__(self, path: Path, manifest: dict):
        self.path, self.manifest = path, manifest
        self.schema = arrow_schema(manifest["columns"])

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet"))

    def keys(self) -> list[str]:
        import pyarrow.parquet as pq

        return [k for p in self.parts() for k in pq.read_table(p, columns=["key"]).column("key").to_pylist()]

    def append(self, rows: list[dict]) -> None:
        import hashlib

        import pyarrow as pa
        import pyarrow.parquet as pq

        from ..io import atomic_output

        if not rows:
            return
        table = pa.Table.from_pylist(rows, schema=self.schema)
        digest = hashlib.sha1(",".join(r["key"] for r in rows).encode()).hexdigest()[:12]
        with atomic_output(self.path / f"part-{time.time_ns():020d}-{digest}.parquet") as tmp:
            pq.write_table(table, tmp)

    def drop(self, keys: set) -> int:
        """Remove the rows of ``keys`` (for ``force``): each file rewritten atomically without
        them, or removed when nothing is left.  Returns the rows removed."""
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from ..io import atomic_output

        removed = 0
        for part in self.parts():
            table = pq.read_table(part, schema=self.schema)
            hit = pc.is_in(table.column("key"), value_set=_array(sorted(keys)))
            n = pc.sum(hit).as_py() or 0
            if not n:
                continue
            removed += n
            if n == len(table):
                part.unlink()
            else:
                with atomic_output(part) as tmp:
                    pq.write_table(table.filter(pc.invert(hit)), tmp)
        return removed

    def read(self):
        import pyarrow as pa
        import pyarrow.parquet as pq

        tables = [pq.read_table(p, schema=self.schema) for p in self.parts()]
        return pa.concat_tables(tables) if tables else self.schema.empty_table()

    def flush(self) -> None:
        pass


def _array(values):
    import pyarrow as pa

    return pa.array(values, type=pa.string())


class CsvStore:
    """The CSV store (see module doc)."""

    def __init__(self, path: Path, manifest: dict, every: float = 1.0):
        self.path, self.manifest, self.every = path, manifest, every
        self.schema = arrow_schema(manifest["columns"])
        self.kinds = dict(manifest["columns"])
        self.rows = self._load() if path.exists() else []
        self.dirty, self.last = False, 0.0

    def _load(self) -> list[dict]:
        with open(self.path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            names = [n for n, _ in self.manifest["columns"]]
            if header != names:
                raise InputError(f"{str(self.path)!r} has other columns than this sweep's; give another --out")
            return [{n: _parse(x, self.kinds[n]) for n, x in zip(names, line)} for line in reader]

    def keys(self) -> list[str]:
        return [r["key"] for r in self.rows]

    def append(self, rows: list[dict]) -> None:
        self.rows.extend(rows)
        self.dirty = True
        if time.monotonic() - self.last >= self.every:
            self.flush()

    def drop(self, keys: set) -> int:
        before = len(self.rows)
        self.rows = [r for r in self.rows if r["key"] not in keys]
        self.dirty = True
        self.flush()
        return before - len(self.rows)

    def flush(self) -> None:
        from ..io import atomic_output

        if not self.dirty:
            return
        names = [n for n, _ in self.manifest["columns"]]
        with atomic_output(self.path) as tmp:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow(names)
                for r in self.rows:
                    writer.writerow([_format(r.get(n)) for n in names])
        self.dirty, self.last = False, time.monotonic()

    def read(self):
        import pyarrow as pa

        return pa.Table.from_pylist(self.rows, schema=self.schema)


def _format(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return repr(x + 0.0)
    return str(x)


def _parse(text: str, kind: str):
    if text == "":
        return None
    if kind == FLOAT:
        return float(text)
    if kind == INT:
        return int(text)
    if kind == BOOL:
        return text == "True"
    return text


def _csv_manifest_path(path: Path) -> Path:
    return path.with_name(path.name[:-len(".csv")] + ".sweep.json")


def open_store(out: str | os.PathLike, manifest: dict):
    """The store at ``out`` (a folder, or a path ending in .csv) for the sweep ``manifest``
    describes; creates it, or checks that the stored sweep is the same one."""
    path = Path(out)
    manifest = {"format": FORMAT, **manifest}
    if path.suffix.lower() == ".csv":
        from ..io import check_output

        check_output(path, (".csv",))
        record = _csv_manifest_path(path)
        old = _read_manifest(record)
        if old is None and path.exists():
            raise InputError(f"{str(path)!r} exists but is not a sweep's table (no {record.name} beside it); "
                             f"give another --out")
        if old is not None:
            why = _same_sweep(old, manifest)
            if why:
                raise InputError(f"{str(path)!r} holds another sweep: {why}; give another --out")
        else:
            _write_json(record, manifest)
        return CsvStore(path, manifest)
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {str(path)!r} is a file; give a folder (a Parquet dataset) or a .csv path")
    old = _read_manifest(path / MANIFEST) if path.is_dir() else None
    if old is None and path.is_dir() and any(path.glob("*.parquet")):
        raise InputError(f"{str(path)!r} holds Parquet files but no {MANIFEST}; give another --out")
    if old is not None:
        why = _same_sweep(old, manifest)
        if why:
            raise InputError(f"{str(path)!r} holds another sweep: {why}; give another --out")
    else:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the folder {str(path)!r}: {exc.strerror or exc}") from None
        _write_json(path / MANIFEST, manifest)
    for stale in path.glob(".part-*"):      # temporaries of a sweep killed while writing
        stale.unlink(missing_ok=True)
    return ParquetStore(path, manifest)


def read_store(path: str | os.PathLike):
    """(the stored table as a pyarrow Table, the sweep's record) of a folder or CSV store."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        manifest = _read_manifest(_csv_manifest_path(path))
        if manifest is None or not path.exists():
            raise InputError(f"{str(path)!r} is not a stored sweep (no {_csv_manifest_path(path).name})")
        return CsvStore(path, manifest).read(), manifest
    manifest = _read_manifest(path / MANIFEST) if path.is_dir() else None
    if manifest is None:
        raise InputError(f"{str(path)!r} is not a stored sweep (no {MANIFEST} in it)")
    return ParquetStore(path, manifest).read(), manifest
