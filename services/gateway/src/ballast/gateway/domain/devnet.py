"""What the investor page needs to reach the StakeBasket: from the devnet's deployment.json.

The page gets the chain (id, the RPC URL the gateway was given) and the three contract addresses
it calls. On anvil's chain only (31337) it also gets anvil's funded default accounts 3 to 5 with
their keys, so a browser without a wallet extension can invest: these keys are published by
anvil and foundry for every local chain (mnemonic `test test ... junk`) and are worthless
elsewhere. Accounts 0 to 2 are the devnet's deployer, treasury and market trader: not offered.
"""

from __future__ import annotations

from typing import Any

ANVIL_CHAIN_ID = 31337
ANVIL_TEST_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("0x90F79bf6EB2c4f870365E785982E1f101E93b906",
     "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    ("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
     "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    ("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
     "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
)
FIRST_OFFERED = 3


class DevnetError(ValueError):
    """A deployment document without what the page needs."""


def chain_config(deployment: dict[str, Any], rpc_url: str) -> dict[str, Any]:
    """The page's chain settings from a parsed deployment.json."""
    try:
        chain_id = int(deployment["chain_id"])
        etf = deployment["etf"]
        doc: dict[str, Any] = {
            "chain_id": chain_id, "rpc_url": rpc_url,
            "stake_basket": str(etf["stake_basket"]), "token": str(etf["token"]),
            "unbonding_queue": str(etf["unbonding_queue"]),
        }
    except (KeyError, TypeError, ValueError) as err:
        raise DevnetError(f"deployment file lacks {err}") from None
    doc["test_accounts"] = [
        {"label": f"anvil account {FIRST_OFFERED + i}", "address": address, "private_key": key}
        for i, (address, key) in enumerate(ANVIL_TEST_ACCOUNTS)
    ] if chain_id == ANVIL_CHAIN_ID else []
    return doc
