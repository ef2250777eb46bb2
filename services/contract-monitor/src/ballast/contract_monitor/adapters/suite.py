"""One read of the whole StakeBasket suite at a block, in one round trip (calls.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ballast.contract_monitor.adapters import abi
from ballast.contract_monitor.adapters.calls import Call, Caller, Result
from ballast.contract_monitor.domain.model import EtfReading, FeedRaw, ValidatorAllocation

BASKET = abi.functions("StakeBasket")
MANAGER = abi.functions("StakingManager")
QUEUE = abi.functions("UnbondingQueue")
FEED = abi.functions("PriceFeed")
ERC20 = abi.functions("StakeBasketToken")
MC = abi.functions("Multicall3")
FEED_ERRORS = abi.errors("PriceFeed") | abi.errors("StakeBasket")


@dataclass(frozen=True)
class SuiteAddresses:
    stake_basket: str
    token: str
    staking_manager: str
    unbonding_queue: str
    price_feed: str
    corebtc: str


class ReadError(RuntimeError):
    """The suite could not be read at this block (a view reverted); the reason is decoded."""


def revert_reason(data: bytes) -> str:
    if len(data) >= 4 and data[:4] in FEED_ERRORS:
        return FEED_ERRORS[data[:4]]
    return "0x" + data.hex() if data else "reverted"


def _symbol(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii", errors="replace")


def _views(address: str, functions: Mapping[str, abi.Fn], *names: str) -> list[Call]:
    """One argument-less call to each named function of the contract at `address`."""
    return [Call(address, functions[name]) for name in names]


class EtfReader:
    def __init__(self, caller: Caller, addresses: SuiteAddresses) -> None:
        self.caller = caller
        self.a = addresses
        self.symbols: list[bytes] = [b"CORE".ljust(32, b"\0"), b"BTC".ljust(32, b"\0")]

    def _calls(self) -> list[Call]:
        a = self.a
        calls = [  # in the order _reading indexes the results
            *_views(a.stake_basket, BASKET, "aumBreakdown", "navPerShare"),
            Call(a.token, ERC20["totalSupply"]),
            Call(a.stake_basket, BASKET["availableLiquidity"]),
            *_views(a.staking_manager, MANAGER, "totalStaked", "lstBtcBalance", "pendingRewards",
                    "currentAllocation", "targetAllocation", "maxDeviationBps"),
            *_views(a.unbonding_queue, QUEUE, "queueLength", "totalQueuedAmount",
                    "oldestPendingRequest"),
            Call(a.corebtc, ERC20["balanceOf"], (a.stake_basket,)),
            Call(a.price_feed, FEED["symbols"]),
        ]
        calls += [Call(a.price_feed, FEED["tryGetPrice"], (s,)) for s in self.symbols]
        if self.caller.multicall:
            calls += [
                Call(self.caller.multicall, MC["getEthBalance"], (a.stake_basket,)),
                Call(self.caller.multicall, MC["getCurrentBlockTimestamp"]),
            ]
        return calls

    async def read(self, block: int) -> EtfReading:
        results = await self.caller.call(self._calls(), block)
        symbols = results[14]
        if symbols.ok and list(symbols.value[0]) != self.symbols:
            self.symbols = list(symbols.value[0])  # feeds changed: read again with the new list
            results = await self.caller.call(self._calls(), block)
        n = len(self.symbols)
        if self.caller.multicall:
            balance = _int(results[15 + n])
            timestamp = _int(results[16 + n])
        else:
            balance_hex, header = await self.caller.rpc.batch([
                ("eth_getBalance", [self.a.stake_basket, hex(block)]),
                ("eth_getBlockByNumber", [hex(block), False]),
            ])
            balance, timestamp = int(balance_hex, 16), int(header["timestamp"], 16)
        return self._reading(block, timestamp, balance, results)

    def _reading(self, block: int, ts: int, balance: int, res: list[Result]) -> EtfReading:
        if not res[0].ok:
            raise ReadError(f"aumBreakdown reverted at {block}: {revert_reason(res[0].revert)}")
        (b,) = _value(res[0])
        available = _value(res[3])
        validators, staked, weights = _value(res[7])
        target_validators, target_weights, core_bps, btc_bps = _value(res[8])
        targets = dict(zip(target_validators, target_weights, strict=True))
        queued_core, queued_btc = _value(res[11])
        exists, request = _value(res[12])
        feeds: list[FeedRaw] = []
        for symbol, r in zip(self.symbols, res[15 : 15 + len(self.symbols)], strict=True):
            name = _symbol(symbol)
            if not r.ok:
                feeds.append(FeedRaw(name, False, 0, 0, revert_reason(r.revert)))
                continue
            ok, price, updated, _source, reason = r.value
            feeds.append(FeedRaw(name, bool(ok), int(price), int(updated),
                                 "" if ok else revert_reason(bytes(reason))))
        return EtfReading(
            block_number=block,
            block_timestamp=datetime.fromtimestamp(ts, UTC),
            core_price=b[0], btc_price=b[1], core_staked_usd=b[2], lstbtc_usd=b[3],
            rewards_usd=b[4], liquidity_usd=b[5], queued_liability_usd=b[6], total_usd=b[7],
            nav_per_share=_int(res[1]),
            supply=_int(res[2]),
            staked_core_raw=_int(res[4]),
            lstbtc_raw=_int(res[5]),
            pending_rewards_raw=_int(res[6]),
            basket_core_raw=balance,
            basket_corebtc_raw=_int(res[13]),
            queued_core_raw=int(queued_core),
            queued_btc_raw=int(queued_btc),
            queue_length=_int(res[10]),
            oldest_requested_at=int(request[5]) if exists else None,
            free_liquidity_usd=int(available[2]),
            max_deviation_bps=_int(res[9]),
            target_core_bps=int(core_bps),
            target_btc_bps=int(btc_bps),
            allocation=[
                ValidatorAllocation(abi.checksum(v), int(s), int(w), int(targets.get(v, 0)))
                for v, s, w in zip(validators, staked, weights, strict=True)
            ],
            feeds=feeds,
        )


def _value(r: Result) -> tuple[Any, ...]:
    if not r.ok:
        raise ReadError(f"view reverted: {revert_reason(r.revert)}")
    return r.value


def _int(r: Result) -> int:
    return int(_value(r)[0])
