"""Config overrides, type checking, errors and the JSON round trip."""

import dataclasses

import pytest

from codescale_jax import config as C
from codescale_jax.model.ladder import LADDER, model_config


def test_overrides_are_typed():
    cfg = C.apply_overrides(C.Config(), ["mesh.data=2", "optimizer.lr=1e-3", "train.tokens=2e6",
                                         "model.tie_embeddings=true", "data.language=py"])
    assert cfg.mesh.data == 2 and cfg.optimizer.lr == 1e-3 and cfg.train.tokens == 2_000_000
    assert cfg.model.tie_embeddings is True and isinstance(cfg.train.tokens, int)


@pytest.mark.parametrize("bad, words", [
    ("mesh.dta=2", ["unknown key", "data"]),
    ("meshes.data=2", ["unknown config section", "mesh"]),
    ("mesh.data=two", ["cannot read", "int"]),
    ("train.steps=1.5", ["cannot read", "int"]),
    ("model.tie_embeddings=maybe", ["cannot read", "bool"]),
    ("mesh.data", ["section.key=value"]),
])
def test_bad_overrides_name_the_problem(bad, words):
    with pytest.raises(C.ConfigError) as e:
        C.apply_overrides(C.Config(), [bad])
    for w in words:
        assert w in str(e.value)


def test_json_round_trip_and_schema_check():
    cfg = C.make_config("micro-0.8m", language="golang", tokens=1e6, overrides=["mesh.tensor=2"])
    assert cfg.data.language == "go" and cfg.model.d_model == model_config("micro-0.8m").d_model
    assert C.from_json(C.to_json(cfg)) == cfg
    d = C.to_dict(cfg)
    d["model"]["no_such_key"] = 1
    with pytest.raises(C.ConfigError):
        C.from_dict(d)


def test_frozen_and_ladder_names():
    cfg = C.Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.model.d_model = 3  # type: ignore[misc]
    for name in ("micro-0.1m", "micro-3.2m", "0.1b", "3.1b", "0.5b", "1.5b", "3b", "7b", "14b"):
        assert name in LADDER
    assert model_config("0.1B").name == "0.1b"
    with pytest.raises(ValueError, match="ladder"):
        model_config("micro-9m")


def test_steps_from_tokens():
    t = C.TrainConfig(tokens=10_000, batch_size=4)
    assert t.total_steps(256) == 10  # ceil(10000 / 1024)
    assert C.TrainConfig(tokens=10_000, steps=3).total_steps(256) == 3
    with pytest.raises(ValueError, match="train.tokens"):
        C.TrainConfig().total_steps(256)
