"""Core DAO system-contract stand-ins, TestToken and Multicall3 against a real anvil.

The stand-ins are installed the way the devnet installs them: `anvil_setCode` of the runtime code
at the real system addresses (REFERENCE.md "Core DAO chain"). Every view is then called with the
REAL Core signature and decoded with the REAL output types, both written out below from
coredao-org/core-genesis-contract `abi/`, so a monitor built against Core's ABI reads these exactly
as it would read mainnet. Each test runs inside an evm snapshot that is reverted afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from etf_suite import event_logs, load_artifact
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

pytestmark = pytest.mark.integration


VALIDATOR_SET = to_checksum_address("0x0000000000000000000000000000000000001000")
SLASH_INDICATOR = to_checksum_address("0x0000000000000000000000000000000000001001")
CANDIDATE_HUB = to_checksum_address("0x0000000000000000000000000000000000001005")
STAKE_HUB = to_checksum_address("0x0000000000000000000000000000000000001010")
MULTICALL3 = to_checksum_address("0xcA11bde05977b3631167028862bE2a173976CA11")
ROUND = 86_400
ACTIVE = 17  # candidate | validator

# The real Core views: signature -> output types (core-genesis-contract abi/*.abi).
REAL_VIEWS: dict[str, dict[str, tuple[str, ...]]] = {
    "CoreValidatorSet": {
        "getValidators()": ("address[]",),
        "getValidatorOps()": ("address[]",),
        "currentValidatorSet(uint256)": ("address", "address", "address", "uint256", "uint256"),
        "currentValidatorSetMap(address)": ("uint256",),
        "isValidator(address)": ("bool",),
        "getIncoming(address)": ("uint256",),
        "totalInCome()": ("uint256",),
    },
    "CoreCandidateHub": {
        "getCandidates()": ("address[]",),
        "candidateSet(uint256)": (
            "address",
            "address",
            "address",
            "uint256",
            "uint256",
            "uint256",
            "uint256",
            "uint256",
        ),
        "operateMap(address)": ("uint256",),
        "isJailed(address)": ("bool",),
        "jailMap(address)": ("uint256",),
        "getRoundTag()": ("uint256",),
        "roundTag()": ("uint256",),
        "validatorCount()": ("uint256",),
        "requiredMargin()": ("uint256",),
        "canDelegate(address)": ("bool",),
        "isCandidateByOperate(address)": ("bool",),
        "isCandidateByConsensus(address)": ("bool",),
    },
    "CoreSlashIndicator": {
        "getSlashIndicator(address)": ("uint256", "uint256"),
        "indicators(address)": ("uint256", "uint256", "bool"),
        "misdemeanorThreshold()": ("uint256",),
        "felonyThreshold()": ("uint256",),
        "felonyRound()": ("uint256",),
        "felonyDeposit()": ("uint256",),
    },
    "CoreStakeHub": {
        "getCandidateScores(address)": ("uint256[]",),
        "candidateScoresMap(address,uint256)": ("uint256",),
    },
}
VIEW_OUTPUTS = {sig: out for views in REAL_VIEWS.values() for sig, out in views.items()}
REAL_EVENTS = {
    "validatorSetUpdated()",
    "validatorMisdemeanor(address,uint256)",
    "validatorFelony(address,uint256)",
    "statusChanged(address,uint256,uint256)",
    "turnedRound(uint256)",
    "validatorSlashed(address)",
    "claimedReward(address,uint256)",
}
STANDIN_ADDRESSES = {
    "CoreValidatorSet": VALIDATOR_SET,
    "CoreSlashIndicator": SLASH_INDICATOR,
    "CoreCandidateHub": CANDIDATE_HUB,
    "CoreStakeHub": STAKE_HUB,
}


def _signature(item: dict[str, Any]) -> str:
    def typ(p: dict[str, Any]) -> str:
        if p["type"].startswith("tuple"):
            return "(" + ",".join(typ(c) for c in p["components"]) + ")" + p["type"][5:]
        return str(p["type"])

    return f"{item['name']}({','.join(typ(p) for p in item['inputs'])})"


class Chain:
    """web3 on the test anvil plus the few anvil_* calls these tests need."""

    def __init__(self, rpc_url: str, accounts: Sequence[str]) -> None:
        self.w3 = Web3(Web3.HTTPProvider(rpc_url))
        self.accounts = [to_checksum_address(a) for a in accounts]

    def rpc(self, method: str, *params: Any) -> Any:
        reply = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(
            address=to_checksum_address(address), abi=load_artifact(name)["abi"]
        )

    def deploy(self, name: str, *args: Any) -> Contract:
        art = load_artifact(name)
        factory = self.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        tx = factory.constructor(*args).transact({"from": self.accounts[0]})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        return self.contract(name, receipt["contractAddress"])

    def install(self, name: str, address: str) -> Contract:
        self.rpc("anvil_setCode", address, load_artifact(name)["deployedBytecode"])
        return self.contract(name, address)

    def send(self, fn: Any, sender: str | None = None) -> Any:
        tx = fn.transact({"from": sender or self.accounts[0]})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def real_call(self, address: str, signature: str, outputs: Sequence[str], *args: Any) -> Any:
        """eth_call with the real Core signature and decode with the real output types."""
        arg_types = signature[signature.index("(") + 1 : -1]
        types = [t for t in arg_types.split(",") if t]
        data = function_signature_to_4byte_selector(signature) + encode(types, list(args))
        raw = self.w3.eth.call({"to": address, "data": Web3.to_hex(data)})
        values = decode(list(outputs), bytes(raw))
        return values[0] if len(values) == 1 else values

    def view(self, address: str, signature: str, *args: Any) -> Any:
        """A real Core view, by signature; output types from REAL_VIEWS."""
        return self.real_call(address, signature, VIEW_OUTPUTS[signature], *args)

    def timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def _addr(i: int) -> str:
    return to_checksum_address(f"0x{i:040x}")


@pytest.fixture(scope="module")
def chain(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Chain]:
    """The plugin's session anvil when ballast.testing provides one, else a private anvil."""
    try:
        node = request.getfixturevalue("anvil")
    except pytest.FixtureLookupError:
        from ballast.testing.chain import run_anvil

        with run_anvil(tmp_path_factory.mktemp("anvil")) as private:
            yield Chain(private.rpc_url, private.accounts)
        return
    yield Chain(node.rpc_url, node.accounts)


