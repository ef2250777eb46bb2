"""On-chain reads: the treasury account's balances, PSTR total supply and LP positions (a V2
pair's LP tokens; a V3 pool's position NFTs, adapters/v3_positions.py, for the V3 pools named).

Every call of one read is pinned to one block, so balances, supply and reserves agree. Addresses
come from the devnet deployer's deployment.json (`tokens`, `pools`, `uniswap_v3`, `treasury`), or
the same shape for another chain. Native CORE is read with eth_getBalance and listed as "CORE".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ballast.common.deployment import DeploymentFile, DeploymentFileError
from ballast.common.evm.provider import connect
from ballast.common.messages import utcnow
from ballast.treasury.adapters.v3_positions import ConcentratedPool, read_pool
from ballast.treasury.domain.concentrated_liquidity import Reading
from ballast.treasury.domain.liquidity import PoolReading
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance

ERC20_ABI: list[dict[str, Any]] = [
    {"name": "balanceOf", "type": "function", "stateMutability": "view",
     "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"name": "totalSupply", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint256"}]},
]
PAIR_ABI: list[dict[str, Any]] = [
    *ERC20_ABI,
    {"name": "getReserves", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "r0", "type": "uint112"}, {"name": "r1", "type": "uint112"},
                 {"name": "t", "type": "uint32"}]},
]
LP_DECIMALS = 18
NATIVE = "CORE"


@dataclass(frozen=True)
class Token:
    symbol: str
    address: str
    decimals: int


@dataclass(frozen=True)
class Pool:
    name: str
    pair: str
    token0: Token
    token1: Token


@dataclass(frozen=True)
class ChainLayout:
    treasury: str
    tokens: tuple[Token, ...]
    pools: tuple[Pool, ...]
    pstr: Token
    concentrated: tuple[ConcentratedPool, ...] = ()

    @classmethod
    def from_deployment(
        cls, path: Path, treasury: str | None = None, symbols: tuple[str, ...] = (),
        concentrated: tuple[str, ...] = (),
    ) -> ChainLayout:
        """Read deployment.json: the holder (`custody.safe`, else `treasury`), `tokens`
        {symbol: {address, decimals}}, `pools` {"A-B": {pair, token0, token1}} (token addresses
        in the pair's order) and, of
        `uniswap_v3.pools`, those named in `concentrated` (the V3 pools the treasury manages)."""
        doc = DeploymentFile.read(path)
        tokens = {s: Token(s, t.address, t.decimals) for s, t in doc.tokens.items()}
        by_address = {t.address.lower(): t for t in tokens.values()}
        pools = tuple(
            Pool(name, p.pair, by_address[p.token0.lower()], by_address[p.token1.lower()])
            for name, p in doc.pools.items()
        )
        held = tuple(t for s, t in tokens.items() if not symbols or s in symbols)
        # under custody the Safe holds the treasury; the bot's account keeps only gas
        owner = treasury or (doc.custody.safe if doc.custody else doc.treasury)
        if owner is None:
            raise DeploymentFileError(f"{path}: no treasury")
        named: list[ConcentratedPool] = []
        for name, p in (doc.uniswap_v3.pools.items() if doc.uniswap_v3 else ()):
            if name not in concentrated or doc.uniswap_v3 is None:
                continue
            t0, t1 = by_address[p.token0.lower()], by_address[p.token1.lower()]
            named.append(ConcentratedPool(
                name, p.pool, p.token0, p.token1, t0.symbol, t1.symbol, t0.decimals, t1.decimals,
                p.fee, doc.uniswap_v3.position_manager,
            ))
        return cls(owner, held, pools, tokens["PSTR"], tuple(named))


class Web3ChainReader:
    """The core's Chain port (app.py) over JSON-RPC with web3.py's async client."""

    def __init__(self, rpc_url: str, layout: ChainLayout, clock: Any = utcnow) -> None:
        self.w3 = connect(rpc_url)
        self.layout = layout
        self.clock = clock

    def _erc20(self, address: str) -> Any:
        return self.w3.eth.contract(address=self.w3.to_checksum_address(address), abi=ERC20_ABI)

    async def snapshot(self) -> ChainSnapshot:
        block = await self.w3.eth.block_number
        owner = self.w3.to_checksum_address(self.layout.treasury)
        balances: list[TokenBalance] = []
        for token in self.layout.tokens:
            raw = await self._erc20(token.address).functions.balanceOf(owner).call(
                block_identifier=block
            )
            balances.append(TokenBalance(token.symbol, int(raw), token.decimals))
        native = await self.w3.eth.get_balance(owner, block_identifier=block)
        balances.append(TokenBalance(NATIVE, int(native), 18))
        supply = await self._erc20(self.layout.pstr.address).functions.totalSupply().call(
            block_identifier=block
        )
        return ChainSnapshot(
            balances=tuple(balances), pstr_total_supply_raw=int(supply),
            pstr_decimals=self.layout.pstr.decimals, read_at=self._now(), block_number=block,
        )

    async def pools(self) -> list[Reading]:
        block = await self.w3.eth.block_number
        owner = self.w3.to_checksum_address(self.layout.treasury)
        out: list[Reading] = []
        for pool in self.layout.pools:
            pair = self.w3.eth.contract(
                address=self.w3.to_checksum_address(pool.pair), abi=PAIR_ABI
            )
            r0, r1, _ = await pair.functions.getReserves().call(block_identifier=block)
            supply = await pair.functions.totalSupply().call(block_identifier=block)
            held = await pair.functions.balanceOf(owner).call(block_identifier=block)
            out.append(
                PoolReading(
                    pool=pool.pair, pair=pool.name, token0=pool.token0.symbol,
                    token1=pool.token1.symbol,
                    reserve0=Decimal(int(r0)).scaleb(-pool.token0.decimals),
                    reserve1=Decimal(int(r1)).scaleb(-pool.token1.decimals),
                    lp_supply=Decimal(int(supply)).scaleb(-LP_DECIMALS),
                    lp_balance=Decimal(int(held)).scaleb(-LP_DECIMALS),
                    lp_balance_raw=int(held),
                )
            )
        for v3 in self.layout.concentrated:
            out.append(await read_pool(self.w3, v3, owner, block))
        return out

    def _now(self) -> datetime:
        now: datetime = self.clock()
        return now
