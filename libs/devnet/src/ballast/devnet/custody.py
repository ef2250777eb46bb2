"""The treasury Safe and the bot's Roles modifier, on chain (issue 21 "Custody").

`deploy_custody` puts up, from the committed npm builds (contracts/artifacts/safe, zodiac):

1. Safe 1.4.1: the SafeL2 singleton, SafeProxyFactory and CompatibilityFallbackHandler, and one
   Safe proxy set up with `owners` and `threshold` (devnet: 2 of anvil's accounts 3, 4, 5; the
   bot's key is no owner);
2. Zodiac Roles v2 (the audited mastercopy's code) with the Safe as avatar and target, after what
   it needs at fixed addresses: its Integrity and Packer libraries and the ERC-2470 factory its
   WriteOnce store uses (SingletonFactory.sol); then the bot's role (`ballast.devnet.bot_role`)
   applied while the deployer still owns the modifier, and Safe's MultiSendCallOnly with Roles'
   MultiSendUnwrapper set as its transaction unwrapper: a batch the bot sends there is checked
   call by call against the role (ballast.common.evm.multisend; the V3 remove);
3. ownership of the modifier to the Safe, and the modifier enabled as a module of the Safe by a
   Safe transaction the owners sign. From then on only the owners change the role.

`SafeOwners.execute` is the owners' path (EIP-712 Safe transaction hash, signed by `threshold`
owner keys, sorted by address as the Safe requires: ballast.common.evm.safe_tx); `role_calls`
is the one encoding of a role plan into Roles calls, used by the deployer and by
`ballast custody roles --apply`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from eth_account import Account
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from ballast.common.deployment import (
    CustodyInfo,
    EtfInfo,
    PoolInfo,
    TokenInfo,
    UniswapInfo,
    UniswapV3Info,
)
from ballast.common.evm.artifacts import Artifact
from ballast.common.evm.multisend import MULTI_SEND
from ballast.common.evm.roles import RolePlan, flatten
from ballast.common.evm.safe_tx import pack, sign_hash
from ballast.devnet.bot_role import bot_role, targets_of
from ballast.devnet.chain import Sender, contract, rpc
from ballast.strategy.params import StrategyParams

# anvil's default accounts 3, 4 and 5 ("test test ... junk"): public test keys, devnet only.
OWNER_KEYS = (
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
)
THRESHOLD = 2
SINGLETON_FACTORY = "0xce0042B868300000d44A59004Da54A005ffdcf9f"
"""ERC-2470: where Roles v2's WriteOnce stores the packed conditions (CREATE2 from here)."""
ZERO = "0x0000000000000000000000000000000000000000"
CALL = 0
ROLES_LIBRARIES = {"Integrity": "0x6a6Af4b16458Bc39817e4019fB02BD3b26d41049",
                   "Packer": "0x61C5B1bE435391fDd7bC6703F3740C0d11728a8C"}
"""The library addresses the Roles v2 mastercopy's code calls (where their deterministic
deployment put them on the chains Roles v2 is deployed on)."""
SAFE_SALT_NONCE = 0


def role_calls(roles: Contract, plan: RolePlan) -> list[bytes]:
    """The Roles calls that set up `plan` from nothing (owner only), in order."""
    data: list[str] = []
    for member in plan.members:
        data.append(roles.encode_abi("assignRoles", [member, [plan.role], [True]]))
    for target in plan.targets():
        data.append(roles.encode_abi("scopeTarget", [plan.role, target]))
    for s in plan.scopes:
        target = to_checksum_address(s.target)
        if s.condition is None:
            data.append(roles.encode_abi("allowFunction", [plan.role, target, s.selector, 0]))
        else:
            data.append(roles.encode_abi("scopeFunction", [
                plan.role, target, s.selector, flatten(s.condition), 0]))
    for a in plan.allowances:
        # timestamp 0: refills happen at whole periods since the epoch (00:00 UTC for a day)
        data.append(roles.encode_abi("setAllowance", [a.key, a.refill, a.max_refill, a.refill,
                                                      a.period, 0]))
    return [bytes(HexBytes(d)) for d in data]


