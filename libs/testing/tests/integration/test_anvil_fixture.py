"""anvil: chain 31337, the default accounts and keys, snapshot/revert, mining and time."""

from __future__ import annotations

from eth_account import Account

from ballast.testing.chain import Anvil

ONE_ETH = 10**18


def test_anvil__eth_chain_id__31337(anvil: Anvil) -> None:
    assert int(anvil.rpc("eth_chainId"), 16) == anvil.chain_id == 31337


def test_anvil__private_keys__match_funded_accounts(anvil: Anvil) -> None:
    derived = [Account.from_key(key).address for key in anvil.private_keys]
    assert len(derived) == 10
    assert [a.lower() for a in derived] == [a.lower() for a in anvil.accounts]
    assert anvil.balance(anvil.accounts[9]) > 0


def test_anvil__snapshot_then_transfer_then_revert__balance_restored(anvil: Anvil) -> None:
    sender, receiver = anvil.accounts[1], anvil.accounts[2]
    before = anvil.balance(receiver)
    snapshot = anvil.snapshot()

    receipt = anvil.send_transaction({"from": sender, "to": receiver, "value": hex(ONE_ETH)})
    assert receipt["status"] == "0x1"
    assert anvil.balance(receiver) == before + ONE_ETH

    anvil.revert(snapshot)
    assert anvil.balance(receiver) == before


def test_anvil__mine_and_increase_time__blocks_and_clock_move(anvil_snapshot: Anvil) -> None:
    start_block, start_time = anvil_snapshot.block_number(), anvil_snapshot.timestamp()
    anvil_snapshot.mine(3)
    anvil_snapshot.increase_time(3600)
    assert anvil_snapshot.block_number() == start_block + 4
    assert anvil_snapshot.timestamp() >= start_time + 3600
