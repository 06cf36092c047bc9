"""venuesim: protocol-faithful local venue simulators, to rehearse nodes offline.

    core/      the venue-agnostic matching core: markets with price paths (generated or replayed
               from a catalog), synthetic L2 books, IOC / GTC / post-only orders, partial fills,
               positions, margin, funding settlement; events for the fronts
    fronts/    one protocol front per venue on its own loopback port, speaking that venue's REST
               and WebSocket messages and checking its authentication (hyperliquid/ today; new
               venues register in fronts.FRONTS - see fronts/base.py)
    faults.py  fault injection (HTTP errors and 429s, delayed or lost acks, dropped/silent sockets,
               malformed / duplicated / reordered frames, rejects, partial fills)
    server.py  VenueSim (one venue: core + front + ticker + control API) and SimThread
    cli.py     `arb venuesim run`

Quick start (Python):

    from venuesim.fronts.hyperliquid import create
    from venuesim.server import SimThread
    sim = create(accounts=[{"address": "0x..."}])
    with SimThread(sim):
        print(sim.urls())                 # point HyperliquidDataClientConfig(base_url_http=..., testnet=True) here
        sim.shift("BTC", 150)             # +1.5 % dislocation
        sim.settle_funding("BTC", "0.0005")
        sim.set_faults(ws_drop_after_frames=100)
"""