@dataclass
class SafeOwners:
    """Sends Safe transactions signed by enough owner keys; `sender` pays the gas."""

    w3: Web3
    safe: Contract
    keys: Sequence[str]
    sender: Sender
    nonce: int | None = None

    def execute(self, to: str, data: bytes, value: int = 0) -> HexBytes:
        self.sender.pipe.wait()
        threshold = int(self.safe.functions.getThreshold().call())
        if self.nonce is None:
            self.nonce = int(self.safe.functions.nonce().call())
        args = (to_checksum_address(to), value, data, CALL, 0, 0, 0, ZERO, ZERO)
        tx_hash = bytes(self.safe.functions.getTransactionHash(*args, self.nonce).call())
        owners = {to_checksum_address(Account.from_key(k).address): k for k in self.keys}
        signers = sorted(owners, key=lambda a: int(a, 16))[:threshold]
        if len(signers) < threshold:
            raise ValueError(f"{len(signers)} owner key(s) for a threshold of {threshold}")
        signatures = pack({a: sign_hash(owners[a], tx_hash) for a in signers})
        self.nonce += 1
        return self.sender.call(self.safe, "execTransaction", *args, signatures)


def install_singleton_factory(w3: Web3, art: Callable[[str], Artifact]) -> None:
    if len(w3.eth.get_code(to_checksum_address(SINGLETON_FACTORY))) == 0:
        rpc(w3, "anvil_setCode", SINGLETON_FACTORY, art("SingletonFactory").deployed_bytecode)


def deploy_safe(admin: Sender, art: Callable[[str], Artifact], owners: Sequence[str],
                threshold: int) -> tuple[str, str, str, str]:
    """(safe, singleton, proxy factory, fallback handler)."""
    singleton = admin.deploy(art("SafeL2"))
    factory = admin.deploy(art("SafeProxyFactory"))
    handler = admin.deploy(art("CompatibilityFallbackHandler"))
    safe = create_safe(admin, art, (singleton, factory, handler), owners, threshold,
                       SAFE_SALT_NONCE)
    return safe, singleton, factory, handler


def create_safe(admin: Sender, art: Callable[[str], Artifact], base: tuple[str, str, str],
                owners: Sequence[str], threshold: int, salt_nonce: int) -> str:
    """One more Safe proxy from deployed (singleton, proxy factory, fallback handler)."""
    singleton, factory, handler = base
    w3 = admin.w3
    setup = contract(w3, art("SafeL2"), singleton).encode_abi("setup", [
        [to_checksum_address(o) for o in owners], threshold, ZERO, b"", handler, ZERO, 0, ZERO])
    proxies = contract(w3, art("SafeProxyFactory"), factory)
    admin.pipe.wait()
    safe = proxies.functions.createProxyWithNonce(singleton, setup, salt_nonce).call(
        {"from": admin.address})
    admin.call(proxies, "createProxyWithNonce", singleton, setup, salt_nonce)
    return to_checksum_address(safe)


def install_roles_libraries(admin: Sender, art: Callable[[str], Artifact]) -> None:
    """Integrity and Packer at the addresses Roles calls them (devnet: deployed, then their code
    placed there; libraries keep no state, so the copy behaves as the original)."""
    for name, address in ROLES_LIBRARIES.items():
        if len(admin.w3.eth.get_code(to_checksum_address(address))) == 0:
            deployed = admin.deploy(art(name))
            admin.pipe.wait()
            code = bytes(admin.w3.eth.get_code(to_checksum_address(deployed)))
            rpc(admin.w3, "anvil_setCode", address, "0x" + code.hex())


def deploy_roles(admin: Sender, art: Callable[[str], Artifact], safe: str) -> str:
    """The Roles modifier (owner: `admin` until handed over), avatar and target the Safe."""
    install_singleton_factory(admin.w3, art)
    install_roles_libraries(admin, art)
    return admin.deploy(art("Roles"), admin.address, safe, safe)


