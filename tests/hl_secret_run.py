"""Run in a fresh process by test_hyperliquid_node_lifecycle: a node at DEBUG log level trades,
reconnects and settles funding with a signing key from the environment and an explicit one in the
config, and prints everything it can (logs, reprs, errors) to stdout for the test to search."""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hl_support import ADDRESS
from hl_support import AGENT_KEY
from hl_support import BTC
from hl_support import KEY
from hl_support import NodeHarness
from hl_support import ProbeConfig
from hl_support import limit
from hl_support import node_config
from hl_support import running_sim
from hl_support import wait_for
from nautilus_trader.config import LoggingConfig
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce

from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.factories import build_signer
from catalog.funding import FundingPayment


def main() -> None:
    os.environ["HYPERLIQUID_TESTNET_PRIVATE_KEY"] = AGENT_KEY
    with running_sim(tick_secs=0.05) as sim:
        config = node_config(sim, key=None, account_address=ADDRESS)
        config = config.__class__(
            **{
                **{f: getattr(config, f) for f in config.__struct_fields__},
                "logging": LoggingConfig(log_level="DEBUG", log_colors=False),
            }
        )
        print("CONFIG", repr(config))
        with NodeHarness(config, ProbeConfig(quotes=[str(BTC)], custom=[str(BTC)])) as h:
            wait_for(lambda: h.probe.quotes, 10, "quotes")
            ask = h.probe.quotes[-1].ask_price.as_decimal()
            order = h.call(
                lambda: limit(
                    h.probe,
                    BTC,
                    OrderSide.BUY,
                    "0.01",
                    str(ask * Decimal("1.01")),
                    time_in_force=TimeInForce.IOC,
                )
            )
            h.call(lambda: h.probe.submit_order(order))
            wait_for(lambda: h.probe.of_type("OrderFilled"), 10, "fill")
            sim.drop_sockets()
            wait_for(lambda: h.exec_client.websocket.ws.reconnects >= 1, 10, "reconnect")
            sim.settle_funding("BTC", "0.0001")
            wait_for(
                lambda: [d for d in h.probe.data if isinstance(d, FundingPayment)], 10, "funding payment"
            )
            print("CLIENT", repr(h.exec_client), repr(h.exec_client._http), repr(h.exec_client._http.signer))
        explicit = node_config(sim, key=KEY)  # a key passed in the config rather than the environment
        explicit = explicit.__class__(
            **{**{f: getattr(explicit, f) for f in explicit.__struct_fields__}, "logging": config.logging}
        )
        print("CONFIG", repr(explicit))
        with NodeHarness(explicit, ProbeConfig(quotes=[str(BTC)])) as h:
            wait_for(lambda: h.probe.quotes, 10, "quotes")
            print("CLIENT", repr(h.exec_client), repr(h.exec_client._http.signer))
        for bad in ("0x" + "zz" * 32, AGENT_KEY[:-2]):
            try:
                build_signer(HyperliquidExecClientConfig(testnet=True, private_key=bad))
            except Exception as e:
                print("ERROR", type(e).__name__, e, repr(e), repr(e.__cause__), repr(e.__context__))
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
