"""deployment.json: what the devnet deployer wrote, read by every service through its settings.

`Deployment` is the whole file as the deployer (ballast.devnet) writes it. A service reads it with
`DeploymentFile.read(path)`: the same keys, each optional (a file written by hand for another
chain holds only what its services need), so each service says what it misses, naming the key.

The schema is a contract between `ballast deploy devnet` and the services (each gets the file's
path as `BALLAST_<SERVICE>_DEPLOYMENT_FILE` from `ballast up`). Keep it stable: add fields, never
rename or drop them, and bump `schema_version` on an incompatible change.

    schema_version  1
    chain_id, block chain id, and the block at which the deployment was complete
    first_block     the deployment's first block: scan contract events from here
    deployer        anvil default account 0: deploys, owns the test tokens; keeps no admin role
    treasury        anvil default account 1: holds the treasury's PUMP and USDC (see prices.py)
    trader          anvil default account 2: the market scenarios trade and move feeds from it
    guardian        the StakeBasket's PAUSER_ROLE, nothing more (ballast.devnet.control): a Safe
                    of the treasury owners with `--safe`, else anvil account 6; absent in old files
    tokens          {symbol: {address, decimals}}  PSTR, PUMP, USDC, WCORE, coreBTC, lstBTC, gPSTR,
                    BASKET
    uniswap         {factory, router, weth, fee_bps}  Uniswap V2 from the npm build artifacts
    pools           {"PSTR-PUMP": {pair, token0, token1}, ...}; token0 < token1 as the pair has them
    uniswap_v3      {factory, position_manager, router, pools: {"PSTR-USDC-V3": {kind "uniswap_v3",
                    pool, token0, token1, fee, tick_spacing}}}: the concentrated-liquidity pools
                    (Uniswap V3 from the npm builds); absent from a file written before it existed
    feeds           {symbol: {aggregator, pyth_id, decimals, pyth_expo}}: CORE, BTC, PSTR, PUMP
    pyth            the MockPyth contract (Pyth's on-chain interface; ids in `feeds`)
    etf             the StakeBasket suite and its mocks
    core_system     the Core DAO system-contract stand-ins, at their real addresses
    validators      the registered candidates (operator and consensus addresses)
    governance      {token (gPSTR), governor, timelock, parameters}: the timelock is the ETF's
                    admin, owns the PriceFeed and `parameters` (StrategyParameters, optional)
    multicall3      at the canonical address 0xcA11bde05977b3631167028862bE2a173976CA11
    reference_prices  the USD prices the deployment started from (strings, exact decimals)
    custody         {safe, owners, threshold, roles, role, bot, safe_singleton, safe_proxy_factory,
                    fallback_handler, multisend (a batch the modifier unwraps: the V3 remove),
                    multisend_unwrapper}: the treasury Safe and the Roles modifier the bot acts
                    through; only with `--safe` (else the treasury is the `treasury` account)
    code_check      keccak of every recorded address with its code hash: the idempotence check

No Switchboard stand-in yet (no `switchboard` key): its readers use its HTTP API (REFERENCE.md).

Every account's key is one of anvil's public default test keys: for a local chain only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TokenInfo(_Model):
    address: str
    decimals: int


class UniswapInfo(_Model):
    factory: str
    router: str
    weth: str
    fee_bps: int = 30
    """Uniswap V2 takes 0.30% of the input (997/1000); forks differ, so services read it here."""


class PoolInfo(_Model):
    pair: str
    token0: str
    token1: str


class ConcentratedPoolInfo(_Model):
    """A Uniswap V3 pool: liquidity in a range of ticks (a position NFT), not full range."""

    kind: Literal["uniswap_v3"] = "uniswap_v3"
    pool: str
    token0: str
    token1: str
    fee: int
    """In millionths of the input (3000 = 0.30%)."""
    tick_spacing: int


class UniswapV3Info(_Model):
    factory: str
    position_manager: str
    """NonfungiblePositionManager: mints, decreases, collects and burns positions."""
    router: str
    """SwapRouter (V3): exactInputSingle through one pool."""
    pools: dict[str, ConcentratedPoolInfo] = Field(default_factory=dict[str, ConcentratedPoolInfo])


class FeedInfo(_Model):
    aggregator: str
    """TestAggregator (Chainlink AggregatorV3 interface), USD answer with `decimals` decimals."""
    pyth_id: str
    """0x-prefixed 32-byte id on `Deployment.pyth`; CORE and BTC use Pyth's real ids."""
    decimals: int
    pyth_expo: int = -8


class EtfInfo(_Model):
    stake_basket: str
    token: str
    staking_manager: str
    price_feed: str
    unbonding_queue: str
    core_agent: str
    lstbtc: str
    corebtc: str


class CoreSystemInfo(_Model):
    validator_set: str
    candidate_hub: str
    slash_indicator: str
    stake_hub: str
    core_agent: str


class ValidatorInfo(_Model):
    operator: str
    consensus: str
    fee: str
    commission_thousandths: int


class GovernanceInfo(_Model):
    token: str
    governor: str
    timelock: str
    parameters: str | None = None  # StrategyParameters (contracts/src/governance)


class CustodyInfo(_Model):
    """The treasury Safe and the Zodiac Roles modifier the bot acts through (issue 21)."""

    safe: str
    owners: list[str]
    threshold: int
    roles: str
    role: str
    """The bot's role key (text)."""
    bot: str
    safe_singleton: str
    safe_proxy_factory: str
    fallback_handler: str
    multisend: str | None = None
    multisend_unwrapper: str | None = None