@pytest.fixture(scope="module")
def core(chain: Chain) -> Iterator[dict[str, Contract]]:
    """The four stand-ins at their system addresses; removed again after the module (the anvil
    may be shared by the whole session)."""
    snapshot = chain.rpc("evm_snapshot")
    yield {name: chain.install(name, address) for name, address in STANDIN_ADDRESSES.items()}
    chain.rpc("evm_revert", snapshot)


@pytest.fixture(autouse=True)
def _isolated(chain: Chain, core: dict[str, Contract]) -> Iterator[None]:
    snapshot = chain.rpc("evm_snapshot")
    yield
    chain.rpc("evm_revert", snapshot)


@pytest.fixture
def candidate(chain: Chain, core: dict[str, Contract]) -> str:
    """One active candidate with a 100/1000 commission, not a validator: its operator."""
    op = _addr(0xA1)
    hub = core["CoreCandidateHub"]
    chain.send(hub.functions.registerCandidate(op, _addr(0xC1), _addr(0xF1), 100, 10**22, ACTIVE))
    return op


def _register_validators(chain: Chain, core: dict[str, Contract], n: int) -> list[tuple[str, str]]:
    """n active validators (status 17) in CandidateHub and ValidatorSet: (operator, consensus)."""
    pairs = [(_addr(0xA000 + i), _addr(0xC000 + i)) for i in range(n)]
    hub, vs = core["CoreCandidateHub"], core["CoreValidatorSet"]
    for i, (op, cons) in enumerate(pairs):
        chain.send(
            hub.functions.registerCandidate(op, cons, _addr(0xF000 + i), 100, 10**22, ACTIVE)
        )
    ops = [op for op, _ in pairs]
    cons = [c for _, c in pairs]
    fees = [_addr(0xF000 + i) for i in range(n)]
    chain.send(vs.functions.setValidatorSet(ops, cons, fees, [100] * n))
    return pairs


