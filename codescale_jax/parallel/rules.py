"""Logical axis names and the one table that maps them onto mesh axes.

Model code names every parameter dimension and a few activation dimensions with *logical* names
(``embed``, ``heads``, ``mlp`` ...). Only this module knows how those names land on the physical
mesh axes ``data``, ``fsdp`` and ``tensor``:

* the batch is split over ``data`` and ``fsdp`` (FSDP is data parallelism whose parameters and
  optimizer state are also sharded);
* parameters shard their ``embed`` (d_model) dimension over ``fsdp`` and gather it on use;
* heads, the MLP hidden size and the vocabulary shard over ``tensor`` (Megatron-style tensor
  parallelism: column-parallel QKV / gate-up, row-parallel output / down projections).

Changing a parallelism strategy is an edit of :data:`LOGICAL_RULES`, nothing else.
"""

from __future__ import annotations

from typing import Sequence

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

MeshAxes = str | tuple[str, ...] | None

LOGICAL_RULES: tuple[tuple[str, MeshAxes], ...] = (
    ("batch", ("data", "fsdp")),
    ("length", None),
    ("act_embed", None),  # d_model of activations: replicated (sequence parallelism is not used)
    ("act_heads", "tensor"),
    ("act_mlp", "tensor"),
    ("act_vocab", "tensor"),
    ("embed", "fsdp"),  # d_model of parameters
    ("heads", "tensor"),
    ("kv_heads", "tensor"),
    ("qkv", None),  # the fused q/k/v slot dimension
    ("head_dim", None),
    ("mlp", "tensor"),
    ("gate", None),  # the fused gate/up slot dimension
    ("vocab", "tensor"),
    ("norm", None),
    ("layers", None),
)
_RULES = dict(LOGICAL_RULES)


def logical_to_spec(axes: Sequence[str | None]) -> PartitionSpec:
    """``("batch", "length", None)`` -> ``PartitionSpec(("data", "fsdp"), None, None)``."""
    out = []
    for name in axes:
        if name is None:
            out.append(None)
            continue
        if name not in _RULES:
            raise KeyError(f"logical axis {name!r} has no rule; add it to LOGICAL_RULES ({', '.join(_RULES)})")
        out.append(_RULES[name])
    return PartitionSpec(*out)


def fit_spec(spec: PartitionSpec, shape: Sequence[int], mesh) -> PartitionSpec:
    """Drop mesh axes from dimensions they do not divide (a 4-head model on tensor=8 stays replicated
    on heads rather than failing); size-1 mesh axes are dropped too, which keeps specs readable."""
    dims = []
    for i, entry in enumerate(tuple(spec) + (None,) * (len(shape) - len(spec))):
        axes = (entry,) if isinstance(entry, str) else tuple(entry or ())
        kept, size = [], 1
        for ax in axes:
            n = mesh.shape[ax]
            if n > 1 and shape[i] % (size * n) == 0:
                kept.append(ax)
                size *= n
        dims.append(None if not kept else kept[0] if len(kept) == 1 else tuple(kept))
    return PartitionSpec(*dims)


def named_sharding(mesh: Mesh, axes: Sequence[str | None], shape: Sequence[int]) -> NamedSharding:
    return NamedSharding(mesh, fit_spec(logical_to_spec(axes), shape, mesh))


def tree_shardings(mesh: Mesh, logical_axes_tree, shapes_tree):
    """Map a tree of logical-axis tuples (leaves: ``PartitionSpec`` of logical names) and a matching
    tree of shapes (arrays or ``ShapeDtypeStruct``) to ``NamedSharding``s."""
    return jax.tree.map(lambda axes, x: named_sharding(mesh, tuple(axes), x.shape), logical_axes_tree, shapes_tree,
                        is_leaf=lambda x: isinstance(x, PartitionSpec))


def constrain(x: jax.Array, axes: Sequence[str | None]) -> jax.Array:
    """Sharding hint for an activation inside jitted code; a no-op when no mesh is set (plain
    ``model.apply`` on one device), so model code can call it unconditionally."""
    mesh = jax.sharding.get_abstract_mesh()
    if mesh.empty:
        return x
    return jax.lax.with_sharding_constraint(x, fit_spec(logical_to_spec(axes), x.shape, mesh))
