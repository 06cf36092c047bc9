"""Hyperliquid adapter: perps, spot (`@index` pairs) and HIP-3 builder perps (`xyz:NVDA`).

Entry points: `HyperliquidDataClientConfig` / `HyperliquidExecClientConfig` (config.py) and
`HyperliquidLiveDataClientFactory` / `HyperliquidLiveExecClientFactory` (factories.py), registered
on a TradingNode under "HYPERLIQUID". Instrument-id conventions: see `symbols.py`.
"""