def test_core_standins__artifact_abi__has_every_real_core_view_and_event() -> None:
    for name, views in REAL_VIEWS.items():
        abi = load_artifact(name)["abi"]
        functions = {_signature(f): f for f in abi if f["type"] == "function"}
        for signature, outputs in views.items():
            assert signature in functions, f"{name} lacks {signature}"
            assert tuple(o["type"] for o in functions[signature]["outputs"]) == outputs, signature
    events = {
        _signature(e)
        for name in REAL_VIEWS
        for e in load_artifact(name)["abi"]
        if e["type"] == "event"
    }
    assert events >= REAL_EVENTS


def test_core_standins__installed_with_set_code__answer_defaults_without_init(
    chain: Chain, core: dict[str, Contract]
) -> None:
    assert chain.view(CANDIDATE_HUB, "getRoundTag()") == chain.timestamp() // ROUND
    assert chain.view(CANDIDATE_HUB, "validatorCount()") == 21
    assert chain.view(CANDIDATE_HUB, "getCandidates()") == ()
    assert chain.view(SLASH_INDICATOR, "misdemeanorThreshold()") == 50
    assert chain.view(SLASH_INDICATOR, "felonyThreshold()") == 150
    assert chain.view(SLASH_INDICATOR, "felonyRound()") == 2
    assert chain.view(VALIDATOR_SET, "getValidators()") == ()
    assert chain.view(STAKE_HUB, "getCandidateScores(address)", _addr(1)) == ()


def test_validator_set__set_validators_and_income__real_views_answer(
    chain: Chain, core: dict[str, Contract]
) -> None:
    pairs = _register_validators(chain, core, 3)
    vs = core["CoreValidatorSet"]
    receipt = chain.send(vs.functions.setIncome(pairs[1][1], 5 * 10**18))

    assert event_logs(receipt, VALIDATOR_SET, "validatorDeposit(address,uint256)")
    cons = [c.lower() for _, c in pairs]
    ops = [o.lower() for o, _ in pairs]
    assert list(chain.view(VALIDATOR_SET, "getValidators()")) == cons
    assert list(chain.view(VALIDATOR_SET, "getValidatorOps()")) == ops
    row = chain.view(
        VALIDATOR_SET,
        "currentValidatorSet(uint256)",
        1,
    )
    assert row == (ops[1], cons[1], _addr(0xF001).lower(), 100, 5 * 10**18)
    assert chain.view(VALIDATOR_SET, "isValidator(address)", pairs[0][1]) is True
    assert chain.view(VALIDATOR_SET, "isValidator(address)", pairs[0][0]) is False
    assert chain.view(VALIDATOR_SET, "getIncoming(address)", pairs[1][1]) == 5 * 10**18
    assert chain.view(VALIDATOR_SET, "totalInCome()") == 5 * 10**18


def test_validator_set__replaced__emits_validator_set_updated(
    chain: Chain, core: dict[str, Contract]
) -> None:
    vs = core["CoreValidatorSet"]
    receipt = chain.send(vs.functions.setValidatorSet([_addr(1)], [_addr(2)], [_addr(3)], [50]))

    assert len(event_logs(receipt, VALIDATOR_SET, "validatorSetUpdated()")) == 1
    assert chain.view(VALIDATOR_SET, "getValidators()") == (_addr(2).lower(),)


