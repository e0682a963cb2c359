"""Device meshes with the axes ``data``, ``fsdp`` and ``tensor``, built from :class:`MeshConfig`.

Axis types are **Auto** on every axis, chosen explicitly (``jax.make_mesh`` defaults to Explicit
since jax 0.10). With Auto axes the compiler's sharding propagation decides the layout of every
intermediate from the parameter and batch shardings plus a few ``with_sharding_constraint`` hints
(:func:`codescale_jax.parallel.rules.constrain`); Explicit axes would instead make sharding part of
every array's type and require an ``out_sharding`` on each contraction whose result layout is
ambiguous, which buys nothing for a dense decoder with a handful of well-known layouts.
"""

from __future__ import annotations

import math
from typing import Sequence

import jax
from jax.sharding import AxisType, Mesh

from codescale_jax.config import MeshConfig
from codescale_jax.errors import InputError

AXES: tuple[str, ...] = ("data", "fsdp", "tensor")


class MeshError(InputError, ValueError):
    """The requested mesh does not fit the available devices."""


def mesh_shape(cfg: MeshConfig, n_devices: int) -> tuple[int, int, int]:
    """Resolve ``-1`` (at most one axis) and check the product fits ``n_devices``.

    A product smaller than the device count uses the first devices (so a 1-device reference run and
    an 8-device run can share a process); a larger one is an error.
    """
    sizes = [cfg.data, cfg.fsdp, cfg.tensor]
    if any(s == 0 or s < -1 for s in sizes):
        raise MeshError(f"mesh sizes must be positive or -1, got data={cfg.data} fsdp={cfg.fsdp} tensor={cfg.tensor}")
    if sizes.count(-1) > 1:
        raise MeshError("at most one mesh axis may be -1 (fill the remaining devices)")
    if -1 in sizes:
        known = math.prod(s for s in sizes if s != -1)
        if n_devices % known:
            raise MeshError(f"cannot fill the mesh: {n_devices} devices are not a multiple of "
                            f"{known} (the product of the fixed axes {dict(zip(AXES, sizes))})")
        sizes[sizes.index(-1)] = n_devices // known
    if math.prod(sizes) > n_devices:
        raise MeshError(f"mesh data={sizes[0]} x fsdp={sizes[1]} x tensor={sizes[2]} needs {math.prod(sizes)} "
                        f"devices but only {n_devices} are available; shrink --set mesh.* (or use -1 on one axis)")
    return tuple(sizes)  # type: ignore[return-value]


def make_mesh(cfg: MeshConfig, devices: Sequence[jax.Device] | None = None) -> Mesh:
    """The mesh for ``cfg`` over ``devices`` (default: all devices of every process)."""
    devices = list(jax.devices() if devices is None else devices)
    shape = mesh_shape(cfg, len(devices))
    n = math.prod(shape)
    return jax.make_mesh(shape, AXES, axis_types=(AxisType.Auto,) * len(AXES), devices=devices[:n])


def batch_divisor(mesh: Mesh) -> int:
    """The global batch must be a multiple of this (the batch is split over data x fsdp)."""
    return mesh.shape["data"] * mesh.shape["fsdp"]