def deploy_custody(
    admin: Sender,
    art: Callable[[str], Artifact],
    plan: RolePlan,
    owner_keys: Sequence[str] = OWNER_KEYS,
    threshold: int = THRESHOLD,
) -> CustodyInfo:
    """Safe + Roles with `plan` applied; the modifier owned by the Safe and enabled on it."""
    owners: list[str] = [to_checksum_address(Account.from_key(k).address) for k in owner_keys]
    if len(plan.members) != 1 or plan.members[0] in owners:
        raise ValueError("the bot must be the role's one member and no owner of the Safe")
    safe, singleton, factory, handler = deploy_safe(admin, art, owners, threshold)
    roles_address = deploy_roles(admin, art, safe)
    roles = contract(admin.w3, art("Roles"), roles_address)
    for data in role_calls(roles, plan):
        admin.send(roles_address, data, label="Roles setup")
    multisend, unwrapper = admin.deploy(art("MultiSendCallOnly")), admin.deploy(
        art("MultiSendUnwrapper"))
    admin.call(roles, "setTransactionUnwrapper", multisend, MULTI_SEND, unwrapper)
    admin.call(roles, "transferOwnership", safe)
    safe_contract = contract(admin.w3, art("SafeL2"), safe)
    SafeOwners(admin.w3, safe_contract, owner_keys, admin).execute(
        safe, bytes(HexBytes(safe_contract.encode_abi("enableModule", [roles_address]))))
    admin.settle()
    return CustodyInfo(safe=safe, owners=owners, threshold=threshold, roles=roles_address,
                       role=plan.role.rstrip(b"\0").decode(), bot=plan.members[0],
                       safe_singleton=singleton, safe_proxy_factory=factory,
                       fallback_handler=handler, multisend=multisend,
                       multisend_unwrapper=unwrapper)


def exec_with_role(bot: Sender, roles: Contract, role: bytes, to: str, data: bytes) -> HexBytes:
    """The bot's call through the modifier (reverts unless the role allows it)."""
    return bot.call(roles, "execTransactionWithRole", to_checksum_address(to), 0, data, CALL,
                    role, True)


class _Deployer(Protocol):
    """What `attach_custody` needs of ballast.devnet.deployer.Deployer."""

    w3: Web3
    admin: Sender
    treasury: Sender
    tokens: dict[str, TokenInfo]

    def art(self, name: str) -> Artifact: ...

    def token(self, symbol: str) -> Contract: ...


def attach_custody(d: _Deployer, uniswap: UniswapInfo, pools: dict[str, PoolInfo], etf: EtfInfo,
                   params: StrategyParams, v3: UniswapV3Info | None = None) -> CustodyInfo:
    """Safe + Roles for the devnet's treasury; the treasury account (the bot's key) moves its
    PUMP and USDC into the Safe and keeps only gas; the Safe gets the StakeBasket's OPERATOR_ROLE
    (the basket calls of the bot's role are the Safe's)."""
    d.admin.settle()
    t = targets_of(uniswap, d.tokens, pools, etf, v3=v3)
    pump = d.token("PUMP")
    held = int(pump.functions.balanceOf(d.treasury.address).call())
    plan = bot_role(params, t, d.treasury.address, held)
    info = deploy_custody(d.admin, d.art, plan)
    for symbol in ("PUMP", "USDC"):
        token = d.token(symbol)
        amount = int(token.functions.balanceOf(d.treasury.address).call())
        d.treasury.call(token, "transfer", info.safe, amount)
    d.treasury.settle()
    # the basket automation the role allows is called by the Safe (through the modifier)
    basket = contract(d.w3, d.art("StakeBasket"), etf.stake_basket)
    d.admin.call(basket, "grantRole", basket.functions.OPERATOR_ROLE().call(), info.safe)
    d.admin.settle()
    return info