def test_candidate_hub__register_and_set_status__real_views_and_status_changed(
    chain: Chain, core: dict[str, Contract]
) -> None:
    hub = core["CoreCandidateHub"]
    op, cons, fee = _addr(0xA1), _addr(0xC1), _addr(0xF1)
    chain.send(hub.functions.registerCandidate(op, cons, fee, 200, 10**22, ACTIVE))
    receipt = chain.send(hub.functions.setStatus(op, 1 | 2))

    (log,) = event_logs(receipt, CANDIDATE_HUB, "statusChanged(address,uint256,uint256)")
    assert bytes(log["topics"][1])[-20:] == bytes.fromhex(op[2:])
    assert decode(["uint256", "uint256"], bytes(log["data"])) == (ACTIVE, 3)
    tag = chain.view(CANDIDATE_HUB, "getRoundTag()")
    row = chain.view(CANDIDATE_HUB, "candidateSet(uint256)", 0)
    assert row == (op.lower(), cons.lower(), fee.lower(), 200, 10**22, 3, tag, 200)
    assert chain.view(CANDIDATE_HUB, "getCandidates()") == (op.lower(),)
    assert chain.view(CANDIDATE_HUB, "operateMap(address)", op) == 1
    assert chain.view(CANDIDATE_HUB, "operateMap(address)", cons) == 0
    assert chain.view(CANDIDATE_HUB, "canDelegate(address)", op) is False
    assert chain.view(CANDIDATE_HUB, "isCandidateByConsensus(address)", cons) is True


def test_candidate_hub__jail_then_release__is_jailed_and_jail_map_follow(
    chain: Chain, core: dict[str, Contract], candidate: str
) -> None:
    hub, op = core["CoreCandidateHub"], candidate
    tag = chain.view(CANDIDATE_HUB, "getRoundTag()")

    receipt = chain.send(hub.functions.jail(op, tag + 3))
    assert event_logs(receipt, CANDIDATE_HUB, "statusChanged(address,uint256,uint256)")
    assert chain.view(CANDIDATE_HUB, "isJailed(address)", op) is True
    assert chain.view(CANDIDATE_HUB, "jailMap(address)", op) == tag + 3
    assert chain.view(CANDIDATE_HUB, "candidateSet(uint256)", 0)[5] == ACTIVE | 4

    chain.send(hub.functions.release(op))
    assert chain.view(CANDIDATE_HUB, "isJailed(address)", op) is False
    assert chain.view(CANDIDATE_HUB, "jailMap(address)", op) == 0


def test_candidate_hub__set_commission_twice_in_a_round__keeps_first_last_round_value(
    chain: Chain, core: dict[str, Contract], candidate: str
) -> None:
    hub, op = core["CoreCandidateHub"], candidate
    chain.send(hub.functions.turnRound())  # a new round: the next change is the round's first
    tag = chain.view(CANDIDATE_HUB, "getRoundTag()")

    chain.send(hub.functions.setCommission(op, 105))
    chain.send(hub.functions.setCommission(op, 108))

    row = chain.view(CANDIDATE_HUB, "candidateSet(uint256)", 0)
    assert row[3] == 108  # commissionThousandths
    assert row[6:] == (tag, 100)  # commissionLastChangeRound, commissionLastRoundValue


def test_candidate_hub__turn_round__increments_tag_emits_turned_round_and_releases_jail(
    chain: Chain, core: dict[str, Contract]
) -> None:
    hub = core["CoreCandidateHub"]
    pairs = _register_validators(chain, core, 2)
    tag = chain.view(CANDIDATE_HUB, "getRoundTag()")
    chain.send(hub.functions.jail(pairs[1][0], tag + 1))

    receipt = chain.send(hub.functions.turnRound())

    (log,) = event_logs(receipt, CANDIDATE_HUB, "turnedRound(uint256)")
    assert decode(["uint256"], bytes(log["data"])) == (tag + 1,)
    assert chain.view(CANDIDATE_HUB, "getRoundTag()") == tag + 1
    assert chain.view(CANDIDATE_HUB, "isJailed(address)", pairs[1][0]) is False
    # a jailed candidate is not elected in the round its jail ends; it is released afterwards
    assert chain.view(VALIDATOR_SET, "getValidators()") == (pairs[0][1].lower(),)
    status = chain.view(CANDIDATE_HUB, "candidateSet(uint256)", 1)[5]
    assert status == 1

    chain.send(hub.functions.turnRound())
    assert chain.view(CANDIDATE_HUB, "getRoundTag()") == tag + 2
    assert len(chain.view(VALIDATOR_SET, "getValidators()")) == 2


