"""Tile sizes and launch settings for the Pallas attention kernel, and the checks on them.

The forward pass and the two backward kernels (one producing dq, one producing dk and dv) each
take their own tile sizes: the backward kernels hold more live tiles per program and usually want
smaller ones. Sizes must be powers of two of at least 16 because the Triton lowering builds
``tl.arange``-style index vectors, which require power-of-two extents.
"""

from __future__ import annotations

import dataclasses

MIN_BLOCK = 16


def _is_pow2(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


def next_pow2(n: int) -> int:
    """Smallest power of two >= ``n`` (``n >= 1``)."""
    return 1 << (max(int(n), 1) - 1).bit_length()


@dataclasses.dataclass(frozen=True)
class BlockSizes:
    """Tile sizes along the query (``q``) and key/value (``k``) sequence axes.

    ``num_warps`` / ``num_stages`` are passed to the Triton compiler on GPU and ignored in
    interpret mode; ``None`` lets :func:`launch_params` pick a value from the head dimension.
    """

    block_q: int = 128
    block_k: int = 64
    block_q_dq: int = 64
    block_k_dq: int = 64
    block_q_dkv: int = 64
    block_k_dkv: int = 64
    num_warps: int | None = None
    num_stages: int | None = None

    def __post_init__(self):
        for field in ("block_q", "block_k", "block_q_dq", "block_k_dq", "block_q_dkv", "block_k_dkv"):
            value = getattr(self, field)
            if not isinstance(value, int) or not _is_pow2(value) or value < MIN_BLOCK:
                raise ValueError(
                    f"BlockSizes.{field}={value!r}: tile sizes must be powers of two >= {MIN_BLOCK} "
                    "(the Triton lowering needs power-of-two tiles); pick e.g. 32, 64 or 128")

    @classmethod
    def for_head_dim(cls, head_dim: int) -> "BlockSizes":
        """Defaults by head dimension: large heads keep the query tile at 128 but halve the key
        tile so the per-program working set stays inside shared memory on A100/H100."""
        if head_dim <= 64:
            return cls(block_q=128, block_k=128)
        return cls(block_q=128, block_k=64)


def fit_block(block: int, length: int) -> int:
    """Shrink ``block`` to the smallest power of two covering ``length`` (never below 16), so a
    short sequence is not padded up to a long tile."""
    return max(MIN_BLOCK, min(block, next_pow2(length)))


def padded_length(length: int, block: int) -> int:
    """``length`` rounded up to a multiple of ``block``."""
    return -(-length // block) * block


def launch_params(blocks: BlockSizes, head_dim: int, *, backward: bool) -> tuple[int, int]:
    """``(num_warps, num_stages)`` for the Triton compiler: eight warps for 128-wide heads in
    the forward pass, four otherwise; two pipeline stages for the backward pass, which already
    keeps two accumulators live."""
    warps = blocks.num_warps or (8 if head_dim >= 128 and not backward else 4)
    stages = blocks.num_stages or (2 if backward else 3)
    return warps, stages
