"""The protocol side of the devnet: Core system stand-ins, the StakeBasket suite, governance.

Split from deployer.py (which owns the market: tokens, pools, feeds, accounts); each function
takes the running Deployer and sends through its pipelined senders.

- Core system: the stand-ins' runtime code is installed with `anvil_setCode` at the real system
  addresses (REFERENCE.md "Core DAO chain"), so monitors use the real ABIs and addresses. Five
  candidates register in CandidateHub with fixed, keyless operator/consensus/fee addresses, get
  scores in StakeHub, and one `turnRound()` elects them into ValidatorSet (status 17). MockCoreAgent
  (constructor-free) goes to CoreAgent's address 0x...1011, funded to pay rewards.
- StakeBasket: PriceFeed reads the CORE and BTC aggregators and Pyth ids (max age one hour);
  StakingManager delegates to the five validators in equal weights, 60/40 CORE/BTC; the treasury
  account (the intervention service's signer) gets OPERATOR_ROLE on the basket. The deployer
  administers the suite until the last step hands it to the timelock and the guardian (control.py).
- Governance: gPSTR wraps PSTR; PstrGovernor (square-root power, staked 1.5x, four proposal types:
  the PSTR seed's "Governance Integration") proposes through a PstrTimelock whose deployer admin
  role is renounced, leaving the timelock to administer itself. StrategyParameters, owned by the
  timelock from its construction, holds the strategy library's defaults (ballast.strategy.onchain):
  only a passed proposal changes them.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ballast.common.deployment import (
    CoreSystemInfo,
    EtfInfo,
    FeedInfo,
    GovernanceInfo,
    TokenInfo,
    ValidatorInfo,
)
from ballast.devnet import prices as P
from ballast.devnet.chain import rpc
from ballast.strategy.onchain import bounds, encode, key_bytes
from ballast.strategy.params import StrategyParams

if TYPE_CHECKING:
    from ballast.devnet.deployer import Deployer

ETH = 10**18

CORE_SYSTEM = {
    "validator_set": ("CoreValidatorSet", "0x0000000000000000000000000000000000001000"),
    "slash_indicator": ("CoreSlashIndicator", "0x0000000000000000000000000000000000001001"),
    "candidate_hub": ("CoreCandidateHub", "0x0000000000000000000000000000000000001005"),
    "stake_hub": ("CoreStakeHub", "0x0000000000000000000000000000000000001010"),
    "core_agent": ("MockCoreAgent", "0x0000000000000000000000000000000000001011"),
}
VALIDATORS = 5

# Governance on a devnet: short delays so a proposal can go through in a test.
VOTING_DELAY_BLOCKS = 1
VOTING_PERIOD_BLOCKS = 50
TIMELOCK_DELAY_SECONDS = 60
PROPOSAL_THRESHOLD_POWER = math.isqrt(1_000 * ETH)  # 1,000 gPSTR of weight (power is a sqrt)

ETF_UNBONDING_SECONDS = 7 * 86400


def devnet_address(label: str) -> str:
    """A fixed, keyless address for a devnet role (validator operators and consensus keys)."""
    return to_checksum_address(keccak(text=f"ballast.devnet.{label}")[12:])


def validators() -> list[ValidatorInfo]:
    return [
        ValidatorInfo(
            operator=devnet_address(f"validator.{i}.operator"),
            consensus=devnet_address(f"validator.{i}.consensus"),
            fee=devnet_address(f"validator.{i}.fee"),
            commission_thousandths=50 + 25 * i,
        )
        for i in range(VALIDATORS)
    ]


def install_core_system(d: Deployer) -> tuple[CoreSystemInfo, list[ValidatorInfo]]:
    for name, address in CORE_SYSTEM.values():
        rpc(d.w3, "anvil_setCode", address, d.art(name).deployed_bytecode)
    addresses = {key: address for key, (_, address) in CORE_SYSTEM.items()}
    a = d.admin
    hub = d.at("CoreCandidateHub", addresses["candidate_hub"])
    stake_hub = d.at("CoreStakeHub", addresses["stake_hub"])
    a.call(d.at("CoreSlashIndicator", addresses["slash_indicator"]), "init")
    a.call(hub, "init")
    vals = validators()
    for i, v in enumerate(vals):
        if hub.functions.operateMap(v.operator).call() == 0:
            a.call(hub, "registerCandidate", v.operator, v.consensus, v.fee,
                   v.commission_thousandths, 20_000 * ETH, 1)
        a.call(stake_hub, "setCandidateScores", v.operator, (1_000_000 - 100_000 * i) * ETH,
               1_000 * ETH, (500 - 50 * i) * ETH)
    a.call(hub, "turnRound")
    agent = d.at("MockCoreAgent", addresses["core_agent"])
    a.call(agent, "setRewardRatePerRound", 10**14)  # 0.01% a round, ~3.7% a year
    rpc(d.w3, "anvil_setBalance", addresses["core_agent"], hex(1_000_000 * ETH))
    return CoreSystemInfo(**addresses), vals

def deploy_etf(
    d: Deployer,
    pyth: str,
    feeds: dict[str, FeedInfo],
    core: CoreSystemInfo,
    vals: list[ValidatorInfo],
    router: str,
) -> EtfInfo:
    a = d.admin
    corebtc = d.tokens["coreBTC"].address
    lstbtc = a.deploy(d.art("MockLstBTC"), corebtc)
    d.tokens["lstBTC"] = TokenInfo(address=lstbtc, decimals=8)
    price_feed = a.deploy(d.art("PriceFeed"), a.address, pyth)
    manager = a.deploy(d.art("StakingManager"), a.address, core.core_agent, core.stake_hub,
                       corebtc, lstbtc)
    queue = a.deploy(d.art("UnbondingQueue"), a.address, ETF_UNBONDING_SECONDS)
    token = a.deploy(d.art("StakeBasketToken"), "StakeBasket ETF", "BASKET")
    basket = a.deploy(d.art("StakeBasket"), a.address, token, price_feed, manager, queue,
                      corebtc)
    d.tokens["BASKET"] = TokenInfo(address=token, decimals=18)
    bounds = {
        "CORE": (Decimal("0.01"), Decimal(1_000)),
        "BTC": (Decimal(1_000), Decimal(10**7)),
    }
    pf = d.at("PriceFeed", price_feed)
    for symbol, (low, high) in bounds.items():
        lo, hi = int(low * ETH), int(high * ETH)
        config = (feeds[symbol].aggregator, P.FEED_MAX_AGE, lo, hi, feeds[symbol].pyth_id,
                  P.FEED_MAX_AGE, lo, hi, 200, 0)
        a.call(pf, "setFeed", symbol.encode().ljust(32, b"\0"), config)
    a.call(d.at("StakeBasketToken", token), "bindBasket", basket)
    sm = d.at("StakingManager", manager)
    a.call(sm, "setBasket", basket)
    weights = [2000] * len(vals)
    a.call(sm, "setValidatorTargets", [v.operator for v in vals], weights)
    a.call(sm, "setAssetTargets", 6000, 4000)
    uq = d.at("UnbondingQueue", queue)
    a.call(uq, "grantRole", uq.functions.BASKET_ROLE().call(), basket)
    sb = d.at("StakeBasket", basket)
    a.call(sb, "setSwapRouter", router)  # swapAssets: the WCORE/coreBTC pool (prices.py)
    operator = sb.functions.OPERATOR_ROLE().call()
    for holder in (a.address, d.treasury.address):
        a.call(sb, "grantRole", operator, holder)
    return EtfInfo(stake_basket=basket, token=token, staking_manager=manager,
                   price_feed=price_feed, unbonding_queue=queue, core_agent=core.core_agent,
                   lstbtc=lstbtc, corebtc=corebtc)

def deploy_governance(d: Deployer) -> GovernanceInfo:
    a = d.admin
    gpstr = a.deploy(d.art("GovernanceToken"), d.tokens["PSTR"].address)
    timelock = a.deploy(d.art("PstrTimelock"), TIMELOCK_DELAY_SECONDS, [],
                        ["0x" + "00" * 20], a.address)
    governor = a.deploy(d.art("PstrGovernor"), gpstr, timelock, VOTING_DELAY_BLOCKS,
                        VOTING_PERIOD_BLOCKS, PROPOSAL_THRESHOLD_POWER)
    tl = d.at("PstrTimelock", timelock)
    for role in ("PROPOSER_ROLE", "CANCELLER_ROLE"):
        a.call(tl, "grantRole", getattr(tl.functions, role)().call(), governor)
    a.call(tl, "renounceRole", b"\0" * 32, a.address)
    d.tokens["gPSTR"] = TokenInfo(address=gpstr, decimals=18)
    # The deployer wraps part of the float and stakes half of it, so votes exist from block one.
    amount = d.units("PSTR", P.GOVERNANCE_PSTR)
    a.call(d.token("PSTR"), "mint", a.address, amount)
    a.call(d.token("PSTR"), "approve", gpstr, amount)
    gov_token = d.at("GovernanceToken", gpstr)
    a.call(gov_token, "depositFor", a.address, amount)
    a.call(gov_token, "stake", amount // 2)
    return GovernanceInfo(token=gpstr, governor=governor, timelock=timelock,
                          parameters=deploy_parameters(d, timelock))


def deploy_parameters(d: Deployer, owner: str) -> str:
    """StrategyParameters owned by `owner` (the timelock), holding the strategy's defaults."""
    values = encode(StrategyParams())
    limits = [bounds(name) for name in values]
    return d.admin.deploy(d.art("StrategyParameters"), owner,
                          [key_bytes(name) for name in values], list(values.values()),
                          [low for low, _ in limits], [high for _, high in limits])
