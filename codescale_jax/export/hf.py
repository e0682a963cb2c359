"""Convert a run's parameters into a LLaMA-format Hugging Face model directory.

The decoder is a LLaMA architecture with two fused layouts, so the conversion is a pure reshaping
of arrays (no arithmetic on values):

* ``attn/wqkv [d_model, kv_heads, group + 2, head_dim]`` splits into ``q_proj``, ``k_proj`` and
  ``v_proj``. Query heads are kv-major (query head ``h`` belongs to key/value head ``h // group``),
  which is exactly the order ``transformers`` assumes when it repeats key/value heads for
  grouped-query attention, so flattening ``[kv_heads, group]`` gives the right query head order.
* ``mlp/w_gate_up [d_model, 2, d_ff]`` splits into ``gate_proj`` (index 0) and ``up_proj`` (index 1).
* JAX kernels are ``[in, out]``; PyTorch ``Linear`` weights are ``[out, in]``, hence the transposes.

Rotary embeddings need no permutation: :func:`codescale_jax.model.decoder.rope` uses the
rotate-half form (dimension ``i`` pairs with ``i + head_dim/2``, frequency ``theta^(-2i/head_dim)``),
the convention of ``LlamaForCausalLM``. The logit-parity test checks this end to end.

The embedding table is padded to a multiple of ``model.vocab_multiple`` for sharding; the padded
rows never receive a real token and their logits are masked, so the export keeps only the first
``vocab_size`` rows and the Hugging Face model has the tokenizer's true vocabulary size.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from codescale_jax import io_utils
from codescale_jax.config import Config, ModelConfig
from codescale_jax.export import hf_tokenizer
from codescale_jax.errors import InputError

WEIGHTS_FILE = "model.safetensors"


class ExportError(InputError, ValueError):
    """The run cannot be expressed as a LLaMA checkpoint, or the parameters do not match the config."""


def llama_config(model: ModelConfig, *, max_positions: int, eos_id: int, pad_id: int) -> dict[str, Any]:
    """The ``config.json`` of ``LlamaForCausalLM`` that computes the same function as ``model``."""
    if model.vocab_size <= 0:
        raise ExportError("model.vocab_size is 0; export a run dir (its config.json has the resolved size)")
    if model.n_heads % model.n_kv_heads:
        raise ExportError(f"n_heads={model.n_heads} is not a multiple of n_kv_heads={model.n_kv_heads}")
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": model.vocab_size,
        "hidden_size": model.d_model,
        "intermediate_size": model.d_ff,
        "num_hidden_layers": model.n_layers,
        "num_attention_heads": model.n_heads,
        "num_key_value_heads": model.n_kv_heads,
        "head_dim": model.resolved_head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": max_positions,
        "rms_norm_eps": model.norm_eps,
        "rope_theta": model.rope_theta,
        # Newer transformers releases read the rotary settings from this dict instead.
        "rope_parameters": {"rope_type": "default", "rope_theta": model.rope_theta},
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "tie_word_embeddings": model.tie_embeddings,
        "initializer_range": model.init_std,
        "bos_token_id": None,
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "use_cache": True,
        "torch_dtype": "float32",  # weights are written in float32 whatever the run's param_dtype
    }


def _layers(model: ModelConfig, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Per-layer parameter dicts, whether the run used an unrolled or a scanned layer stack."""
    if "layers" in params:  # nn.scan: one "block" whose leaves carry a leading layer axis
        stacked = params["layers"]["block"]
        import jax

        return [jax.tree.map(lambda x, i=i: np.asarray(x)[i], stacked) for i in range(model.n_layers)]
    missing = [i for i in range(model.n_layers) if f"layer_{i}" not in params]
    if missing:
        raise ExportError(f"parameters lack layers {missing}; the checkpoint does not match model.n_layers="
                          f"{model.n_layers}")
    return [params[f"layer_{i}"] for i in range(model.n_layers)]


def _f(x) -> np.ndarray:
    """float32, contiguous: safetensors' numpy writer has no bfloat16, and float32 loses nothing."""
    return np.ascontiguousarray(np.asarray(x, dtype=np.float32))


