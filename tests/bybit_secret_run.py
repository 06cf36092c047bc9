"""Run in a fresh process by test_bybit_node: a node at DEBUG log level trades, reconnects and settles
funding with the API secret from the environment (and once passed explicitly), and prints everything
it can (logs, config reprs, errors) to stdout for the test to search."""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bybit_support import KEY
from bybit_support import PERP
from bybit_support import SECRET
from bybit_support import BybitNodeHarness
from bybit_support import ProbeConfig
from bybit_support import bbo
from bybit_support import node_config
from bybit_support import running_sim
from bybit_support import wait_for
from hl_support import limit
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce

from adapters.bybit.config import BybitArbExecClientConfig
from catalog.funding import FundingPayment

ENV_SECRET = "envSecretForBybitTest123"


def main() -> None:
    os.environ["BYBIT_API_KEY"] = "envKeyForBybitTest"
    os.environ["BYBIT_API_SECRET"] = ENV_SECRET
    print("CONFIG", repr(BybitArbExecClientConfig(api_key=KEY, api_secret=SECRET)))
    accounts = [{"uid": "1001", "api_key": KEY, "api_secret": SECRET},
                {"uid": "4004", "api_key": "envKeyForBybitTest", "api_secret": ENV_SECRET}]  # fmt: skip
    with running_sim(accounts=accounts) as sim:
        config = node_config(sim, key=None, secret=None, log_level="DEBUG")  # keys from the environment
        print("NODE", repr(config))
        with BybitNodeHarness(config, ProbeConfig(quotes=[str(PERP)], custom=[str(PERP)])) as h:
            wait_for(lambda: h.probe.quotes, 15, "quotes")
            _, ask = bbo(sim)
            order = h.call(lambda: limit(h.probe, PERP, OrderSide.BUY, "0.01", str((ask * Decimal("1.01")).quantize(Decimal("0.1"))),
                                         time_in_force=TimeInForce.IOC))  # fmt: skip
            h.call(lambda: h.probe.submit_order(order))
            wait_for(lambda: h.probe.of_type("OrderFilled"), 10, "fill")
            print("FILLED-OK")
            recoveries = h.exec_client.recoveries
            sim.drop_sockets()
            wait_for(lambda: h.exec_client.recoveries > recoveries, 20, "reconnect")
            print("RECONNECT-OK")
            sim.settle_funding("linear:BTCUSDT", "0.0001")
            wait_for(lambda: [d for d in h.probe.data if isinstance(d, FundingPayment)], 10, "funding")
            print("FUNDING-OK")
            bad = h.call(lambda: limit(h.probe, PERP, OrderSide.BUY, "100", str(ask)))
            h.call(lambda: h.probe.submit_order(bad))
            wait_for(lambda: h.probe.of_type("OrderRejected"), 10, "reject")
            print("REJECT", h.probe.of_type("OrderRejected")[0].reason)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