class Deployment(_Model):
    """Everything the devnet deployer put on chain (see the module docstring for each key)."""

    schema_version: int = SCHEMA_VERSION
    chain_id: int
    block: int
    first_block: int = 0
    deployer: str
    treasury: str
    trader: str
    guardian: str | None = None
    tokens: dict[str, TokenInfo]
    uniswap: UniswapInfo
    pools: dict[str, PoolInfo]
    feeds: dict[str, FeedInfo]
    pyth: str
    uniswap_v3: UniswapV3Info | None = None
    etf: EtfInfo
    core_system: CoreSystemInfo
    validators: list[ValidatorInfo]
    governance: GovernanceInfo
    multicall3: str
    reference_prices: dict[str, Decimal]
    custody: CustodyInfo | None = None
    """Only when deployed with a Safe (`ballast deploy devnet --safe`)."""
    code_check: str = ""

    @classmethod
    def load(cls, path: Path | str) -> Deployment:
        return cls.model_validate_json(Path(path).read_text())

    def save(self, path: Path | str) -> None:
        """Write atomically (a reader never sees half a file)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        tmp.replace(target)

    def contract_addresses(self) -> dict[str, str]:
        """Every recorded contract, by a dotted name (`tokens.PSTR`, `pools.PSTR-USDC`, ...)."""
        found = {f"tokens.{symbol}": token.address for symbol, token in self.tokens.items()}
        for name in ("factory", "router", "weth"):
            found[f"uniswap.{name}"] = getattr(self.uniswap, name)
        found |= {f"pools.{name}": pool.pair for name, pool in self.pools.items()}
        found |= {f"feeds.{symbol}": feed.aggregator for symbol, feed in self.feeds.items()}
        if self.uniswap_v3 is not None:
            for name in ("factory", "position_manager", "router"):
                found[f"uniswap_v3.{name}"] = getattr(self.uniswap_v3, name)
            for name, v3 in self.uniswap_v3.pools.items():
                found[f"uniswap_v3.pools.{name}"] = v3.pool
        found["pyth"] = self.pyth
        for group in ("etf", "core_system", "governance"):
            for name, address in getattr(self, group).model_dump().items():
                if address is not None:
                    found[f"{group}.{name}"] = address
        found["multicall3"] = self.multicall3
        return found | self._custody_addresses()

    def _custody_addresses(self) -> dict[str, str]:
        names = ("safe", "roles", "safe_singleton", "safe_proxy_factory", "fallback_handler")
        return {f"custody.{n}": getattr(self.custody, n) for n in names} if self.custody else {}


load = Deployment.load  # read a deployment.json written by `ballast deploy devnet`


class DeploymentFileError(ValueError):
    """deployment.json unreadable, not JSON, or a key of the wrong shape (the message names it)."""


class _Lenient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class DeploymentFile(_Lenient):
    """What a service reads of deployment.json: every key optional, unknown keys ignored."""

    chain_id: int | None = None
    treasury: str | None = None
    tokens: dict[str, TokenInfo] = Field(default_factory=dict[str, TokenInfo])
    uniswap: dict[str, str | int] = Field(default_factory=dict[str, str | int])
    pools: dict[str, PoolInfo] = Field(default_factory=dict[str, PoolInfo])
    uniswap_v3: UniswapV3Info | None = None
    etf: dict[str, str] = Field(default_factory=dict[str, str])
    governance: dict[str, str | None] = Field(default_factory=dict[str, str | None])
    multicall3: str | None = None
    custody: CustodyInfo | None = None

    @classmethod
    def read(cls, path: Path | str) -> DeploymentFile:
        """The file at `path`; DeploymentFileError (naming the file) when it cannot be read."""
        try:
            return cls.model_validate_json(Path(path).read_text())
        except (OSError, ValidationError) as err:
            raise DeploymentFileError(f"{path}: {type(err).__name__}: {err}") from None

    def address(self, dotted: str) -> str | None:
        """`etf.stake_basket`, `governance.governor`, `uniswap.router`, `treasury`, `multicall3`,
        `tokens.PSTR`: the address there, or None."""
        group, _, name = dotted.partition(".")
        if not name:
            found = getattr(self, group, None)
            return found if isinstance(found, str) else None
        if group == "tokens":
            token = self.tokens.get(name)
            return token.address if token else None
        section: dict[str, str] | dict[str, str | int] | dict[str, str | None] = getattr(
            self, group)
        value = section.get(name)
        return value if isinstance(value, str) else None


def addresses_from_deployment(
    data: Any, keys: Mapping[str, str], *, required: Sequence[str] = ()
) -> Any:
    """A settings model's input (a `mode="before"` validator's `data`) with each setting of `keys`
    (setting name -> `DeploymentFile.address` key, e.g. `etf.stake_basket`) that is unset filled
    from the file `deployment_file` names; the file is read only when one is unset. ValueError
    naming the file when it cannot be read, or when it lacks a `required` one."""
    if not isinstance(data, dict):
        return data
    values: dict[str, Any] = dict(data)  # type: ignore[arg-type]
    path = values.get("deployment_file")
    unset = [name for name in keys if not values.get(name)]
    if not path or not unset:
        return values
    try:
        loaded = DeploymentFile.read(path)
    except DeploymentFileError as err:
        raise ValueError(f"deployment_file {err}") from None
    for name in unset:
        found = loaded.address(keys[name])
        if found:
            values[name] = found
        elif name in required:
            raise ValueError(f"deployment_file {path}: no {keys[name]}")
    return values
