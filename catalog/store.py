"""The project's Parquet catalog: Nautilus's `ParquetDataCatalog` with funding types registered and
one fix for instrument ids that contain ':' (Hyperliquid HIP-3 `xyz:NVDA-USD-PERP`).

Nautilus 1.221 names each file's table in its Rust query session after the instrument directory,
replacing '.', '-', ' ' and '^' but not ':', so any query of such an instrument fails with
`SQL error: ParserError("Expected: end of statement, found: :")`. We build the same table names
with ':' replaced too.
"""

from __future__ import annotations

import re
from pathlib import Path

from nautilus_trader.core.nautilus_pyo3 import DataBackendSession
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.catalog.parquet import _extract_sql_safe_filename
from nautilus_trader.persistence.funcs import class_to_filename

from catalog.funding import register_funding_types

_SQL_UNSAFE = re.compile(r"[^0-9a-zA-Z_]")


class ArbCatalog(ParquetDataCatalog):
    def backend_session(
        self, data_cls, identifiers=None, start=None, end=None, where=None, session=None, files=None, **kwargs
    ):
        data_type = ParquetDataCatalog._nautilus_data_cls_to_data_type(data_cls)
        file_list = files if files else self._query_files(data_cls, identifiers, start, end)
        file_prefix = class_to_filename(data_cls)
        if session is None:
            session = DataBackendSession()
        if self.fs_protocol != "file":
            self._register_object_store_with_session(session)
        for file in file_list:
            identifier = _SQL_UNSAFE.sub("_", file.split("/")[-2]).lower()
            table = f"{file_prefix}_{identifier}_{_extract_sql_safe_filename(file)}"
            query = self._build_query(table, start=start, end=end, where=where)
            session.add_file(data_type, table, self._build_file_uri(file), query)
        return session


def open_catalog(path: str | Path, must_exist: bool = True) -> ArbCatalog:
    register_funding_types()
    p = Path(path)
    if must_exist and not (p / "data").is_dir():
        raise FileNotFoundError(
            f"no catalog at {p} (expected a 'data' folder inside; build one with `arb catalog synth {p}`)"
        )
    return ArbCatalog(str(p))
