"""The pure Safe transaction parts: the EIP-712 message a wallet signs gives the same signature
as signing the hash, signatures pack in owner order, and only an owner's plain ECDSA signature of
this transaction's hash recovers to a signer."""

from __future__ import annotations

import pytest
from eth_account import Account

from ballast.common.evm.safe_tx import (
    SafeCall,
    SignatureError,
    executable,
    pack,
    sign,
    signer_of,
)

KEYS = [Account.create().key for _ in range(3)]
CALL = SafeCall(safe="0x" + "11" * 20, chain_id=31337, nonce=4, to="0x" + "22" * 20,
                value=5, data=b"\x01\x02\x03")


def test_sign__typed_data_as_a_wallet_signs_it__same_signature_as_the_hash() -> None:
    for key in KEYS:
        wallet = Account.sign_typed_data(key, full_message=CALL.typed_data()).signature
        assert bytes(wallet) == sign(CALL, key)
        assert signer_of(CALL, bytes(wallet)) == Account.from_key(key).address


def test_hash__any_field_changed__another_hash() -> None:
    others = [SafeCall(**{**CALL.__dict__, field: value}) for field, value in (
        ("nonce", 5), ("chain_id", 1), ("value", 6), ("data", b"\x01\x02"),
        ("safe", "0x" + "33" * 20), ("operation", 1))]
    assert len({CALL.hash, *(o.hash for o in others)}) == len(others) + 1


def test_pack__signatures_in_ascending_owner_order() -> None:
    sigs = {Account.from_key(k).address: sign(CALL, k) for k in KEYS}
    ordered = sorted(sigs, key=lambda a: int(a, 16))
    assert pack(sigs) == b"".join(sigs[a] for a in ordered)
    assert pack(dict(reversed(list(sigs.items())))) == pack(sigs)


def test_signer_of__another_transaction_or_eth_sign_or_garbage__not_the_owner() -> None:
    key = KEYS[0]
    owner = Account.from_key(key).address
    other = SafeCall(**{**CALL.__dict__, "nonce": 5})
    assert signer_of(CALL, sign(other, key)) != owner
    eth_sign = sign(CALL, key)[:64] + bytes([sign(CALL, key)[64] + 4])
    with pytest.raises(SignatureError, match="only an owner's ECDSA"):
        signer_of(CALL, eth_sign)
    with pytest.raises(SignatureError, match="65 bytes"):
        signer_of(CALL, b"\x00" * 64)


def test_executable__counts_distinct_current_owners_only() -> None:
    owners = [Account.from_key(k).address for k in KEYS]
    assert not executable([owners[0], owners[0].lower()], owners, 2)
    assert not executable([owners[0], "0x" + "44" * 20], owners, 2)
    assert executable(owners[:2], owners, 2)
