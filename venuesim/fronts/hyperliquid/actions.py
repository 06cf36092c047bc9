"""`POST /exchange`: signed actions (signature and nonce checked by `auth`), order validation with
the venue's rules and texts, and the core calls they map to."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from venuesim.core.model import OrderStatus
from venuesim.core.model import PlaceResult
from venuesim.core.model import Reject
from venuesim.core.model import Side
from venuesim.core.model import Tif
from venuesim.core.model import now_ms
from venuesim.fronts.base import json_response
from venuesim.fronts.hyperliquid import wire
from venuesim.fronts.hyperliquid.auth import USER_SIGNED_TYPES
from venuesim.fronts.hyperliquid.auth import AuthError
from venuesim.fronts.hyperliquid.info import InfoApi
from venuesim.fronts.hyperliquid.protocol import CANCEL_MISSING
from venuesim.fronts.hyperliquid.protocol import CLOID
from venuesim.fronts.hyperliquid.protocol import DESERIALIZE_ERROR
from venuesim.fronts.hyperliquid.protocol import BadRequest
from venuesim.fronts.hyperliquid.protocol import parse_decimal
from venuesim.fronts.hyperliquid.protocol import price_ok
from venuesim.fronts.hyperliquid.protocol import size_ok
from venuesim.fronts.hyperliquid.universe import HlMarket


class ExchangeApi(InfoApi):
    _schedule_cancel: dict[str, int]

    async def _exchange(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await self._read_json(request)
            action, nonce, signature = body["action"], body["nonce"], body["signature"]
            if not isinstance(action, dict) or not isinstance(nonce, int) or not isinstance(signature, dict):
                raise BadRequest(f"{DESERIALIZE_ERROR}: action/nonce/signature have the wrong type")
            if not {"r", "s", "v"} <= set(signature):
                raise BadRequest(f"{DESERIALIZE_ERROR}: signature needs r, s, v")
            kind = action.get("type")
            vault = body.get("vaultAddress")
            expires = body.get("expiresAfter")
            try:
                if kind in USER_SIGNED_TYPES:
                    ident = self.auth.verify_user_signed(action, nonce, signature)
                else:
                    ident = self.auth.verify_l1(action, nonce, signature, vault, expires)
            except AuthError as e:
                return json_response({"status": "err", "response": str(e)})
            handler = getattr(self, f"_act_{kind}", None) if isinstance(kind, str) else None
            if handler is None:
                return json_response(
                    {"status": "err", "response": f"venuesim does not simulate action {kind!r}"}
                )
            payload = handler(ident.user, action)
        except BadRequest as e:
            return web.Response(status=422, text=str(e))
        except KeyError as e:
            return web.Response(status=422, text=f"{DESERIALIZE_ERROR}: missing field {e}")
        return await self.ack(request, payload)

    @staticmethod
    def _ok(kind: str, statuses: list[Any] | None = None) -> dict[str, Any]:
        if statuses is None:
            return {"status": "ok", "response": {"type": kind}}
        return {"status": "ok", "response": {"type": kind, "data": {"statuses": statuses}}}

    def _parse_order(self, w: dict[str, Any]) -> tuple[HlMarket | None, dict[str, Any]]:
        if not isinstance(w, dict) or not {"a", "b", "p", "s", "r", "t"} <= set(w):
            raise BadRequest(f"{DESERIALIZE_ERROR}: order needs a, b, p, s, r, t")
        tif_raw = (w["t"].get("limit") or {}).get("tif") if isinstance(w["t"], dict) else None
        if "trigger" in (w["t"] or {}):
            return None, {"error": "venuesim does not simulate trigger (TP/SL) orders"}
        if tif_raw not in ("Gtc", "Ioc", "Alo", "FrontendMarket"):
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown tif {tif_raw!r}")
        cloid = w.get("c")
        if cloid is not None and (not isinstance(cloid, str) or not CLOID.match(cloid)):
            raise BadRequest(f"{DESERIALIZE_ERROR}: cloid must be 0x + 32 hex digits")
        m = self.u.by_asset.get(w["a"]) if isinstance(w["a"], int) else None
        parsed = {
            "px": parse_decimal(w["p"], "p"),
            "sz": parse_decimal(w["s"], "s"),
            "is_buy": bool(w["b"]),
            "reduce_only": bool(w["r"]),
            "tif": Tif.IOC if tif_raw in ("Ioc", "FrontendMarket") else Tif(tif_raw),
            "cloid": cloid,
            "asset": w["a"],
        }
        return m, parsed

    def _validate(self, m: HlMarket | None, o: dict[str, Any]) -> str | None:
        if m is None:
            return f"Invalid asset: {o['asset']}"
        maxd = (6 if m.spec.kind == "perp" else 8) - m.sz_decimals
        if not price_ok(o["px"], maxd):
            return f"Price must be divisible by tick size. asset={m.asset}"
        if o["sz"] == 0:
            return "Order has zero size."
        if not size_ok(o["sz"], m.sz_decimals):
            return "Order has invalid size."
        if o["px"] * o["sz"] < m.spec.min_notional:
            kind = "" if m.spec.kind == "perp" else " in quote token"
            return f"Order must have minimum value of $10{kind}. asset={m.asset}"
        return None

    def _status(self, m: HlMarket, result: PlaceResult) -> dict[str, Any]:
        o = result.order
        cloid = {"cloid": o.cloid} if o.cloid else {}
        if o.status is OrderStatus.REJECTED:
            if o.reject is Reject.INJECTED:
                return {"error": self.sim.faults.matching.reject_reason}
            extra = ""
            if o.reject is Reject.POST_ONLY_WOULD_CROSS:
                bid, ask = self.exchange.best_bid_ask(m.spec.key)
                extra = f"{wire.num(bid) if bid else '-'}@{wire.num(ask) if ask else '-'}"
            return {"error": wire.reject_message(o.reject or Reject.INJECTED, m.asset, extra)}
        if o.status is OrderStatus.OPEN:
            return {"resting": {"oid": o.oid, **cloid}}
        return {
            "filled": {
                "totalSz": wire.num(o.filled),
                "avgPx": wire.num(o.avg_px or o.price),
                "oid": o.oid,
                **cloid,
            }
        }

    def _place(self, user: str, w: dict[str, Any]) -> dict[str, Any]:
        m, o = self._parse_order(w)
        if "error" in o:
            return o
        error = self._validate(m, o)
        if error:
            return {"error": error}
        assert m is not None
        if o["cloid"] and self.exchange.order_by_cloid(user, o["cloid"]) is not None:
            return {"error": f"Duplicate cloid {o['cloid']}. asset={m.asset}"}  # wording unconfirmed
        result = self.exchange.place(
            user,
            m.spec.key,
            Side.BUY if o["is_buy"] else Side.SELL,
            o["px"],
            o["sz"],
            o["tif"],
            o["reduce_only"],
            o["cloid"],
        )
        return self._status(m, result)

    def _cancel_one(self, user: str, asset: Any, oid: int | None = None, cloid: str | None = None) -> Any:
        m = self.u.by_asset.get(asset) if isinstance(asset, int) else None
        order = None
        if m is not None:
            if oid is not None:
                o = self.exchange.orders.get(oid)
                order = self.exchange.cancel(user, oid) if o is not None and o.market == m.spec.key else None
            elif cloid is not None:
                o = self.exchange.order_by_cloid(user, cloid)
                order = (
                    self.exchange.cancel(user, o.oid) if o is not None and o.market == m.spec.key else None
                )
        return "success" if order is not None else {"error": CANCEL_MISSING.format(asset=asset)}

    def _modify_one(self, user: str, mod: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(mod, dict) or "oid" not in mod or "order" not in mod:
            raise BadRequest(f"{DESERIALIZE_ERROR}: modify needs oid and order")
        m, o = self._parse_order(mod["order"])
        if "error" in o:
            return o
        error = self._validate(m, o)
        if error:
            return {"error": error}
        assert m is not None
        ref = mod["oid"]
        existing = (
            self.exchange.orders.get(ref)
            if isinstance(ref, int)
            else self.exchange.order_by_cloid(user, str(ref))
        )
        if existing is None or existing.status is not OrderStatus.OPEN or existing.user != user:
            return {"error": "Cannot modify canceled or filled order"}
        result = self.exchange.modify(
            user,
            existing.oid,
            Side.BUY if o["is_buy"] else Side.SELL,
            o["px"],
            o["sz"],
            o["tif"],
            o["reduce_only"],
            o["cloid"],
        )
        if result is None:
            return {"error": "Cannot modify canceled or filled order"}
        return self._status(m, result)

    def _fire_schedule_cancel(self, user: str, t: int) -> None:
        if self._schedule_cancel.get(user) == t:
            del self._schedule_cancel[user]
            self.exchange.cancel_all(user)

    def _act_order(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        orders = action.get("orders")
        if not isinstance(orders, list):
            raise BadRequest(f"{DESERIALIZE_ERROR}: orders must be a list")
        if action.get("grouping", "na") not in ("na", "normalTpsl", "positionTpsl") and not isinstance(
            action.get("grouping"), dict
        ):
            raise BadRequest(f"{DESERIALIZE_ERROR}: unknown grouping")
        return self._ok("order", [self._place(user, w) for w in orders])

    def _act_cancel(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        cancels = action.get("cancels")
        if not isinstance(cancels, list) or not all(
            isinstance(c, dict) and "a" in c and "o" in c for c in cancels
        ):
            raise BadRequest(f"{DESERIALIZE_ERROR}: cancels need a and o")
        return self._ok("cancel", [self._cancel_one(user, c["a"], oid=c["o"]) for c in cancels])

    def _act_cancelByCloid(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        cancels = action.get("cancels")
        if not isinstance(cancels, list) or not all(
            isinstance(c, dict) and "asset" in c and "cloid" in c for c in cancels
        ):
            raise BadRequest(f"{DESERIALIZE_ERROR}: cancels need asset and cloid")
        return self._ok("cancel", [self._cancel_one(user, c["asset"], cloid=c["cloid"]) for c in cancels])

    def _act_modify(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        status = self._modify_one(user, action)
        if "error" in status:
            return {"status": "err", "response": status["error"]}
        return self._ok("default")

    def _act_batchModify(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        mods = action.get("modifies")
        if not isinstance(mods, list):
            raise BadRequest(f"{DESERIALIZE_ERROR}: modifies must be a list")
        return self._ok("batchModify", [self._modify_one(user, mod) for mod in mods])

    def _act_scheduleCancel(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        t = action.get("time")
        if t is None:
            self._schedule_cancel.pop(user, None)
            return self._ok("default")
        if not isinstance(t, int) or t < now_ms() + 5000:
            return {
                "status": "err",
                "response": "Scheduled cancel time too early, must be at least 5 seconds from now.",
            }
        self._schedule_cancel[user] = t
        asyncio.get_running_loop().call_later((t - now_ms()) / 1000, self._fire_schedule_cancel, user, t)
        return self._ok("default")

    def _act_updateLeverage(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        asset = action.get("asset")
        m = self.u.by_asset.get(asset) if isinstance(asset, int) else None
        if m is None or m.spec.kind != "perp":
            return {"status": "err", "response": f"Invalid asset {action.get('asset')}"}
        try:
            self.exchange.set_leverage(user, m.spec.key, int(action["leverage"]))
        except ValueError as e:
            return {"status": "err", "response": str(e)}
        return self._ok("default")

    def _act_noop(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        return self._ok("default")

    def _act_setReferrer(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        return self._ok("default")

    def _act_approveAgent(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        self.auth.add_agent(user, action["agentAddress"], action.get("agentName") or "")
        return self._ok("default")

    def _act_approveBuilderFee(self, user: str, action: dict[str, Any]) -> dict[str, Any]:
        self.auth.registry.builder_fees[(user, str(action["builder"]).lower())] = str(action["maxFeeRate"])
        return self._ok("default")
