"""The last step of a devnet deployment (issue 21 "Control"): the ETF's admin goes to governance.

- StakeBasket, StakingManager, UnbondingQueue: DEFAULT_ADMIN_ROLE (every setter, role grants
  and, on the basket, `unpause`) is granted to the PstrTimelock, which only a passed PstrGovernor
  proposal drives, and renounced by the deployer; the PriceFeed's ownership goes to the timelock.
- The guardian gets the basket's PAUSER_ROLE: it pauses at once and can do nothing else (the
  contract keeps `unpause` for the admin). With `--safe` the guardian is a second Safe of the
  treasury owners (same owners and threshold, from the same singleton and factory): a Safe of its
  own, with no module and no assets, so the role the bot reaches through the treasury Safe's
  Roles modifier can never touch the pause, and in production its signers and threshold can
  differ from the treasury's (a small on-call set that answers fast). Without a Safe the
  guardian is anvil's default account 6 (GUARDIAN_KEY: a public test key).
- The deployer keeps OPERATOR_ROLE on the basket (the automation calls; the treasury account has
  it too): tests and benchmarks stake the basket's liquidity with it. It keeps no admin role and
  no pause.

Everything earlier in the deployment still uses the deployer's admin (setFeed, setBasket,
targets, the swap router), so this runs after every other step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_account import Account
from eth_utils.address import to_checksum_address

from ballast.common.deployment import CustodyInfo, EtfInfo
from ballast.devnet.chain import rpc
from ballast.devnet.custody import create_safe

if TYPE_CHECKING:
    from ballast.devnet.deployer import Deployer

# anvil's default account 6 ("test test ... junk"): a public test key, devnet only.
GUARDIAN_KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"
GUARDIAN_SALT_NONCE = 1
"""The treasury Safe is salt nonce 0 (custody.SAFE_SALT_NONCE): same owners, another address."""
ADMIN_ROLE = b"\0" * 32
ETH = 10**18


def guardian_account(d: Deployer, custody: CustodyInfo | None) -> str:
    """The guardian's address: a Safe of the treasury owners with `custody`, else account 6."""
    if custody is None:
        address = to_checksum_address(Account.from_key(GUARDIAN_KEY).address)
        rpc(d.w3, "anvil_setBalance", address, hex(100 * ETH))  # gas for its pause
        return address
    base = (custody.safe_singleton, custody.safe_proxy_factory, custody.fallback_handler)
    return create_safe(d.admin, d.art, base, custody.owners, custody.threshold,
                       GUARDIAN_SALT_NONCE)


def hand_over(d: Deployer, etf: EtfInfo, timelock: str, custody: CustodyInfo | None) -> str:
    """PAUSER_ROLE to the guardian, every admin role to `timelock`, the deployer's renounced;
    returns the guardian."""
    a = d.admin
    guardian = guardian_account(d, custody)
    basket = d.at("StakeBasket", etf.stake_basket)
    a.call(basket, "grantRole", basket.functions.PAUSER_ROLE().call(), guardian)
    for name, address in (("StakeBasket", etf.stake_basket),
                          ("StakingManager", etf.staking_manager),
                          ("UnbondingQueue", etf.unbonding_queue)):
        c = d.at(name, address)
        a.call(c, "grantRole", ADMIN_ROLE, timelock)
        a.call(c, "renounceRole", ADMIN_ROLE, a.address)
    a.call(d.at("PriceFeed", etf.price_feed), "transferOwnership", timelock)
    a.settle()
    return guardian
