"""``train.cpu_matmuls``: the CPU matmul library XLA compiles the train and eval steps with."""

import jax
import numpy as np
import pytest

from _train_helpers import tiny_config
from codescale_jax import io_utils
from codescale_jax.config import ConfigError
from codescale_jax.data import input as input_lib
from codescale_jax.data.packing import lm_batch
from codescale_jax.parallel.mesh import make_mesh
from codescale_jax.train.loop import resolve_config, train
from codescale_jax.train.step import CPU_MATMULS, build_trainer, compiler_options


def _compiled_step_hlo(cpu_matmuls: str) -> tuple[str, str]:
    cfg = resolve_config(tiny_config())
    mesh = make_mesh(cfg.mesh)
    trainer = build_trainer(cfg.model, mesh, cfg.optimizer, 10, 1, cpu_matmuls)
    batch = trainer.device_batch(lm_batch(next(iter(input_lib.train_dataset(cfg.data, 8, seed=0)))))
    state = trainer.abstract_state()
    with jax.set_mesh(mesh):
        step = trainer.lower_step(state, batch).compile().as_text()
        evaluate = trainer.eval_fn.lower(state["params"], batch).compile().as_text()
    return step, evaluate


def _entry(hlo: str) -> str:
    return hlo[hlo.index("\nENTRY"):]


def test_eigen_takes_the_matmuls_out_of_ynnpack_in_the_train_and_eval_steps():
    ynn_step, ynn_eval = _compiled_step_hlo("ynnpack")
    eigen_step, eigen_eval = _compiled_step_hlo("eigen")
    # XLA's default hands the dots to YNNPACK fusions; "eigen" leaves them as plain dot instructions.
    assert "ynn_fusion" in _entry(ynn_step) and "ynn_fusion" in _entry(ynn_eval)
    for hlo in (eigen_step, eigen_eval):
        assert "ynn_fusion" not in hlo
        assert " dot(" in _entry(hlo)


def test_the_libraries_give_the_same_losses(tmp_path):
    quiet = dict(print_fn=lambda s: None)
    train(tiny_config(steps=4), tmp_path / "ynnpack", **quiet)
    train(tiny_config("train.cpu_matmuls=eigen", steps=4), tmp_path / "eigen", **quiet)

    def losses(d):
        return [r["loss"] for r in io_utils.read_jsonl(d / "metrics.jsonl") if "loss" in r]

    a = losses(tmp_path / "ynnpack")
    assert len(a) == 4
    np.testing.assert_allclose(losses(tmp_path / "eigen"), a, rtol=1e-5)


def test_an_unknown_library_is_refused_before_the_run_dir_is_written(tmp_path):
    with pytest.raises(ConfigError, match=r"train.cpu_matmuls='mkl'; use one of ynnpack, eigen"):
        train(tiny_config("train.cpu_matmuls=mkl"), tmp_path / "x", print_fn=lambda s: None)
    assert not (tmp_path / "x" / "config.json").exists()
    with pytest.raises(ValueError, match="use one of"):
        compiler_options(make_mesh(tiny_config().mesh), "mkl")


def test_options_apply_to_cpu_compilations_only():
    mesh = make_mesh(tiny_config().mesh)
    assert mesh.devices.flat[0].platform == "cpu"
    assert compiler_options(mesh, "ynnpack") is None  # XLA's defaults, nothing passed
    assert compiler_options(mesh, "eigen") == CPU_MATMULS["eigen"]

    class _Device:
        platform = "gpu"

    class _Mesh:
        devices = np.array([_Device()])

    assert compiler_options(_Mesh(), "eigen") is None
