"""Run in a fresh process by test_bitget_node_lifecycle: a node at DEBUG log level trades,
reconnects (logging in again) and settles funding with credentials from the environment, then with
credentials passed explicitly in the config, then fails to log in with a wrong passphrase, and
prints everything it can (logs, reprs, errors) to stdout for the test to search."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bg_support import API_KEY
from bg_support import API_SECRET
from bg_support import NVDA
from bg_support import PASSPHRASE
from bg_support import BitgetNode
from bg_support import ProbeConfig
from bg_support import limit
from bg_support import node_config
from bg_support import running_sim
from bg_support import wait_for
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce

from adapters.bitget.config import BitgetExecClientConfig
from adapters.bitget.factories import build_signer
from catalog.funding import FundingPayment


def with_debug(config):
    fields = {f: getattr(config, f) for f in config.__struct_fields__}
    return config.__class__(**{**fields, "logging": LoggingConfig(log_level="DEBUG", log_colors=False)})


async def ws_login(sim, passphrase: str) -> str | None:
    from nautilus_trader.common.component import Logger

    from adapters.bitget.signing import BitgetSigner
    from adapters.bitget.websocket import BitgetWebSocket
    from adapters.common.credentials import Secret
    from adapters.common.frames import FrameStats

    log = Logger("LoginCheck")
    signer = BitgetSigner(Secret(API_KEY), Secret(API_SECRET), Secret(passphrase))
    ws = BitgetWebSocket(
        sim.ws_url.replace("/public", "/private"),
        handler=lambda *a: None,
        stats=FrameStats(log),
        logger=log,
        signer=signer,
        name="login-check",
    )
    await ws.connect()
    try:
        return await ws.wait_logged_in(5)
    finally:
        await ws.close()


def main() -> None:
    os.environ["BITGET_API_KEY"] = API_KEY
    os.environ["BITGET_API_SECRET"] = API_SECRET
    os.environ["BITGET_API_PASSPHRASE"] = PASSPHRASE
    with running_sim(tick_secs=0.05) as sim:
        config = with_debug(node_config(sim, credentials=False))
        print("CONFIG", repr(config))
        with BitgetNode(config, ProbeConfig(quotes=[str(NVDA)], custom=[str(NVDA)])) as h:
            wait_for(lambda: h.probe.quotes, 10, "quotes")
            ask = h.probe.quotes[-1].ask_price.as_decimal()
            order = h.call(
                lambda: limit(
                    h.probe,
                    NVDA,
                    OrderSide.BUY,
                    "1",
                    str((ask * Decimal("1.01")).quantize(Decimal("0.01"))),
                    time_in_force=TimeInForce.IOC,
                )
            )
            h.call(lambda: h.probe.submit_order(order))
            wait_for(lambda: h.probe.of_type("OrderFilled"), 10, "fill")
            sim.drop_sockets()
            wait_for(
                lambda: (
                    h.exec_client.websocket.ws.reconnects >= 1 and h.exec_client.websocket.logged_in.is_set()
                ),
                10,
                "reconnect",
            )
            sim.settle_funding("NVDAUSDT", "0.0001")
            wait_for(
                lambda: [d for d in h.probe.data if isinstance(d, FundingPayment)], 10, "funding payment"
            )
            print("CLIENT", repr(h.exec_client), repr(h.exec_client._http), repr(h.exec_client._http.signer))
        explicit = with_debug(node_config(sim))  # credentials in the config rather than the environment
        print("CONFIG", repr(explicit))
        print("EXEC CONFIG", repr(explicit.exec_clients["BITGET"]), str(explicit.exec_clients["BITGET"]))
        with BitgetNode(explicit, ProbeConfig(quotes=[str(NVDA)])) as h:
            wait_for(lambda: h.probe.quotes, 10, "quotes")
            print("CLIENT", repr(h.exec_client), repr(h.exec_client._http.signer))
        wrong = with_debug(node_config(sim, api_passphrase="wrong-passphrase-123"))
        node = BitgetNode(wrong, ProbeConfig())
        try:
            node._thread.start()  # connecting fails: the REST check refuses the passphrase
            time.sleep(3)
        finally:
            node.stop()
        print("LOGIN ERROR", asyncio.run(ws_login(sim, "wrong-passphrase-456")))
        os.environ.pop("BITGET_API_PASSPHRASE")
        try:
            build_signer(
                BitgetExecClientConfig(
                    api_key=API_KEY, api_secret=API_SECRET, dotenv_path="/nonexistent/.env"
                )
            )
        except Exception as e:
            print("ERROR", type(e).__name__, e, repr(e))
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
