"""A slow, obviously-correct pure-Python reference of BH's index math (the test oracle).

Written from the definitions (README, "Choices that are ours") with Python ints and strings,
sharing no code with ``bhlib.codes``: bits by string slicing, blocks by explicit position lists,
decimalization by Horner's rule over the block's bits from its highest rank down.
"""
from __future__ import annotations


def partition(num_bits, strategy, block_bits=None, num_blocks=None):
    positions = list(range(num_bits))
    if strategy == "succession":
        if block_bits is not None:
            return [positions[i:i + block_bits] for i in range(0, num_bits, block_bits)]
        sizes = [num_bits // num_blocks + (1 if j < num_bits % num_blocks else 0)
                 for j in range(num_blocks)]
        out, start = [], 0
        for s in sizes:
            out.append(positions[start:start + s])
            start += s
        return out
    m = num_blocks if num_blocks is not None else -(-num_bits // block_bits)
    return [[p for p in positions if p % m == j] for j in range(m)]


def indices(value, num_bits, strategy, block_bits=None, num_blocks=None, layout="offset"):
    bits = format(value, f"0{num_bits}b")[::-1]  # bits[p] is bit p, LSB first
    assert len(bits) == num_bits
    blocks = partition(num_bits, strategy, block_bits, num_blocks)
    out, offset = [], 0
    for block in blocks:
        k = 0
        for p in reversed(block):  # highest rank first
            k = 2 * k + int(bits[p])
        out.append(k + (offset if layout == "offset" else 0))
        offset += 2 ** len(block)
    return out
