"""Bitget adapter (API v2, classic account): USDT-M perpetuals (stock perps such as NVDAUSDT
included) and spot.

    config.py          BitgetDataClientConfig / BitgetExecClientConfig (TradingNodeConfig)
    factories.py       BitgetLiveDataClientFactory / BitgetLiveExecClientFactory, credentials lookup
    constants.py       URLs, product types, rate limits, env var names, status/TIF vocabulary, error codes
    symbols.py         instrument-id conventions (agree with catalog/registry.toml)
    markets.py         (product type, symbol) <-> instrument table with the tick / lot rules
    schemas.py         msgspec wire structs, one decoder per message
    legacy.py          the retired v1 messages mapped onto the v2 structs (recordings)
    books.py           local L2 book and the venue's CRC32 checksum
    parsing.py         one message -> Nautilus objects (pure)
    orders.py          Nautilus order -> request body (force, reduceOnly, clientOid, tick rounding)
    signing.py         HMAC-SHA256/base64 request signing, WebSocket login, demo header
    http.py            public and signed REST over adapters.common.http, error codes -> taxonomy
    websocket.py       subscriptions (batched), plain-text ping, private login over adapters.common.websocket
    providers.py       instruments from the v2 contracts and spot symbols endpoints
    history.py         funding history, candles, recent trades (catalog downloader)
    data.py            market data client (books with checksum + resync, quotes, trades, bars,
                       mark / index / funding incl. interval, FeedStatus)
    execution.py       execution client (orders, private streams, FundingPayment from bills, resync)
    reconciliation.py  order / fill / position reports for (re)starting nodes
    bench.py           `arb bench adapter bitget`

Instrument ids: `<SYMBOL>-PERP.BITGET` (USDT-M perpetual, e.g. NVDAUSDT-PERP.BITGET) and
`<SYMBOL>-SPOT.BITGET` (spot, e.g. BTCUSDT-SPOT.BITGET); the raw symbol is the venue symbol.

Register on a node under "BITGET":

    node.add_data_client_factory("BITGET", BitgetLiveDataClientFactory)
    node.add_exec_client_factory("BITGET", BitgetLiveExecClientFactory)
"""