def test_candidate_hub__turn_round__elects_top_scores_up_to_validator_count(
    chain: Chain, core: dict[str, Contract]
) -> None:
    hub, stake = core["CoreCandidateHub"], core["CoreStakeHub"]
    pairs = _register_validators(chain, core, 3)
    chain.send(hub.functions.setValidatorCount(2))
    chain.send(stake.functions.setCandidateScores(pairs[0][0], 1, 0, 0))
    chain.send(stake.functions.setCandidateScores(pairs[2][0], 10, 5, 0))

    chain.send(hub.functions.turnRound())

    ops = chain.view(VALIDATOR_SET, "getValidatorOps()")
    assert ops == (pairs[2][0].lower(), pairs[0][0].lower())
    assert chain.view(CANDIDATE_HUB, "validatorCount()") == 2
    statuses = [chain.view(CANDIDATE_HUB, "candidateSet(uint256)", i)[5] for i in range(3)]
    assert statuses == [ACTIVE, 1, ACTIVE]


def test_candidate_hub__round_tag_offset__follows_block_time_plus_offset(
    chain: Chain, core: dict[str, Contract]
) -> None:
    hub = core["CoreCandidateHub"]
    chain.send(hub.functions.setRoundTagOffset(7))
    assert chain.view(CANDIDATE_HUB, "getRoundTag()") == chain.timestamp() // ROUND + 7
    chain.send(hub.functions.turnRound())
    chain.rpc("evm_setNextBlockTimestamp", chain.timestamp() + ROUND)
    chain.send(hub.functions.turnRound())  # a day later: time alone advances the tag
    assert chain.view(CANDIDATE_HUB, "getRoundTag()") == chain.timestamp() // ROUND + 8


def test_slash_indicator__one_below_misdemeanor__counts_without_punishment(
    chain: Chain, core: dict[str, Contract]
) -> None:
    pairs = _register_validators(chain, core, 3)
    si = core["CoreSlashIndicator"]
    chain.send(si.functions.setSlashIndicator(pairs[0][1], 48))

    receipt = chain.send(si.functions.slash(pairs[0][1]))

    assert len(event_logs(receipt, SLASH_INDICATOR, "validatorSlashed(address)")) == 1
    assert not event_logs(receipt, VALIDATOR_SET, "validatorMisdemeanor(address,uint256)")
    _, count = chain.view(SLASH_INDICATOR, "getSlashIndicator(address)", pairs[0][1])
    assert count == 49


def test_slash_indicator__reaching_misdemeanor__forfeits_income_and_emits_misdemeanor(
    chain: Chain, core: dict[str, Contract]
) -> None:
    pairs = _register_validators(chain, core, 3)
    si, vs = core["CoreSlashIndicator"], core["CoreValidatorSet"]
    op, cons = pairs[0]
    chain.send(vs.functions.setIncome(cons, 4 * 10**18))
    chain.send(si.functions.setSlashIndicator(cons, 49))

    receipt = chain.send(si.functions.slash(cons))

    (log,) = event_logs(receipt, VALIDATOR_SET, "validatorMisdemeanor(address,uint256)")
    assert bytes(log["topics"][1])[-20:] == bytes.fromhex(op[2:])  # operator address, as on Core
    assert decode(["uint256"], bytes(log["data"])) == (4 * 10**18,)
    height, count = chain.view(SLASH_INDICATOR, "getSlashIndicator(address)", cons)
    assert (height, count) == (receipt["blockNumber"], 50)
    assert chain.view(VALIDATOR_SET, "getIncoming(address)", cons) == 0
    assert chain.view(VALIDATOR_SET, "getIncoming(address)", pairs[1][1]) == 2 * 10**18


