"""The few contract functions the oracle reads, as ABI fragments (REFERENCE.md "Pyth",
"Switchboard", "Chainlink", "Uniswap V2"). Only views and the one event we decode."""

from __future__ import annotations

from typing import Any


def _fn(name: str, inputs: list[str], outputs: list[str]) -> dict[str, Any]:
    return {
        "type": "function", "name": name, "stateMutability": "view",
        "inputs": [{"name": f"a{i}", "type": t} for i, t in enumerate(inputs)],
        "outputs": [{"name": f"r{i}", "type": t} for i, t in enumerate(outputs)],
    }


AGGREGATOR_V3 = [
    _fn("decimals", [], ["uint8"]),
    _fn("description", [], ["string"]),
    _fn("latestRoundData", [], ["uint80", "int256", "uint256", "uint256", "uint80"]),
]

# getPriceUnsafe returns the struct Price{int64 price; uint64 conf; int32 expo; uint publishTime}
PYTH = [{
    "type": "function", "name": "getPriceUnsafe", "stateMutability": "view",
    "inputs": [{"name": "id", "type": "bytes32"}],
    "outputs": [{"name": "price", "type": "tuple", "components": [
        {"name": "price", "type": "int64"}, {"name": "conf", "type": "uint64"},
        {"name": "expo", "type": "int32"}, {"name": "publishTime", "type": "uint256"}]}],
}]

# latestUpdate(bytes32) -> (feedId, int128 result, uint256 timestamp, uint64 slot); a static
# struct encodes exactly like these four outputs.
SWITCHBOARD = [_fn("latestUpdate", ["bytes32"], ["bytes32", "int128", "uint256", "uint64"])]

ERC20 = [_fn("decimals", [], ["uint8"]), _fn("symbol", [], ["string"])]

UNISWAP_V2_PAIR = [
    _fn("token0", [], ["address"]),
    _fn("token1", [], ["address"]),
    _fn("getReserves", [], ["uint112", "uint112", "uint32"]),
    _fn("price0CumulativeLast", [], ["uint256"]),
    _fn("price1CumulativeLast", [], ["uint256"]),
    {
        "type": "event", "name": "Swap", "anonymous": False,
        "inputs": [
            {"name": "sender", "type": "address", "indexed": True},
            {"name": "amount0In", "type": "uint256", "indexed": False},
            {"name": "amount1In", "type": "uint256", "indexed": False},
            {"name": "amount0Out", "type": "uint256", "indexed": False},
            {"name": "amount1Out", "type": "uint256", "indexed": False},
            {"name": "to", "type": "address", "indexed": True},
        ],
    },
]
