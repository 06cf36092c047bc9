"""Format presets: how the columns of a known data file map onto the fields the loaders build from.

A `Format` is a small table entry, nothing more. The loader fields per kind are:

| kind | required | optional |
| --- | --- | --- |
| funding | `time` (settlement time), `rate` (per the venue's interval) | `direction` (rate is a magnitude; `long`/`short` = side that pays), `interval_hours`, `symbol` |
| quotes | `time`, `bid`, `ask` (or, with `paired_sides`, `price`, `side`) | `recv_time`, `bid_size`, `ask_size` (or `size`), `symbol` |
| trades | `time`, `price`, `size`, `side` | `recv_time`, `trade_id`, `symbol` |
| bars | `time` (bar open unless `bar_time="close"`), `open`, `high`, `low`, `close`, `volume` | `interval` (e.g. `1h`), `symbol` |

`time` is the venue's event time (`ts_event`); `recv_time`, when a collector logged its own receive
time, becomes `ts_init` (what a backtest replays by). Time units: `s`, `ms`, `us`, `ns` (numbers,
fractions allowed) or `iso` (text; a naive time is local time at `tz_offset_hours` from UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Literal

from catalog.rows import LoaderError
from catalog.rows import Source

Kind = Literal["funding", "quotes", "trades", "bars"]
KINDS: tuple[Kind, ...] = ("funding", "quotes", "trades", "bars")
TIME_UNITS = ("s", "ms", "us", "ns", "iso")
TIME_FIELDS = ("time", "recv_time")

REQUIRED: dict[str, tuple[str, ...]] = {
    "funding": ("time", "rate"),
    "quotes": ("time", "bid", "ask"),
    "quotes/paired": ("time", "price", "side"),
    "trades": ("time", "price", "size", "side"),
    "bars": ("time", "open", "high", "low", "close", "volume"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    "funding": ("direction", "interval_hours", "symbol"),
    "quotes": ("recv_time", "bid_size", "ask_size", "symbol"),
    "quotes/paired": ("recv_time", "size", "symbol"),
    "trades": ("recv_time", "trade_id", "symbol"),
    "bars": ("interval", "symbol"),
}


@dataclass(frozen=True)
class Format:
    name: str
    kind: Kind
    columns: Mapping[str, str]  # loader field -> column in the file
    time_units: Mapping[str, str] = field(default_factory=dict)  # time field -> unit
    source: Source = field(default_factory=Source)
    tz_offset_hours: float = 0.0  # naive ISO times are local time at this offset from UTC
    multi_symbol: bool = False  # one file, many symbols: filter by the market's venue symbol by default
    paired_sides: bool = False  # quotes: one row per side (bid row then ask row) to pair into a quote
    bar_spec: str | None = None  # bars: e.g. "1-MINUTE-LAST" when the file does not say
    bar_time: Literal["open", "close"] = "open"
    description: str = ""

    @property
    def layout(self) -> str:
        return "quotes/paired" if self.paired_sides else self.kind

    def column(self, name: str) -> str | None:
        return self.columns.get(name)

    def unit(self, time_field: str) -> str:
        return self.time_units.get(time_field, "ms")

    def check(self) -> Format:
        """Fail early on a mapping that cannot work, naming what is missing."""
        missing = [f for f in REQUIRED[self.layout] if f not in self.columns]
        if missing:
            raise LoaderError(
                f"format '{self.name}' ({self.kind}): no column mapped for {', '.join(missing)} "
                f"(fields: {', '.join(REQUIRED[self.layout])}; optional: {', '.join(OPTIONAL[self.layout])})"
            )
        unknown = set(self.columns) - set(REQUIRED[self.layout]) - set(OPTIONAL[self.layout])
        if unknown:
            raise LoaderError(
                f"format '{self.name}' ({self.kind}): unknown field(s) {', '.join(sorted(unknown))} "
                f"(fields: {', '.join(REQUIRED[self.layout] + OPTIONAL[self.layout])})"
            )
        for f, unit in self.time_units.items():
            if unit not in TIME_UNITS:
                raise LoaderError(
                    f"format '{self.name}': time unit '{unit}' for {f} is not one of {TIME_UNITS}"
                )
        return self


def _f(name: str, kind: Kind, description: str, columns: dict[str, str], **kw) -> Format:
    return Format(name=name, kind=kind, columns=columns, description=description, **kw)


_HL_FUNDING = {"time": "time", "rate": "fundingRate", "symbol": "coin"}
_BINANCE_FUNDING = {"time": "fundingTime", "rate": "fundingRate", "symbol": "symbol"}
_TARDIS_TIMES = {"time": "us", "recv_time": "us"}

PRESETS: tuple[Format, ...] = (
    # -- funding-rate history (settlement records) ----------------------------------------------------
    _f("hyperliquid", "funding",
       "Hyperliquid info `fundingHistory`: coin,fundingRate,premium,time (ms); JSON array, CSV or VCR cassette",
       _HL_FUNDING, source=Source(cassette_request="fundingHistory")),
    _f("yuchengzhang", "funding",
       "yuchengzhang966 JSON: coin,funding_rate,(premium,)time (ms); HL hourly or Binance 8-hourly",
       {"time": "time", "rate": "funding_rate", "symbol": "coin"}),
    _f("binance", "funding",
       "Binance `/fapi/v1/fundingRate`: symbol,fundingTime (ms),fundingRate,markPrice; JSON or CSV",
       _BINANCE_FUNDING),
    _f("aster", "funding",
       "Aster `/fapi/v1/fundingRate` (Binance-compatible): fundingTime (ms),fundingRate",
       _BINANCE_FUNDING),
    _f("zushen", "funding",
       "ZuShen168 parquet: venue,venue_symbol,settlement_ts,rate_raw,interval_hours,...; "
       "many symbols per file, filtered by venue_symbol (default: the market's venue symbol)",
       {"time": "settlement_ts", "rate": "rate_raw", "interval_hours": "interval_hours", "symbol": "venue_symbol"},
       time_units={"time": "ns"}, multi_symbol=True),
    _f("supervik", "funding",
       "supervik CSV: Symbol,Date,Funding Rate; Date is naive UTC+3 for Binance/Bybit/HTX/MEXC/KuCoin "
       "(use tz_offset_hours=0 for Gate)",
       {"time": "Date", "rate": "Funding Rate", "symbol": "Symbol"},
       time_units={"time": "iso"}, tz_offset_hours=3.0),
    _f("pacifica", "funding",
       "Pacifica funding CSV: oracle_price,...,funding_rate,next_funding_rate,created_at (ms)",
       {"time": "created_at", "rate": "funding_rate"}),
    _f("lighter", "funding",
       "Lighter REST `fundings`: timestamp (s), rate (magnitude), direction (long = longs pay)",
       {"time": "timestamp", "rate": "rate", "direction": "direction"},
       time_units={"time": "s"}, source=Source(json_path=("fundings",))),
    _f("bybit", "funding",
       "Bybit v5 `/v5/market/funding/history`: result.list[symbol,fundingRate,fundingRateTimestamp (ms)]",
       {"time": "fundingRateTimestamp", "rate": "fundingRate", "symbol": "symbol"},
       source=Source(json_path=("result", "list"))),
    # -- quotes / BBO -----------------------------------------------------------------------------------
    _f("djienne-hyperliquid", "quotes",
       "djienne HL collector prices_<COIN>.csv: timestamp (receive, s),price,size,side (bid/ask),"
       "exchange_timestamp (ms); a bid row and an ask row per BBO update, paired into one quote",
       {"time": "exchange_timestamp", "recv_time": "timestamp", "price": "price", "size": "size", "side": "side"},
       time_units={"time": "ms", "recv_time": "s"}, paired_sides=True),
    _f("djienne-lighter", "quotes",
       "djienne Lighter collector prices_<COIN>.csv: timestamp (naive ISO, local UTC+2),"
       "bid_price,bid_size,ask_price,ask_size,market_id; rows not in time order",
       {"time": "timestamp", "bid": "bid_price", "bid_size": "bid_size", "ask": "ask_price", "ask_size": "ask_size"},
       time_units={"time": "iso"}, tz_offset_hours=2.0),
    _f("djienne-aster", "quotes",
       "djienne Aster collector prices_<SYMBOL>.csv.gz: unix_timestamp (s),bid,ask,mid; no sizes "
       "(a default size is used, see load_quotes)",
       {"time": "unix_timestamp", "bid": "bid", "ask": "ask"}, time_units={"time": "s"}),
    _f("tardis", "quotes",
       "Tardis.dev `quotes` CSV: exchange,symbol,timestamp,local_timestamp (us),ask_amount,ask_price,bid_price,bid_amount",
       {"time": "timestamp", "recv_time": "local_timestamp", "bid": "bid_price", "bid_size": "bid_amount",
        "ask": "ask_price", "ask_size": "ask_amount", "symbol": "symbol"},
       time_units=_TARDIS_TIMES),
    _f("tardis-book-snapshot", "quotes",
       "Tardis.dev `book_snapshot_N` CSV (e.g. binance-futures): top level asks[0]/bids[0] as the quote",
       {"time": "timestamp", "recv_time": "local_timestamp", "bid": "bids[0].price", "bid_size": "bids[0].amount",
        "ask": "asks[0].price", "ask_size": "asks[0].amount", "symbol": "symbol"},
       time_units=_TARDIS_TIMES),
    _f("binance-bookticker", "quotes",
       "Binance public-data futures `bookTicker` CSV: update_id,best_bid_price,best_bid_qty,best_ask_price,"
       "best_ask_qty,transaction_time (ms),event_time (ms)",
       {"time": "transaction_time", "recv_time": "event_time", "bid": "best_bid_price", "bid_size": "best_bid_qty",
        "ask": "best_ask_price", "ask_size": "best_ask_qty"},
       time_units={"time": "ms", "recv_time": "ms"}),
    # -- trades -----------------------------------------------------------------------------------------
    _f("djienne-hyperliquid", "trades",
       "djienne HL collector trades_<COIN>.csv: timestamp (receive, s),price,size,side,trade_id,exchange_timestamp (ms); "
       "trades re-sent after a reconnect are dropped by trade_id",
       {"time": "exchange_timestamp", "recv_time": "timestamp", "price": "price", "size": "size", "side": "side",
        "trade_id": "trade_id"},
       time_units={"time": "ms", "recv_time": "s"}),
    _f("djienne-lighter", "trades",
       "djienne Lighter collector trades_<COIN>.csv: timestamp (naive ISO, local UTC+2),price,size,side,trade_id,usd_amount",
       {"time": "timestamp", "price": "price", "size": "size", "side": "side", "trade_id": "trade_id"},
       time_units={"time": "iso"}, tz_offset_hours=2.0),
    _f("djienne-aster", "trades",
       "djienne Aster collector trades_<SYMBOL>.csv.gz: id,unix_timestamp_ms,side,price,quantity",
       {"time": "unix_timestamp_ms", "price": "price", "size": "quantity", "side": "side", "trade_id": "id"}),
    _f("kraken", "trades",
       "Kraken spot REST `Trades`: result.<PAIR> = [price, volume, time (s), side b/s, type, misc, trade_id]",
       {"time": "time", "price": "price", "size": "volume", "side": "side", "trade_id": "trade_id"},
       time_units={"time": "s"},
       source=Source(json_path=("result", "*"),
                     positional=("price", "volume", "time", "side", "type", "misc", "trade_id"))),
    _f("bybit", "trades",
       "Bybit v5 `/v5/market/recent-trade`: result.list[execId,symbol,price,size,side,time (ms)]",
       {"time": "time", "price": "price", "size": "size", "side": "side", "trade_id": "execId", "symbol": "symbol"},
       source=Source(json_path=("result", "list"))),
    _f("hyperliquid", "trades",
       "Hyperliquid info `recentTrades`: coin,side (B/A),px,sz,time (ms),tid",
       {"time": "time", "price": "px", "size": "sz", "side": "side", "trade_id": "tid", "symbol": "coin"}),
    _f("tardis", "trades",
       "Tardis.dev `trades` CSV: exchange,symbol,timestamp,local_timestamp (us),id,side,price,amount",
       {"time": "timestamp", "recv_time": "local_timestamp", "price": "price", "size": "amount", "side": "side",
        "trade_id": "id", "symbol": "symbol"},
       time_units=_TARDIS_TIMES),
    # -- bars -------------------------------------------------------------------------------------------
    _f("kraken", "bars",
       "Kraken spot REST `OHLC`: result.<PAIR> = [time (s, bar open), open, high, low, close, vwap, volume, count]; "
       "1-minute unless bar_spec says otherwise",
       {"time": "time", "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"},
       time_units={"time": "s"}, bar_spec="1-MINUTE-LAST",
       source=Source(json_path=("result", "*"),
                     positional=("time", "open", "high", "low", "close", "vwap", "volume", "count"))),
    _f("hyperliquid", "bars",
       "Hyperliquid info `candleSnapshot`: t (open, ms),T,s,i (interval),o,h,l,c,v,n; JSON array or VCR cassette",
       {"time": "t", "open": "o", "high": "h", "low": "l", "close": "c", "volume": "v", "interval": "i", "symbol": "s"},
       source=Source(cassette_request="candleSnapshot")),
    _f("bybit", "bars",
       "Bybit v5 `/v5/market/kline`: result.list = [start (ms), open, high, low, close, volume, turnover]",
       {"time": "start", "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"},
       source=Source(json_path=("result", "list"),
                     positional=("start", "open", "high", "low", "close", "volume", "turnover"))),
    _f("ohlcv", "bars",
       "OHLCV CSV: timestamp (naive ISO UTC, bar open),open,high,low,close,volume (e.g. Binance 1h klines); "
       "1-hour unless bar_spec says otherwise",
       {"time": "timestamp", "open": "open", "high": "high", "low": "low", "close": "close", "volume": "volume"},
       time_units={"time": "iso"}, bar_spec="1-HOUR-LAST"),
)  # fmt: skip

_BY_KEY = {(f.kind, f.name): f for f in PRESETS}


def preset(kind: Kind, name: str) -> Format:
    try:
        return _BY_KEY[(kind, name)]
    except KeyError:
        names = ", ".join(f.name for f in PRESETS if f.kind == kind)
        raise LoaderError(f"unknown {kind} format '{name}' (known: {names})") from None


def presets(kind: Kind | None = None) -> list[Format]:
    return [f for f in PRESETS if kind is None or f.kind == kind]


def custom_format(
    kind: Kind,
    columns: Mapping[str, str],
    time_unit: str | None = None,
    base: Format | None = None,
    **overrides,
) -> Format:
    """A format from an explicit column mapping (`{"time": "ts", "rate": "r"}`), optionally on top of a
    preset whose mapping it extends or overrides. `time_unit`, when given, applies to every time field
    (without a base, time fields default to ms)."""
    if base is not None and base.kind != kind:
        raise LoaderError(f"format '{base.name}' is a {base.kind} format, not {kind}")
    merged = {**(base.columns if base else {}), **columns}
    units = dict(base.time_units) if base else {}
    for f in TIME_FIELDS:
        if time_unit is not None:
            units[f] = time_unit
        else:
            units.setdefault(f, "ms")
    name = (f"{base.name}+columns" if columns else base.name) if base else "custom"
    fmt = base or Format(name=name, kind=kind, columns={})
    return replace(fmt, name=name, columns=merged, time_units=units, **overrides).check()


def parse_columns(text: str) -> dict[str, str]:
    """`time=fundingTime,rate=fundingRate` -> {"time": "fundingTime", "rate": "fundingRate"}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise LoaderError(f"column mapping '{part}' is not FIELD=COLUMN")
        out[key.strip()] = value.strip()
    return out
