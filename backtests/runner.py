"""`arb backtest run CONFIG.toml`: TOML config -> BacktestNode over the catalog -> results folder."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from nautilus_trader.backtest.config import BacktestDataConfig
from nautilus_trader.backtest.config import BacktestEngineConfig
from nautilus_trader.backtest.config import BacktestRunConfig
from nautilus_trader.backtest.config import BacktestVenueConfig
from nautilus_trader.backtest.config import ImportableFeeModelConfig
from nautilus_trader.backtest.config import ImportableLatencyModelConfig
from nautilus_trader.common.config import ImportableActorConfig
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.persistence.funcs import urisafe_identifier
from nautilus_trader.trading.config import ImportableStrategyConfig

from backtests.config import DATA_TYPES
from backtests.config import ConfigError
from backtests.config import RunConfig
from backtests.config import load_config
from backtests.config import starting_balance
from backtests.config import strategy_instruments
from backtests.funding import FundingSettlementModule
from backtests.models import latency_model_config
from backtests.node import ArbBacktestNode
from backtests.node import ProgressFactory
from backtests.results import config_hash
from backtests.results import write_results
from catalog.store import ArbCatalog
from catalog.store import open_catalog

BOOK_TYPES = ("book", "depth10")
DATA_CLS = {
    "quotes": "nautilus_trader.model.data:QuoteTick",
    "trades": "nautilus_trader.model.data:TradeTick",
    "funding": "nautilus_trader.model.data:FundingRateUpdate",
    "depth10": "nautilus_trader.model.data:OrderBookDepth10",
    "book": "nautilus_trader.model.data:OrderBookDelta",
    "mark": "nautilus_trader.model.data:MarkPriceUpdate",
}


@dataclass
class BacktestOutcome:
    results_dir: Path
    summary: dict[str, Any]
    events: int
    wall_seconds: float
    strategies: list[Any]


@dataclass(frozen=True)
class Plan:
    """What a config resolves to against the catalog: checked before anything runs."""

    config: RunConfig
    catalog: ArbCatalog
    instruments: list[str]
    start_ns: int
    end_ns: int
    data_types: dict[str, list[str]]  # type name -> instrument ids that have it


def _has(catalog: ArbCatalog, folder: str, instrument_id: str) -> bool:
    return (Path(catalog.path) / "data" / folder / urisafe_identifier(instrument_id)).is_dir()


def plan(config: RunConfig) -> Plan:
    try:
        catalog = open_catalog(config.backtest.catalog)
    except FileNotFoundError as e:
        raise ConfigError(f"backtest.catalog: {e}") from None
    registry = config.registry

    wanted: list[str] = [
        i for ids in strategy_instruments(config.strategies, config.venues, registry) for i in ids
    ]
    if config.data.assets:
        for asset in config.data.assets:
            for m in registry.markets_where(asset=asset):
                if m.venue in config.venues and _has(catalog, "quote_tick", m.instrument_id.value):
                    wanted.append(m.instrument_id.value)
    wanted.extend(config.data.instruments)
    instruments = list(dict.fromkeys(wanted))

    available = sorted(p.name for p in (Path(catalog.path) / "data" / "quote_tick").glob("*"))
    missing = [i for i in instruments if not _has(catalog, "quote_tick", i)]
    if missing:
        raise ConfigError(
            f"backtest.catalog: no quotes for {', '.join(missing)} in {catalog.path} "
            f"(instruments with quotes: {', '.join(available) or 'none'})"
        )
    catalog_ids = {i.id.value for i in catalog.instruments()}
    missing_defs = [i for i in instruments if i not in catalog_ids]
    if missing_defs:
        raise ConfigError(f"backtest.catalog: instrument definitions missing for {', '.join(missing_defs)}")

    starts, ends = [], []
    for instrument_id in instruments:
        intervals = catalog.get_intervals(QuoteTick, instrument_id)
        if intervals:
            starts.append(min(s for s, _ in intervals))
            ends.append(max(e for _, e in intervals))
    data_start, data_end = min(starts), max(ends)
    start = max(data_start, config.start_ns or data_start)
    end = min(data_end, config.end_ns or data_end)
    if start >= end:
        raise ConfigError(
            f"backtest.start/end: empty time range: the data covers {pd.Timestamp(data_start, tz='UTC')} .. "
            f"{pd.Timestamp(data_end, tz='UTC')}, the config asks for {config.backtest.start} .. {config.backtest.end}"
        )
    data_types = {}
    for t in config.data.types:
        with_data = [i for i in instruments if _has(catalog, DATA_TYPES[t], i)]
        if with_data:
            data_types[t] = with_data
    for name, venue_cfg in config.venues.items():
        if venue_cfg.book_type == "L1_MBP":
            continue
        on_venue = [i for i in instruments if i.endswith(f".{name}")]
        with_book = {i for t in BOOK_TYPES for i in data_types.get(t, [])}
        missing_book = [i for i in on_venue if i not in with_book]
        if missing_book:
            raise ConfigError(
                f"venues.{name}.book_type: {venue_cfg.book_type} needs order book data for {', '.join(missing_book)} "
                f"(add 'book' or 'depth10' to data.types, with that data in the catalog, or use L1_MBP)"
            )
    return Plan(config, catalog, instruments, start, end, data_types)


def build_run_config(p: Plan, run_key: str) -> BacktestRunConfig:
    config = p.config
    registry = config.registry
    venues = []
    for name, venue in config.venues.items():
        spec = registry.venue(name)
        spot_ids = [
            i
            for i in p.instruments
            if i.endswith(f".{name}") and (m := registry.find_market(i)) and m.kind == "spot"
        ]
        latency = venue.latency_ms if venue.latency_ms is not None else spec.latency_ms
        venues.append(
            BacktestVenueConfig(
                name=name,
                oms_type="NETTING",
                account_type="MARGIN",
                base_currency=spec.settlement_currency,
                starting_balances=[starting_balance(venue, spec.settlement_currency)],
                default_leverage=venue.leverage,
                leverages={i: 1.0 for i in spot_ids},  # spot is not leveraged
                book_type=venue.book_type,
                modules=[
                    ImportableActorConfig(
                        actor_path="backtests.funding:FundingSettlementModule",
                        config_path="backtests.funding:FundingSettlementConfig",
                        config={"venue": name, "run_key": run_key, "registry_path": config.backtest.registry},
                    )
                ],
                fee_model=ImportableFeeModelConfig(
                    fee_model_path="backtests.models:RegistryFeeModel",
                    config_path="backtests.models:RegistryFeeModelConfig",
                    config={"registry_path": config.backtest.registry},
                ),
                latency_model=ImportableLatencyModelConfig(
                    latency_model_path="nautilus_trader.backtest.models:LatencyModel",
                    config_path="nautilus_trader.backtest.config:LatencyModelConfig",
                    config=latency_model_config(latency),
                ),
            )
        )
    data = []
    for t, ids in p.data_types.items():
        if t in BOOK_TYPES:
            # Nautilus checks L2/L3 venues against per-instrument book data configs
            data += [
                BacktestDataConfig(
                    catalog_path=str(p.catalog.path),
                    data_cls=DATA_CLS[t],
                    instrument_id=InstrumentId.from_str(i),
                )
                for i in ids
            ]
        else:
            data.append(
                BacktestDataConfig(catalog_path=str(p.catalog.path), data_cls=DATA_CLS[t], instrument_ids=ids)
            )
    strategies = [
        ImportableStrategyConfig(
            strategy_path=entry.kind.strategy_path,
            config_path=f"{type(entry.config).__module__}:{type(entry.config).__name__}",
            config=entry.config.dict(),
        )
        for entry in config.strategies
    ]
    actors = []
    if config.backtest.equity_every_s > 0:
        actors.append(
            ImportableActorConfig(
                actor_path="backtests.equity:EquityRecorder",
                config_path="backtests.equity:EquityRecorderConfig",
                config={
                    "venues": sorted(config.venues),
                    "interval_s": config.backtest.equity_every_s,
                    "component_id": "EquityRecorder",
                },
            )
        )
    engine = BacktestEngineConfig(
        trader_id="BACKTESTER-001",
        logging=LoggingConfig(
            log_level=config.backtest.log_level,
            log_colors=False,
            bypass_logging=config.backtest.log_level == "OFF",
        ),
        strategies=strategies,
        actors=actors,
        run_analysis=False,
    )
    return BacktestRunConfig(
        engine=engine,
        venues=venues,
        data=data,
        chunk_size=config.backtest.chunk_size,
        start=p.start_ns,
        end=p.end_ns,
        dispose_on_completion=False,
        raise_exception=True,
    )


def results_dir_for(config: RunConfig, out: str | Path | None) -> Path:
    if out is not None:
        return Path(out)
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y%m%dT%H%M%S")
    return Path(config.backtest.results) / f"{config.backtest.name}-{stamp}"


def run_backtest(
    config: RunConfig | str | Path,
    out: str | Path | None = None,
    progress: ProgressFactory | None = None,
) -> BacktestOutcome:
    cfg = config if isinstance(config, RunConfig) else load_config(config)
    p = plan(cfg)
    run_key = uuid.uuid4().hex
    run_config = build_run_config(p, run_key)
    node = ArbBacktestNode([run_config], progress=progress if cfg.backtest.progress else None)
    t0 = time.perf_counter()
    try:
        node.run()
        wall = time.perf_counter() - t0
        engine = node.get_engine(run_config.id)
        assert engine is not None, "the backtest node lost its engine"
        modules = FundingSettlementModule.take(run_key)
        ledger = [payment for module in modules for payment in module.ledger]
        results = results_dir_for(cfg, out)
        balances = {
            name: Decimal(starting_balance(v, cfg.registry.venue(name).settlement_currency).split()[0])
            for name, v in cfg.venues.items()
        }
        run_info = {
            "name": cfg.backtest.name,
            "run_id": str(engine.run_id),
            "config_hash": config_hash(cfg.source),
            "config": cfg.source,
            "data": {
                "catalog": str(Path(p.catalog.path).resolve()),
                "start": pd.Timestamp(p.start_ns, tz="UTC").isoformat(),
                "end": pd.Timestamp(p.end_ns, tz="UTC").isoformat(),
                "instruments": p.instruments,
                "types": {t: len(ids) for t, ids in p.data_types.items()},
            },
            "run": {
                "events": engine.iteration,
                "wall_seconds": round(wall, 3),
                "events_per_second": round(engine.iteration / wall, 1) if wall > 0 else None,
            },
        }
        text = cfg.path.read_text() if cfg.path else None
        summary = write_results(engine, results, ledger, run_info, balances, config_text=text)
        return BacktestOutcome(results, summary, engine.iteration, wall, list(engine.trader.strategies()))
    finally:
        FundingSettlementModule.take(run_key)
        node.dispose()