def llama_state_dict(model: ModelConfig, params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Hugging Face LLaMA tensor names -> arrays (``[out, in]`` layout, vocabulary unpadded)."""
    v, d, hd = model.vocab_size, model.d_model, model.resolved_head_dim
    kv, group = model.n_kv_heads, model.n_heads // model.n_kv_heads
    emb = np.asarray(params["embedding"])
    if emb.shape != (model.padded_vocab(), d):
        raise ExportError(f"embedding has shape {emb.shape}, expected {(model.padded_vocab(), d)} from the config")
    out = {"model.embed_tokens.weight": _f(emb[:v])}
    for i, layer in enumerate(_layers(model, params)):
        p = f"model.layers.{i}."
        wqkv = np.asarray(layer["attn"]["wqkv"])  # [d, kv, group + 2, hd]
        if wqkv.shape != (d, kv, group + 2, hd):
            raise ExportError(f"layer {i} wqkv has shape {wqkv.shape}, expected {(d, kv, group + 2, hd)}")
        q = wqkv[:, :, :group].reshape(d, kv * group * hd)
        out[p + "self_attn.q_proj.weight"] = _f(q.T)
        out[p + "self_attn.k_proj.weight"] = _f(wqkv[:, :, group].reshape(d, kv * hd).T)
        out[p + "self_attn.v_proj.weight"] = _f(wqkv[:, :, group + 1].reshape(d, kv * hd).T)
        wo = np.asarray(layer["attn"]["wo"])  # [heads, hd, d]
        out[p + "self_attn.o_proj.weight"] = _f(wo.reshape(kv * group * hd, d).T)
        gu = np.asarray(layer["mlp"]["w_gate_up"])  # [d, 2, d_ff]
        out[p + "mlp.gate_proj.weight"] = _f(gu[:, 0].T)
        out[p + "mlp.up_proj.weight"] = _f(gu[:, 1].T)
        out[p + "mlp.down_proj.weight"] = _f(np.asarray(layer["mlp"]["w_down"]).T)
        out[p + "input_layernorm.weight"] = _f(layer["attn_norm"]["scale"])
        out[p + "post_attention_layernorm.weight"] = _f(layer["mlp_norm"]["scale"])
    out["model.norm.weight"] = _f(params["final_norm"]["scale"])
    if not model.tie_embeddings:
        out["lm_head.weight"] = _f(np.asarray(params["lm_head"])[:, :v].T)
    return out


def save_safetensors(tensors: Mapping[str, np.ndarray], path: str | os.PathLike) -> None:
    """Write ``tensors`` as one safetensors file, atomically."""
    try:
        from safetensors.numpy import save_file
    except ImportError as e:
        raise ImportError("the Hugging Face export needs safetensors: pip install 'codescale_jax[hf]'") from e
    with io_utils.atomic_path(path) as tmp:
        save_file(dict(tensors), str(tmp), metadata={"format": "pt"})


def export(cfg: Config, params: Mapping[str, Any], out_dir: str | os.PathLike, *, tokenizer,
           source: Mapping[str, Any] | None = None) -> list[Path]:
    """Write ``config.json``, ``generation_config.json``, ``model.safetensors`` and the tokenizer files
    into ``out_dir``; returns the paths written. ``source`` (run id, step...) goes into
    ``codescale_export.json`` so an exported model can be traced back to its run."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = cfg.model
    if tokenizer.vocab_size != model.vocab_size:
        raise ExportError(f"tokenizer has {tokenizer.vocab_size} ids but model.vocab_size={model.vocab_size}; "
                          "the run's config and tokenizer disagree")
    eos, pad = tokenizer.eos_id, tokenizer.pad_id
    written = []
    conf = llama_config(model, max_positions=max(cfg.data.seq_len, 1), eos_id=eos, pad_id=pad)
    io_utils.atomic_write_json(out / "config.json", conf)
    io_utils.atomic_write_json(out / "generation_config.json",
                               {"eos_token_id": eos, "pad_token_id": pad, "bos_token_id": None})
    save_safetensors(llama_state_dict(model, params), out / WEIGHTS_FILE)
    written += [out / "config.json", out / "generation_config.json", out / WEIGHTS_FILE]
    written += hf_tokenizer.write_tokenizer(tokenizer, out, model_max_length=cfg.data.seq_len)
    io_utils.atomic_write_json(out / "codescale_export.json",
                               {"source": dict(source or {}), "language": cfg.data.language,
                                "model": model.name, "tokenizer": tokenizer.name,
                                "note": "documents are encoded as <lang:ID> text <eos>; no BOS token"})
    written.append(out / "codescale_export.json")
    return written


def export_run(run_dir: str | os.PathLike, out_dir: str | os.PathLike, step: int | None = None) -> list[Path]:
    """Export the latest (or ``step``) checkpoint of a run dir written by ``experiments.train``."""
    from codescale_jax.eval.checkpoint_io import load_run

    run = load_run(run_dir, step)
    return export(run.cfg, run.params, out_dir, tokenizer=run.tokenizer,
                  source={"run_id": run.run_id, "step": run.step})


def read_config(out_dir: str | os.PathLike) -> dict[str, Any]:
    return json.loads((Path(out_dir) / "config.json").read_text())