def test_slash_indicator__reaching_felony__removes_validator_and_jails_operator(
    chain: Chain, core: dict[str, Contract]
) -> None:
    pairs = _register_validators(chain, core, 3)
    si = core["CoreSlashIndicator"]
    op, cons = pairs[1]
    tag = chain.view(CANDIDATE_HUB, "getRoundTag()")
    chain.send(si.functions.setSlashIndicator(cons, 149))

    receipt = chain.send(si.functions.slash(cons))

    assert len(event_logs(receipt, VALIDATOR_SET, "validatorFelony(address,uint256)")) == 1
    (status_log,) = event_logs(receipt, CANDIDATE_HUB, "statusChanged(address,uint256,uint256)")
    # jailed (4), and the fine took the margin below the 10,000 CORE required (8), as on Core
    assert decode(["uint256", "uint256"], bytes(status_log["data"])) == (ACTIVE, ACTIVE | 4 | 8)
    assert chain.view(VALIDATOR_SET, "isValidator(address)", cons) is False
    assert len(chain.view(VALIDATOR_SET, "getValidators()")) == 2
    assert chain.view(CANDIDATE_HUB, "isJailed(address)", op) is True
    assert chain.view(CANDIDATE_HUB, "jailMap(address)", op) == tag + 2
    assert chain.view(SLASH_INDICATOR, "getSlashIndicator(address)", cons)[1] == 0
    margin = chain.view(CANDIDATE_HUB, "candidateSet(uint256)", 1)[4]
    assert margin == 10**22 - 10**21  # the felony deposit is fined


def test_slash_indicator__not_a_validator__is_ignored(
    chain: Chain, core: dict[str, Contract]
) -> None:
    receipt = chain.send(core["CoreSlashIndicator"].functions.slash(_addr(0xDEAD)))

    assert not receipt["logs"]
    assert chain.view(SLASH_INDICATOR, "getSlashIndicator(address)", _addr(0xDEAD)) == (0, 0)


def test_slash_indicator__turn_round__cleans_counts_by_a_quarter_felony(
    chain: Chain, core: dict[str, Contract]
) -> None:
    pairs = _register_validators(chain, core, 2)
    si = core["CoreSlashIndicator"]
    chain.send(si.functions.setSlashIndicator(pairs[0][1], 100))
    chain.send(si.functions.setSlashIndicator(pairs[1][1], 30))

    chain.send(core["CoreCandidateHub"].functions.turnRound())

    assert chain.view(SLASH_INDICATOR, "getSlashIndicator(address)", pairs[0][1])[1] == 63
    assert chain.view(SLASH_INDICATOR, "indicators(address)", pairs[1][1]) == (0, 0, False)


def test_stake_hub__set_scores__get_candidate_scores_is_total_core_hash_btc(
    chain: Chain, core: dict[str, Contract]
) -> None:
    chain.send(core["CoreStakeHub"].functions.setCandidateScores(_addr(0xA1), 7, 2, 3))

    scores = chain.view(STAKE_HUB, "getCandidateScores(address)", _addr(0xA1))
    assert scores == (12, 7, 2, 3)
    assert chain.view(STAKE_HUB, "candidateScoresMap(address,uint256)", _addr(0xA1), 3) == 3


def test_stake_hub__claim_reward__pays_and_emits_claimed_reward(
    chain: Chain, core: dict[str, Contract]
) -> None:
    stake = core["CoreStakeHub"]
    delegator = chain.accounts[1]
    chain.rpc("anvil_setBalance", STAKE_HUB, hex(10**20))
    chain.send(stake.functions.setReward(delegator, 3 * 10**18, 0, 10**18))
    before = chain.w3.eth.get_balance(delegator)

    receipt = chain.send(stake.functions.claimReward(), sender=delegator)

    (log,) = event_logs(receipt, STAKE_HUB, "claimedReward(address,uint256)")
    assert decode(["uint256"], bytes(log["data"])) == (4 * 10**18,)
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert chain.w3.eth.get_balance(delegator) == before + 4 * 10**18 - fee


