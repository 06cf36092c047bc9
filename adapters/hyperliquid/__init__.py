"""Hyperliquid adapter: main-dex perps, spot (`@index` pairs) and HIP-3 builder perps (`xyz:NVDA`).

    config.py          HyperliquidDataClientConfig / HyperliquidExecClientConfig (TradingNodeConfig)
    factories.py       HyperliquidLiveDataClientFactory / HyperliquidLiveExecClientFactory
    constants.py       URLs, rules, weights, env var names, venue status vocabulary
    symbols.py         instrument-id conventions (agree with catalog/registry.toml)
    schemas.py         msgspec wire structs, one decoder per message
    parsing.py         one message -> Nautilus objects (pure)
    pricing.py         tick/lot rules and the wire number format
    orders.py          Nautilus order -> order wire (TIF, passive rounding, cloid)
    signing.py         L1 action signing through hyperliquid-python-sdk, nonces
    http.py            /info queries and signed /exchange actions over adapters.common.http
    websocket.py       subscriptions/heartbeat over adapters.common.websocket
    assets.py          coin <-> asset id <-> instrument table
    providers.py       instruments from meta / spotMeta / perpDexs / per-dex meta
    history.py         candles, funding history, recent trades (catalog downloader)
    data.py            market data client (BBO, book, trades, bars, mark/oracle/funding, FeedStatus)
    execution.py       execution client (orders, private streams, FundingPayment, resync)
    reconciliation.py  order / fill / position reports for (re)starting nodes
    bench.py           `arb bench adapter hyperliquid`

Register on a node under "HYPERLIQUID":

    node.add_data_client_factory("HYPERLIQUID", HyperliquidLiveDataClientFactory)
    node.add_exec_client_factory("HYPERLIQUID", HyperliquidLiveExecClientFactory)
"""
