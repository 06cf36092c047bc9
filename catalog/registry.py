"""Canonical instrument registry: asset -> per-venue market, spec, funding interval, dated fees.

The data lives in `registry.toml` next to this file (plain and readable); users can layer their own
file on top (`Registry.load(extra=[path])`), entries in later files replacing earlier ones.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.instruments import CurrencyPair
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

DEFAULT_REGISTRY = Path(__file__).with_name("registry.toml")
BPS = Decimal("0.0001")
NANOS_PER_HOUR = 3_600_000_000_000

MarketKind = Literal["perp", "spot"]
Liquidity = Literal["maker", "taker"]


class RegistryError(ValueError):
    """A lookup or a registry file names something that does not exist or is malformed."""


def _ts(value: str | int | pd.Timestamp) -> int:
    if isinstance(value, int):
        return value
    return pd.Timestamp(value, tz="UTC").value if not isinstance(value, pd.Timestamp) else value.value


def _choices(values: Iterable[str]) -> str:
    return ", ".join(sorted(set(values)))


@dataclass(frozen=True)
class FeeRate:
    maker: Decimal  # fraction of notional (0.0002 = 2 bps)
    taker: Decimal

    def rate(self, liquidity: Liquidity) -> Decimal:
        return self.maker if liquidity == "maker" else self.taker


@dataclass(frozen=True)
class FeeScheduleEntry:
    since_ns: int
    classes: dict[str, FeeRate]


@dataclass(frozen=True)
class VenueSpec:
    name: str
    settlement_currency: str
    funding_interval_hours: int | None
    latency_ms: int
    fees: tuple[FeeScheduleEntry, ...]
    data_only: bool = False

    def fee_rate(self, fee_class: str, ts: int) -> FeeRate:
        """The maker/taker rates for `fee_class` in force at `ts` (UTC ns)."""
        current: FeeRate | None = None
        for entry in self.fees:  # sorted by since_ns
            if entry.since_ns > ts:
                break
            if fee_class in entry.classes:
                current = entry.classes[fee_class]
        if current is None:
            known = {c for e in self.fees for c in e.classes}
            first = self.fees[0].since_ns if self.fees else None
            raise RegistryError(
                f"venue {self.name}: no '{fee_class}' fees in force at {pd.Timestamp(ts, tz='UTC')} "
                f"(fee classes: {_choices(known) or 'none'}; schedule starts {pd.Timestamp(first, tz='UTC') if first else 'never'})"
            )
        return current


@dataclass(frozen=True)
class MarketSpec:
    asset: str
    venue: str
    kind: MarketKind
    symbol: str
    instrument_id: InstrumentId
    base: str
    quote: str
    tick: Decimal
    lot: Decimal
    min_size: Decimal
    min_notional: Decimal
    fee_class: str
    funding_interval_hours: int | None
    funding_interval_changes: tuple[tuple[int, int], ...] = field(default=())  # (since_ns, hours)
    venue_spec: VenueSpec | None = field(default=None, compare=False, repr=False)

    @property
    def is_perp(self) -> bool:
        return self.kind == "perp"

    @property
    def price_precision(self) -> int:
        return max(0, -self.tick.normalize().as_tuple().exponent)  # type: ignore[operator]

    @property
    def size_precision(self) -> int:
        return max(0, -self.lot.normalize().as_tuple().exponent)  # type: ignore[operator]

    def fee(self, liquidity: Liquidity, ts: int) -> Decimal:
        assert self.venue_spec is not None
        return self.venue_spec.fee_rate(self.fee_class, ts).rate(liquidity)

    def funding_interval_at(self, ts: int) -> int | None:
        """Funding interval in hours in force at `ts`; None for spot."""
        hours = self.funding_interval_hours
        for since, h in self.funding_interval_changes:
            if since <= ts:
                hours = h
        return hours

    def next_funding_time(self, ts: int) -> int | None:
        """First settlement strictly after `ts`: intervals are aligned to 00:00 UTC."""
        hours = self.funding_interval_at(ts)
        if not hours:
            return None
        step = hours * NANOS_PER_HOUR
        return (ts // step + 1) * step

    def round_size_down(self, qty: Decimal) -> Decimal:
        return (qty / self.lot).to_integral_value(rounding="ROUND_FLOOR") * self.lot

    def to_instrument(
        self, ts: int, margin_init: Decimal = Decimal(1), margin_maint: Decimal = Decimal("0.5")
    ) -> Instrument:
        """The Nautilus instrument for this market, with the fees in force at `ts`.

        Margins: Nautilus's default (leveraged) margin model divides by the account leverage, so
        `margin_init = 1` makes the initial margin notional / leverage, as on the venues, and the
        maintenance margin half of that."""
        base = Currency.from_str(self.base, strict=False)
        quote = Currency.from_str(self.quote, strict=False)
        common = dict(
            instrument_id=self.instrument_id,
            raw_symbol=Symbol(self.symbol),
            base_currency=base,
            quote_currency=quote,
            price_precision=self.price_precision,
            size_precision=self.size_precision,
            price_increment=Price(self.tick, self.price_precision),
            size_increment=Quantity(self.lot, self.size_precision),
            min_quantity=Quantity(self.min_size, self.size_precision),
            min_notional=Money(self.min_notional, quote),
            margin_init=margin_init,
            margin_maint=margin_maint,
            maker_fee=self.fee("maker", ts),
            taker_fee=self.fee("taker", ts),
            ts_event=ts,
            ts_init=ts,
        )
        if self.kind == "perp":
            return CryptoPerpetual(settlement_currency=quote, is_inverse=False, **common)
        return CurrencyPair(**common)


@dataclass(frozen=True)
class Registry:
    venues: dict[str, VenueSpec]
    markets: tuple[MarketSpec, ...]

    # -- lookups ---------------------------------------------------------------------------------
    def venue(self, name: str) -> VenueSpec:
        try:
            return self.venues[name]
        except KeyError:
            raise RegistryError(f"unknown venue '{name}' (known venues: {_choices(self.venues)})") from None

    def assets(self) -> list[str]:
        return sorted({m.asset for m in self.markets})

    def market(self, asset: str, venue: str, kind: MarketKind | None = None) -> MarketSpec:
        self.venue(venue)
        found = [
            m
            for m in self.markets
            if m.asset == asset and m.venue == venue and (kind is None or m.kind == kind)
        ]
        if not found:
            if asset not in self.assets():
                raise RegistryError(f"unknown asset '{asset}' (known assets: {_choices(self.assets())})")
            here = [f"{m.venue}:{m.kind}" for m in self.markets if m.asset == asset]
            raise RegistryError(
                f"no {kind or ''} market for {asset} on {venue} (markets for {asset}: {_choices(here)})".replace(
                    "  ", " "
                )
            )
        if len(found) > 1:
            if kind is None:
                # A venue with both spot and perp: the perp is the default leg.
                perps = [m for m in found if m.kind == "perp"]
                if len(perps) == 1:
                    return perps[0]
            raise RegistryError(
                f"{asset} on {venue} is ambiguous: {', '.join(str(m.instrument_id) for m in found)}"
            )
        return found[0]

    def market_for(self, instrument_id: InstrumentId | str) -> MarketSpec:
        key = str(instrument_id)
        for m in self.markets:
            if str(m.instrument_id) == key:
                return m
        raise RegistryError(f"instrument '{key}' is not in the registry")

    def find_market(self, instrument_id: InstrumentId | str) -> MarketSpec | None:
        try:
            return self.market_for(instrument_id)
        except RegistryError:
            return None

    def markets_where(self, asset: str | None = None, venue: str | None = None) -> list[MarketSpec]:
        return [
            m
            for m in self.markets
            if (asset is None or m.asset == asset) and (venue is None or m.venue == venue)
        ]

    # -- loading ---------------------------------------------------------------------------------
    @staticmethod
    def load(path: Path | str | None = None, extra: Iterable[Path | str] = ()) -> Registry:
        files = [Path(path) if path else DEFAULT_REGISTRY, *[Path(p) for p in extra]]
        venues_raw: dict[str, dict] = {}
        markets_raw: dict[tuple[str, str, str], dict] = {}
        for f in files:
            if not f.exists():
                raise RegistryError(f"registry file not found: {f}")
            with f.open("rb") as fh:
                try:
                    doc = tomllib.load(fh)
                except tomllib.TOMLDecodeError as e:
                    raise RegistryError(f"{f}: {e}") from None
            unknown = set(doc) - {"venues", "markets"}
            if unknown:
                raise RegistryError(f"{f}: unknown section(s) {_choices(unknown)} (allowed: markets, venues)")
            venues_raw.update(doc.get("venues", {}))
            for i, m in enumerate(doc.get("markets", [])):
                for key in ("asset", "venue", "kind"):
                    if key not in m:
                        raise RegistryError(f"{f}: markets[{i}] is missing '{key}'")
                markets_raw[(m["asset"], m["venue"], m["kind"])] = {**m, "_file": str(f), "_index": i}
        venues = {name: _parse_venue(name, raw) for name, raw in venues_raw.items()}
        markets = tuple(_parse_market(raw, venues) for raw in markets_raw.values())
        return Registry(venues=venues, markets=markets)


_VENUE_KEYS = {"settlement_currency", "funding_interval_hours", "latency_ms", "fees", "data_only"}
_MARKET_KEYS = {
    "asset", "venue", "kind", "symbol", "instrument_id", "tick", "lot", "min_size", "min_notional",
    "fee_class", "funding_interval_hours", "funding_interval_changes", "base", "quote",
}  # fmt: skip


def _parse_venue(name: str, raw: dict) -> VenueSpec:
    unknown = set(raw) - _VENUE_KEYS
    if unknown:
        raise RegistryError(
            f"venue {name}: unknown key(s) {_choices(unknown)} (allowed: {_choices(_VENUE_KEYS)})"
        )
    entries = []
    for i, entry in enumerate(raw.get("fees", [])):
        if "since" not in entry:
            raise RegistryError(f"venue {name}: fees[{i}] is missing 'since'")
        classes = {}
        for cls, rates in entry.items():
            if cls == "since":
                continue
            try:
                classes[cls] = FeeRate(Decimal(rates["maker_bps"]) * BPS, Decimal(rates["taker_bps"]) * BPS)
            except (KeyError, TypeError, ArithmeticError):
                raise RegistryError(f"venue {name}: fees[{i}].{cls} needs maker_bps and taker_bps") from None
        entries.append(FeeScheduleEntry(_ts(str(entry["since"])), classes))
    entries.sort(key=lambda e: e.since_ns)
    return VenueSpec(
        name=name,
        settlement_currency=raw.get("settlement_currency", "USDT"),
        funding_interval_hours=raw.get("funding_interval_hours"),
        latency_ms=int(raw.get("latency_ms", 50)),
        fees=tuple(entries),
        data_only=bool(raw.get("data_only", False)),
    )


def _parse_market(raw: dict, venues: dict[str, VenueSpec]) -> MarketSpec:
    where = f"{raw['_file']}: markets[{raw['_index']}] ({raw['asset']} on {raw['venue']})"
    unknown = set(raw) - _MARKET_KEYS - {"_file", "_index"}
    if unknown:
        raise RegistryError(
            f"{where}: unknown key(s) {_choices(unknown)} (allowed: {_choices(_MARKET_KEYS)})"
        )
    venue = venues.get(raw["venue"])
    if venue is None:
        raise RegistryError(f"{where}: unknown venue '{raw['venue']}' (known venues: {_choices(venues)})")
    kind = raw["kind"]
    if kind not in ("perp", "spot"):
        raise RegistryError(f"{where}: kind must be 'perp' or 'spot', got '{kind}'")
    try:
        instrument_id = InstrumentId.from_str(raw["instrument_id"])
        decimals = {k: Decimal(str(raw[k])) for k in ("tick", "lot", "min_size", "min_notional")}
    except KeyError as e:
        raise RegistryError(f"{where}: missing '{e.args[0]}'") from None
    except (ValueError, ArithmeticError) as e:
        raise RegistryError(f"{where}: {e}") from None
    if instrument_id.venue.value != venue.name:
        raise RegistryError(f"{where}: instrument_id {instrument_id} is not on venue {venue.name}")
    quote = raw.get("quote") or (venue.settlement_currency if kind == "perp" else _spot_quote(raw["symbol"]))
    hours = raw.get("funding_interval_hours", venue.funding_interval_hours) if kind == "perp" else None
    changes = tuple(
        sorted((_ts(str(c["since"])), int(c["hours"])) for c in raw.get("funding_interval_changes", []))
    )
    spec = MarketSpec(
        asset=raw["asset"],
        venue=venue.name,
        kind=kind,
        symbol=raw.get("symbol", raw["asset"]),
        instrument_id=instrument_id,
        base=raw.get("base", raw["asset"]),
        quote=quote,
        fee_class=raw.get("fee_class", kind),
        funding_interval_hours=hours,
        funding_interval_changes=changes,
        venue_spec=venue,
        **decimals,
    )
    spec.fee("taker", 2**62)  # fail now, not mid-backtest, if the venue has no fees for this class
    return spec


def _spot_quote(symbol: str) -> str:
    for q in ("USDT", "USDC", "USD", "EUR"):
        if symbol.replace("/", "").endswith(q):
            return q
    raise RegistryError(f"cannot infer the quote currency of spot symbol '{symbol}': set 'quote'")


@cache
def default_registry() -> Registry:
    return Registry.load()
