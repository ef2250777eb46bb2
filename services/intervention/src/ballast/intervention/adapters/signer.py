"""Signing: a key from an encrypted keystore file, or a remote signer. Nothing else holds a key.

The key never appears in logs, messages or errors: the signer's repr names only the address,
keystore errors are re-raised without the underlying exception text, and only the signed bytes
and the hash leave this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes


@dataclass(frozen=True)
class SignedTx:
    raw: bytes
    tx_hash: str


class Signer(Protocol):
    @property
    def address(self) -> str: ...

    async def sign(self, tx: dict[str, Any]) -> SignedTx: ...


class KeystoreError(RuntimeError):
    """The keystore could not be opened. Says which file, never why in the key's terms."""


class LocalSigner:
    """A LocalAccount decrypted once at start from an eth-keyfile (V3) keystore."""

    __slots__ = ("_account",)

    def __init__(self, account: LocalAccount) -> None:
        self._account = account

    @classmethod
    def from_keystore(cls, keystore: Path, password_file: Path) -> LocalSigner:
        try:
            encrypted = json.loads(keystore.read_text())
            password = password_file.read_text().rstrip("\n")
        except (OSError, ValueError):
            raise KeystoreError(f"cannot read keystore {keystore} or its password file") from None
        try:
            key = Account.decrypt(encrypted, password)
        except Exception:  # noqa: BLE001 - never chain: the cause may carry key material
            raise KeystoreError(f"cannot decrypt keystore {keystore}: wrong password?") from None
        return cls(Account.from_key(key))

    @property
    def address(self) -> str:
        return str(self._account.address)

    async def sign(self, tx: dict[str, Any]) -> SignedTx:
        signed = self._account.sign_transaction(tx)
        return SignedTx(bytes(signed.raw_transaction), "0x" + bytes(signed.hash).hex())

    def __repr__(self) -> str:
        return f"LocalSigner(address={self.address})"

    __str__ = __repr__


class RemoteSigner:
    """A remote signer speaking `eth_signTransaction` (web3signer, clef): the key stays there."""

    def __init__(self, url: str, address: str, timeout: float = 10.0) -> None:
        self.url = url
        self._address = address
        self.timeout = timeout

    @property
    def address(self) -> str:
        return self._address

    async def sign(self, tx: dict[str, Any]) -> SignedTx:
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_signTransaction",
            "params": [{"from": self._address, **_to_rpc(tx)}],
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.url, json=body) as response,
        ):
            reply = await response.json()
        if "error" in reply:
            raise RuntimeError(f"remote signer refused: {reply['error']}")
        result = reply["result"]
        raw = bytes(HexBytes(result if isinstance(result, str) else result["raw"]))
        return SignedTx(raw, "0x" + keccak(raw).hex())


def _to_rpc(tx: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tx.items():
        if isinstance(value, bytes | bytearray):
            out[key] = "0x" + bytes(value).hex()
        elif isinstance(value, int) and key not in ("type",):
            out[key] = hex(value)
        else:
            out[key] = value
    out["type"] = hex(int(tx.get("type", 2)))
    return out
