"""Venue protocol fronts. Each entry: venue name -> "module:create" building a `VenueSim`."""

FRONTS: dict[str, str] = {
    "hyperliquid": "venuesim.fronts.hyperliquid:create",
    "bitget": "venuesim.fronts.bitget:create",
    "bybit": "venuesim.fronts.bybit:create",
}


def create_sim(venue: str, **kwargs):
    import importlib

    target = FRONTS.get(venue.lower())
    if target is None:
        raise KeyError(f"no venuesim front for '{venue}' (available: {', '.join(sorted(FRONTS))})")
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)(**kwargs)
