"""On-chain price feeds over web3.py: Chainlink AggregatorV3, Pyth (getPriceUnsafe) and
Switchboard on-demand (latestUpdate). Each read pins one block so the observation says which
block it came from. Checks follow REFERENCE.md: Chainlink's answeredInRound and a positive
answer (staleness against the feed's own heartbeat and our bounds are in the consensus policy);
Pyth and Switchboard staleness by publish time, also in the policy.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import aiohttp
from web3 import AsyncWeb3
from web3.exceptions import BadFunctionCallOutput, ContractLogicError, Web3Exception

from ballast.common.evm import provider
from ballast.common.messages import PriceObservation, utcnow
from ballast.oracle.adapters import abis
from ballast.oracle.adapters.base import SourceError
from ballast.oracle.domain.units import fixed, scaled

T = TypeVar("T")


def connect(rpc_url: str, timeout: float = 5.0) -> AsyncWeb3[Any]:
    """An AsyncWeb3 without hidden retries: the runner owns retry and backoff."""
    return provider.connect(rpc_url, timeout, retry=False)


async def rpc(awaitable: Awaitable[T], what: str) -> T:
    """Await a web3 call; map every failure to a SourceError with a metric-friendly kind."""
    try:
        return await awaitable
    except ContractLogicError as err:
        raise SourceError("revert", f"{what}: {err}") from None
    except BadFunctionCallOutput as err:
        raise SourceError("malformed", f"{what}: {err}") from None
    except TimeoutError:
        raise SourceError("timeout", f"{what}: timed out") from None
    except (aiohttp.ClientError, OSError) as err:
        raise SourceError("connect", f"{what}: {type(err).__name__}: {err}") from None
    except (Web3Exception, ValueError) as err:
        raise SourceError("rpc", f"{what}: {type(err).__name__}: {err}") from None


def _at(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _bytes32(value: str) -> bytes:
    raw = bytes.fromhex(value.lower().removeprefix("0x"))
    if len(raw) != 32:
        raise ValueError("feed id must be 32 bytes")
    return raw


class ChainlinkFeed:
    def __init__(self, w3: AsyncWeb3[Any], address: str, symbol: str,
                 source: str = "chainlink") -> None:
        self.w3 = w3
        self.contract = w3.eth.contract(address=w3.to_checksum_address(address),
                                        abi=abis.AGGREGATOR_V3)
        self.address, self.symbol, self.source = address, symbol, source
        self.decimals: int | None = None

    async def read(self) -> PriceObservation:
        block = await rpc(self.w3.eth.block_number, "eth_blockNumber")
        if self.decimals is None:
            self.decimals = int(await rpc(self.contract.functions.decimals().call(), "decimals"))
        round_id, answer, _, updated_at, answered_in = await rpc(
            self.contract.functions.latestRoundData().call(block_identifier=block),
            "latestRoundData")
        if updated_at == 0:
            raise SourceError("invalid", f"round {round_id} not complete")
        if answered_in < round_id:
            raise SourceError("stale_round", f"answeredInRound {answered_in} < round {round_id}")
        if answer <= 0:
            raise SourceError("invalid", f"non-positive answer {answer}")
        return PriceObservation(
            source=self.source, symbol=self.symbol, price=fixed(answer, self.decimals),
            published_at=_at(updated_at), observed_at=utcnow(), block_number=block,
            feed_id=self.address,
        )


class _FeedById:
    """An on-chain oracle contract that keys its feeds by a bytes32 id (Pyth, Switchboard)."""

    abi: ClassVar[list[dict[str, Any]]]
    default_source: ClassVar[str]

    def __init__(self, w3: AsyncWeb3[Any], address: str, feed_id: str, symbol: str,
                 source: str | None = None) -> None:
        self.w3 = w3
        self.contract = w3.eth.contract(address=w3.to_checksum_address(address), abi=self.abi)
        self.feed_id = _bytes32(feed_id)
        self.symbol, self.source = symbol, source or self.default_source

    async def _latest(self, function: str) -> tuple[int, Any]:
        """(the latest block, what `function(feed_id)` answers at that block)."""
        block = await rpc(self.w3.eth.block_number, "eth_blockNumber")
        call = self.contract.functions[function](self.feed_id).call(block_identifier=block)
        return block, await rpc(call, function)

    def _observation(self, block: int, price: Decimal, published_at: int,
                     confidence: Decimal | None = None) -> PriceObservation:
        return PriceObservation(
            source=self.source, symbol=self.symbol, price=price, confidence=confidence,
            published_at=_at(published_at), observed_at=utcnow(), block_number=block,
            feed_id="0x" + self.feed_id.hex(),
        )


class PythOnchainFeed(_FeedById):
    abi = abis.PYTH
    default_source = "pyth_onchain"

    async def read(self) -> PriceObservation:
        block, (price, conf, expo, publish_time) = await self._latest("getPriceUnsafe")
        if price <= 0 or publish_time == 0:
            raise SourceError("invalid", f"price {price} published at {publish_time}")
        return self._observation(block, scaled(price, expo), publish_time, scaled(conf, expo))


class SwitchboardOnchainFeed(_FeedById):
    abi = abis.SWITCHBOARD
    default_source = "switchboard_onchain"

    async def read(self) -> PriceObservation:
        block, (_, result, timestamp, _) = await self._latest("latestUpdate")
        if result <= 0 or timestamp == 0:
            raise SourceError("invalid", f"result {result} at {timestamp}")
        return self._observation(block, fixed(result, 18), timestamp)
