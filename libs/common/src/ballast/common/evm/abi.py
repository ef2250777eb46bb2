"""ABI entries of the few contract functions the services call, written as their Solidity
parameter lists: `function("approve", "address spender, uint256 amount", "bool",
mutable=True)`."""

from __future__ import annotations

from typing import Any


def function(name: str, inputs: str = "", outputs: str = "", *, mutable: bool = False
             ) -> dict[str, Any]:
    """A `function` entry; `inputs` and `outputs` as "type name, type name" (names optional)."""
    return {
        "name": name,
        "type": "function",
        "stateMutability": "nonpayable" if mutable else "view",
        "inputs": params(inputs),
        "outputs": params(outputs),
    }


def params(solidity: str) -> list[dict[str, str]]:
    """"uint256 amountIn, address[] path" -> [{"name": "amountIn", "type": "uint256"}, ...]."""
    out: list[dict[str, str]] = []
    for param in filter(None, (p.strip() for p in solidity.split(","))):
        kind, _, name = param.partition(" ")
        out.append({"name": name.strip(), "type": kind})
    return out


def struct_function(name: str, fields: str, outputs: str = "") -> dict[str, Any]:
    """A payable function taking one struct of `fields` ("type name, ...") (Uniswap V3's
    periphery: `mint`, `collect`, `exactInputSingle`...)."""
    return {
        "name": name,
        "type": "function",
        "stateMutability": "payable",
        "inputs": [{"name": "params", "type": "tuple", "components": params(fields)}],
        "outputs": params(outputs),
    }
