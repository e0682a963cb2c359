"""Meshes and sharded training on 8 virtual CPU devices (JAX_NUM_CPU_DEVICES=8, see conftest.py)."""

import jax
import numpy as np
import pytest
from jax.sharding import PartitionSpec as P

from _train_helpers import TINY_MODEL, tiny_config
from codescale_jax import io_utils
from codescale_jax.config import MeshConfig
from codescale_jax.parallel.mesh import MeshError, make_mesh, mesh_shape
from codescale_jax.parallel.rules import fit_spec, logical_to_spec
from codescale_jax.train.loop import resolve_config, train
from codescale_jax.train.optimizer import make_optimizer
from codescale_jax.train.step import state_shardings


def test_mesh_shapes_and_errors():
    assert jax.device_count() == 8
    assert mesh_shape(MeshConfig(-1, 2, 1), 8) == (4, 2, 1)
    assert mesh_shape(MeshConfig(1, 1, 1), 8) == (1, 1, 1)  # a subset is allowed (reference runs)
    with pytest.raises(MeshError, match="needs 16 devices but only 8"):
        make_mesh(MeshConfig(4, 2, 2))
    with pytest.raises(MeshError, match="at most one"):
        mesh_shape(MeshConfig(-1, -1, 1), 8)
    with pytest.raises(MeshError, match="not a multiple"):
        mesh_shape(MeshConfig(-1, 3, 1), 8)
    mesh = make_mesh(MeshConfig(2, 2, 2))
    assert dict(mesh.shape) == {"data": 2, "fsdp": 2, "tensor": 2}
    assert all(t == jax.sharding.AxisType.Auto for t in mesh.axis_types)


def test_logical_rules_and_state_shardings():
    assert logical_to_spec(("batch", "length")) == P(("data", "fsdp"), None)
    mesh = make_mesh(MeshConfig(2, 2, 2))
    assert fit_spec(P("fsdp", "tensor"), (6, 3), mesh) == P("fsdp", None)  # 3 heads do not split in 2
    cfg = resolve_config(tiny_config()).model
    sh = state_shardings(cfg, mesh, make_optimizer(tiny_config().optimizer, 10))
    layer = sh["params"]["layer_0"]
    assert layer["attn"]["wqkv"].spec == P("fsdp", "tensor", None, None)
    assert layer["attn"]["wo"].spec == P("tensor", None, "fsdp")
    assert layer["mlp"]["w_gate_up"].spec == P("fsdp", None, "tensor")
    assert layer["mlp"]["w_down"].spec == P("tensor", "fsdp")
    assert sh["params"]["embedding"].spec == P("tensor", "fsdp")
    # Adam moments are laid out like their parameters.
    mu = [s for s in jax.tree.leaves(sh["opt_state"]) if s.spec == P("fsdp", "tensor", None, None)]
    assert len(mu) == 2 * TINY_MODEL.n_layers


def _losses(workdir):
    return [r["loss"] for r in io_utils.read_jsonl(workdir / "metrics.jsonl") if "loss" in r]


def test_8_devices_match_1_device(tmp_path):
    one = train(tiny_config(steps=5), tmp_path / "one", print_fn=lambda s: None)
    eight = train(tiny_config("mesh.data=2", "mesh.fsdp=2", "mesh.tensor=2", steps=5), tmp_path / "eight",
                  print_fn=lambda s: None)
    a, b = _losses(tmp_path / "one"), _losses(tmp_path / "eight")
    assert len(a) == len(b) == 5
    np.testing.assert_allclose(b, a, rtol=1e-4)
    assert a[-1] < a[0]  # the steps did train
    np.testing.assert_allclose(eight["loss"], one["loss"], rtol=1e-4)


def test_batch_must_divide_over_data_axes(tmp_path):
    with pytest.raises(ValueError, match="multiple of 8"):
        train(tiny_config("mesh.data=8", "train.batch_size=12"), tmp_path / "bad", print_fn=lambda s: None)


def test_parallel_microbatches_match_one_pass_on_one_and_on_four_devices(tmp_path):
    quiet = dict(print_fn=lambda s: None)
    train(tiny_config(steps=4), tmp_path / "one", **quiet)
    train(tiny_config("train.parallel_microbatches=4", steps=4), tmp_path / "split", **quiet)
    train(tiny_config("train.parallel_microbatches=2", "mesh.data=2", "mesh.fsdp=2", steps=4), tmp_path / "mesh",
          **quiet)
    a = _losses(tmp_path / "one")
    assert len(a) == 4
    np.testing.assert_allclose(_losses(tmp_path / "split"), a, rtol=1e-5)
    np.testing.assert_allclose(_losses(tmp_path / "mesh"), a, rtol=1e-4)


def test_microbatches_that_do_not_split_the_batch_evenly_are_refused(tmp_path):
    from codescale_jax.config import ConfigError

    # 8 rows over data x fsdp = 4 devices: 2 microbatches fit (1 row each per device), 4 do not.
    with pytest.raises(ConfigError, match="parallel_microbatches=4 needs train.batch_size=8 to be a multiple of 16"):
        train(tiny_config("train.parallel_microbatches=4", "mesh.data=2", "mesh.fsdp=2"), tmp_path / "x",
              print_fn=lambda s: None)
    with pytest.raises(ConfigError, match="parallel_microbatches=0"):
        train(tiny_config("train.parallel_microbatches=0"), tmp_path / "y", print_fn=lambda s: None)
