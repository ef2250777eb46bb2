"""A Safe transaction, its EIP-712 hash and its owners' signatures (needs the `safe` extra).

Pure: data in, data out, no chain. The hash is safe-eth-py's (`safe_eth.safe.SafeTx`, given the
nonce, version and chain id so it never asks a node), the same value as the Safe contract's
`getTransactionHash`. An owner signs that hash as EIP-712 typed data (`typed_data` is what a
browser wallet's `eth_signTypedData_v4` takes; signing the hash directly gives the same bytes),
and `execTransaction` takes the signatures concatenated in ascending order of owner address.

Only plain ECDSA owner signatures (v = 27/28) are accepted: an `eth_sign`, contract or
pre-approved-hash signature is refused, so a stored signature always recovers to its signer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_account import Account
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from safe_eth.eth import EthereumClient
from safe_eth.safe.safe_signature import SafeSignature, SafeSignatureType
from safe_eth.safe.safe_tx import SafeTx

SAFE_VERSION = "1.4.1"
"""The Safe contracts Ballast deploys (contracts/artifacts/safe)."""
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
CALL, DELEGATE_CALL = 0, 1
SIGNATURE_BYTES = 65


class SignatureError(ValueError):
    """A signature that cannot count towards the threshold (the message says why)."""


@dataclass(frozen=True)
class SafeCall:
    """The fields of a SafeTx (no gas refund: the executor pays its own gas) and where it runs."""

    safe: str
    chain_id: int
    nonce: int
    to: str
    value: int
    data: bytes
    operation: int = CALL

    def __post_init__(self) -> None:
        object.__setattr__(self, "safe", to_checksum_address(self.safe))
        object.__setattr__(self, "to", to_checksum_address(self.to))
        if self.operation not in (CALL, DELEGATE_CALL):
            raise ValueError(f"operation must be 0 (call) or 1 (delegatecall): {self.operation}")
        if self.value < 0 or self.nonce < 0:
            raise ValueError("value and nonce are non-negative")

    def _safe_tx(self, signatures: bytes = b"") -> SafeTx:
        # ethereum_client is only used when nonce, version or chain id are missing: never here
        return SafeTx(cast(EthereumClient, None), cast(Any, self.safe), cast(Any, self.to),
                      self.value, self.data, self.operation, 0, 0, 0, None, None,
                      signatures=signatures, safe_nonce=self.nonce, safe_version=SAFE_VERSION,
                      chain_id=self.chain_id)

    @property
    def hash(self) -> bytes:
        """The EIP-712 Safe transaction hash (the contract's `getTransactionHash`)."""
        return bytes(self._safe_tx().safe_tx_hash)

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 message (domain: chain id and Safe; primary type SafeTx), JSON-ready."""
        data = self._safe_tx().eip712_structured_data
        message = {k: v for k, v in data["message"].items() if k != "dataGas"}
        message["data"] = "0x" + self.data.hex()
        return {**data, "message": message}

    def exec_args(self, signatures: bytes) -> tuple[Any, ...]:
        """The arguments of the Safe's `execTransaction`."""
        return (self.to, self.value, self.data, self.operation, 0, 0, 0, ZERO_ADDRESS,
                ZERO_ADDRESS, signatures)


def sign_hash(key: str | bytes, digest: bytes) -> bytes:
    """An owner key's signature of a Safe transaction hash: r ‖ s ‖ v (v = 27 or 28)."""
    signed = Account.unsafe_sign_hash(digest, key)
    return signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])


def sign(call: SafeCall, key: str | bytes) -> bytes:
    return sign_hash(key, call.hash)


def signer_of(call: SafeCall, signature: bytes) -> str:
    """The address a 65-byte owner signature of `call` recovers to (SignatureError if none)."""
    if len(signature) != SIGNATURE_BYTES:
        raise SignatureError(f"a signature is {SIGNATURE_BYTES} bytes, not {len(signature)}")
    try:
        parsed = SafeSignature.parse_signature(signature, call.hash)
    except Exception as err:  # noqa: BLE001 - any parse failure is "not a signature"
        raise SignatureError(f"not a valid signature: {type(err).__name__}") from err
    if len(parsed) != 1 or parsed[0].signature_type != SafeSignatureType.EOA:
        raise SignatureError("only an owner's ECDSA signature of the Safe transaction hash "
                             "(v = 27 or 28) is accepted")
    return to_checksum_address(parsed[0].owner)


def pack(signatures: Mapping[str, bytes]) -> bytes:
    """`execTransaction`'s signatures: owner -> signature, in ascending owner address order."""
    ordered = sorted(signatures.items(), key=lambda item: int(item[0], 16))
    return b"".join(sig for _, sig in ordered)


def counted(signers: Iterable[str], owners: Iterable[str]) -> set[str]:
    """The distinct current owners among `signers` (what counts towards the threshold)."""
    current = {str(to_checksum_address(o)) for o in owners}
    return {str(to_checksum_address(s)) for s in signers} & current


def executable(signers: Iterable[str], owners: Iterable[str], threshold: int) -> bool:
    return threshold > 0 and len(counted(signers, owners)) >= threshold


def hex_bytes(value: str | bytes) -> bytes:
    return bytes(HexBytes(value))
