"""Signed operator commands (ballast.common.operators): the digest covers every field that changes
a command's meaning, a wallet's eth_signTypedData gives the same signature, and `refusal` obeys an
address identity only for a fresh signature that recovers to it, a name identity as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from pydantic import TypeAdapter, ValidationError

from ballast.common.messages import ControlCommand, ControlVerb
from ballast.common.operators import (
    CLOCK_SKEW,
    SIGNED_COMMAND_WINDOW,
    NotCanonical,
    OperatorIdentities,
    digest,
    recover,
    refusal,
    sign,
    typed_data,
)

KEY = bytes.fromhex("11" * 32)
OTHER = bytes.fromhex("22" * 32)
SIGNER = Account.from_key(KEY).address
NOW = datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
COMMAND = ControlCommand(
    command_id="c-1", command=ControlVerb.SILENCE, issued_by="olga", issued_at=NOW,
    target="oracle_stale|PSTR", matchers={"source": "dex_twap", "rule": "oracle_deviation"},
    expires_at=NOW + timedelta(hours=2), reason="drill")


def test_sign__a_wallet_signing_the_typed_data__same_signature_and_signer() -> None:
    signed = sign(COMMAND, KEY)
    wallet = Account.sign_typed_data(KEY, full_message=typed_data(COMMAND)).signature
    assert signed.signature == "0x" + bytes(wallet).hex()
    assert signed.signer == SIGNER
    assert recover(signed) == SIGNER
    assert ControlCommand.model_validate_json(signed.model_dump_json()) == signed


def test_digest__every_meaningful_field_changed__another_digest() -> None:
    changes = {
        "command_id": "c-2", "command": ControlVerb.PAUSE, "issued_at": NOW + timedelta(seconds=1),
        "target": "intervention", "decision_id": "dec-1", "matchers": {"rule": "other"},
        "expires_at": NOW + timedelta(hours=3), "reason": "not a drill",
    }
    digests = {digest(COMMAND)} | {digest(COMMAND.model_copy(update={k: v}))
                                   for k, v in changes.items()}
    assert len(digests) == len(changes) + 1
    assert digest(COMMAND.model_copy(update={"issued_by": "someone"})) == digest(COMMAND)
    reordered = COMMAND.model_copy(update={"matchers": dict(reversed(COMMAND.matchers.items()))})
    assert digest(reordered) == digest(COMMAND)


def test_typed_data__fraction_of_a_second_or_empty_target__not_canonical() -> None:
    with pytest.raises(NotCanonical, match="issued_at"):
        typed_data(COMMAND.model_copy(update={"issued_at": NOW + timedelta(microseconds=5)}))
    with pytest.raises(NotCanonical, match="target"):
        typed_data(COMMAND.model_copy(update={"target": ""}))


def test_refusal__signed_by_an_address_identity__obeyed_until_the_window_ends() -> None:
    signed = sign(COMMAND, KEY)
    assert refusal(signed, [SIGNER], NOW) is None
    assert refusal(signed, [SIGNER.lower()], NOW + SIGNED_COMMAND_WINDOW) is None
    late = refusal(signed, [SIGNER], NOW + SIGNED_COMMAND_WINDOW + timedelta(seconds=1))
    assert late is not None and late.startswith("expired")
    early = refusal(signed, [SIGNER], NOW - CLOCK_SKEW - timedelta(seconds=1))
    assert early is not None and early.startswith("issued in the future")
    assert refusal(signed, [SIGNER], NOW - CLOCK_SKEW) is None


def test_refusal__tampered_field__bad_signature() -> None:
    signed = sign(COMMAND, KEY)
    for update in ({"reason": "other"}, {"command": ControlVerb.PAUSE}, {"target": None},
                   {"issued_at": NOW + timedelta(seconds=1)}, {"matchers": {}},
                   {"target": ""}, {"issued_at": NOW + timedelta(microseconds=1)}):
        why = refusal(signed.model_copy(update=update), [SIGNER], NOW)
        assert why is not None and why.startswith("bad signature"), update
    other = Account.from_key(OTHER).address
    claimed = refusal(signed.model_copy(update={"signer": other}), [other], NOW)
    assert claimed == f"bad signature: it does not recover to {other}"
    half = refusal(signed.model_copy(update={"signature": None}), [SIGNER], NOW)
    assert half == "bad signature: signer and signature go together"
    garbage = signed.model_copy(update={"signature": "0x" + "00" * 65})
    assert (refusal(garbage, [SIGNER], NOW) or "").startswith("bad signature")


def test_refusal__wrong_signer_or_unsigned__refused_with_the_reason() -> None:
    by_other = sign(COMMAND, OTHER)
    assert refusal(by_other, [SIGNER], NOW) == f"unknown signer {by_other.signer}"
    assert (refusal(COMMAND, [SIGNER], NOW) or "").startswith("unsigned")
    assert refusal(COMMAND, ["vera"], NOW) == "not an operator identity"
    assert refusal(COMMAND, ["vera", SIGNER], NOW) == "unsigned, and not an operator identity"


def test_refusal__name_identity__issued_by_as_before_signatures() -> None:
    assert refusal(COMMAND, ["olga"], NOW) is None
    assert refusal(COMMAND, ["olga", SIGNER], NOW) is None  # a mixed list keeps the name
    assert refusal(sign(COMMAND, OTHER), ["olga"], NOW) is None
    stale = sign(COMMAND, OTHER)
    assert (refusal(stale, ["olga"], NOW + timedelta(hours=1)) or "").startswith("expired")
    # a token named like an address vouches for nothing: only a signature stands for an address
    as_address = COMMAND.model_copy(update={"issued_by": SIGNER})
    assert (refusal(as_address, [SIGNER], NOW) or "").startswith("unsigned")


def test_operator_identities__a_mistyped_address__an_error_not_a_name() -> None:
    adapter = TypeAdapter(OperatorIdentities)
    assert adapter.validate_python([SIGNER, "ops@ballast"]) == (SIGNER, "ops@ballast")
    with pytest.raises(ValidationError, match="0x123: an address identity is 0x and 40 hex"):
        adapter.validate_python(["ops@ballast", "0x123"])