def test_multicall3__aggregate3_at_canonical_address__batches_core_views(
    chain: Chain, core: dict[str, Contract]
) -> None:
    _register_validators(chain, core, 2)
    mc = chain.install("Multicall3", MULTICALL3)
    calls = [
        (VALIDATOR_SET, False, function_signature_to_4byte_selector("getValidators()")),
        (CANDIDATE_HUB, False, function_signature_to_4byte_selector("getRoundTag()")),
        (_addr(0xDEAD), True, b""),  # no code: succeeds with empty data
        (
            MULTICALL3,
            True,
            function_signature_to_4byte_selector("aggregate((address,bytes)[])") + b"\x01",
        ),
    ]

    results = mc.functions.aggregate3(calls).call()

    assert [ok for ok, _ in results] == [True, True, True, False]
    assert len(decode(["address[]"], results[0][1])[0]) == 2
    assert decode(["uint256"], results[1][1])[0] == chain.timestamp() // ROUND
    assert mc.functions.getBlockNumber().call() == chain.w3.eth.block_number
    assert mc.functions.getChainId().call() == chain.w3.eth.chain_id
    assert mc.functions.getEthBalance(chain.accounts[0]).call() == chain.w3.eth.get_balance(
        chain.accounts[0]
    )


def test_multicall3__abi__matches_canonical_selectors() -> None:
    canonical = {
        "aggregate((address,bytes)[])": "252dba42",
        "aggregate3((address,bool,bytes)[])": "82ad56cb",
        "aggregate3Value((address,bool,uint256,bytes)[])": "174dea71",
        "blockAndAggregate((address,bytes)[])": "c3077fa9",
        "getBasefee()": "3e64a696",
        "getBlockHash(uint256)": "ee82ac5e",
        "getBlockNumber()": "42cbb15c",
        "getChainId()": "3408e470",
        "getCurrentBlockCoinbase()": "a8b0574e",
        "getCurrentBlockDifficulty()": "72425d9d",
        "getCurrentBlockGasLimit()": "86d516e8",
        "getCurrentBlockTimestamp()": "0f28c97d",
        "getEthBalance(address)": "4d2301cc",
        "getLastBlockHash()": "27e86d6e",
        "tryAggregate(bool,(address,bytes)[])": "bce38bd7",
        "tryBlockAndAggregate(bool,(address,bytes)[])": "399542e9",
    }
    abi = load_artifact("Multicall3")["abi"]
    ours = {_signature(f): function_signature_to_4byte_selector(_signature(f)).hex() for f in abi}
    assert ours == canonical


def test_test_token__usdc_six_decimals__owner_mints_and_others_cannot(chain: Chain) -> None:
    usdc = chain.deploy("TestToken", "USD Coin", "USDC", 6)
    holder = chain.accounts[2]

    chain.send(usdc.functions.mint(holder, 1_500 * 10**6))

    assert usdc.functions.decimals().call() == 6
    assert usdc.functions.symbol().call() == "USDC"
    assert usdc.functions.balanceOf(holder).call() == 1_500 * 10**6
    unauthorized = keccak(text="OwnableUnauthorizedAccount(address)")[:4].hex()
    with pytest.raises(ContractCustomError, match=unauthorized):
        usdc.functions.mint(holder, 1).transact({"from": holder})


@pytest.mark.parametrize(
    ("name", "call", "reason"),
    [
        ("CoreValidatorSet", lambda c: c.functions.misdemeanor(_addr(1)), "slash contract"),
        ("CoreValidatorSet", lambda c: c.functions.felony(_addr(1), 2, 0), "slash contract"),
        (
            "CoreValidatorSet",
            lambda c: c.functions.updateValidatorSet([], [], [], []),
            "candidate contract",
        ),
        ("CoreCandidateHub", lambda c: c.functions.jailValidator(_addr(1), 2, 0), "validatorSet"),
        ("CoreSlashIndicator", lambda c: c.functions.clean(), "candidate contract"),
    ],
    ids=["misdemeanor", "felony", "updateValidatorSet", "jailValidator", "clean"],
)
def test_core_standins__system_entry_point_called_directly__reverts_like_core(
    chain: Chain, core: dict[str, Contract], name: str, call: Any, reason: str
) -> None:
    with pytest.raises(ContractLogicError, match=reason):
        call(core[name]).transact({"from": chain.accounts[0]})
