"""The instrument-provider behaviour our venues share.

Every market of the venue is always loaded: symbol and asset-id lookups are needed for every frame
and every order, and the metadata is small. `load_ids` (from the provider config) only narrows what
a client publishes to the cache (`published()`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument


class VenueInstrumentProvider(InstrumentProvider):
    venue_name = "the venue"  # as written in log messages
    unavailable = "or not trading"  # why a configured id may be missing

    def __init__(self, config: InstrumentProviderConfig | None = None) -> None:
        super().__init__(config or InstrumentProviderConfig(load_all=True))
        self._lock = asyncio.Lock()

    async def initialize(self, reload: bool = False) -> None:
        if self._loaded and not reload:
            return
        async with self._lock:
            if self._loaded and not reload:
                return
            await self.load_all_async(self._filters)

    def _replace_all(self, instruments: Iterable[Instrument]) -> None:
        """Make `instruments` (with their currencies) the provider's whole set."""
        self._instruments.clear()
        for instrument in instruments:
            self.add_currency(instrument.quote_currency)
            self.add_currency(instrument.base_currency)
            self.add(instrument)
        self._loaded = True

    async def load_ids_async(self, instrument_ids: list[InstrumentId], filters: dict | None = None) -> None:
        await self.initialize()
        missing = [i for i in instrument_ids if i not in self._instruments]
        if missing:
            self._log.warning(
                f"Not {self.venue_name} markets ({self.unavailable}): {', '.join(map(str, missing))}"
            )

    async def load_async(self, instrument_id: InstrumentId, filters: dict | None = None) -> None:
        await self.load_ids_async([instrument_id], filters)

    def published(self) -> list[Instrument]:
        """The instruments a client publishes: `load_ids` when configured, otherwise all."""
        if self._load_ids_on_start:
            ids = {
                i if isinstance(i, InstrumentId) else InstrumentId.from_str(i)
                for i in self._load_ids_on_start
            }
            return [i for i in self._instruments.values() if i.id in ids]
        return list(self._instruments.values())
