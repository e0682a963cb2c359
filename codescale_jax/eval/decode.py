"""Autoregressive decoding with a KV cache: greedy, temperature and top-p sampling, batched.

The training model (:mod:`codescale_jax.model.decoder`) computes whole sequences; decoding one
token at a time with it would cost O(T^2) per token. This module runs the *same parameters*
through an incremental forward pass that keeps every layer's keys and values in a cache, so each
new token costs one row of attention. It reuses the model's rotary embedding and padding constant
and reads the parameter tree as the model lays it out (unrolled ``layer_<i>`` blocks or one scanned
``layers/block`` stack); ``tests/test_eval_decode.py`` checks it against ``decoder.apply``
logit for logit, which is what keeps the two paths from drifting apart.

Cache layout: ``k``/``v`` of shape ``[layers, batch, cache_len, kv_heads, head_dim]``; slot ``s``
of a row holds the key/value of that row's position ``s``. Prompts are right-padded, so each row
writes its own positions ``0 .. len-1``; slots past a row's prompt hold junk from the padding until
the row's generated tokens overwrite them, and the causal mask ``slot <= position`` never reads
junk. Rows of different prompt lengths therefore share one batch with no left-padding and with
positions that match training exactly.

Stopping: ``<eos>`` ends a row inside the device loop's bookkeeping; *stop sequences* are strings
(code ends at a closing brace or at the next top-level ``def``), and a string can be tokenized in
many ways, so they are checked on the decoded text on the host. To avoid generating far past a
stop, the device loop runs in chunks of ``chunk`` tokens and the host checks after every chunk;
the batch ends when every row is done or ``max_new_tokens`` is reached.

Reproducibility: every row owns a key ``fold_in(key(seed), row_id)`` and every step folds in the
step number, so a row's sample depends on the seed, its ``row_id`` and its prompt, not on which
other rows share its batch.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from codescale_jax.config import ModelConfig
from codescale_jax.model.decoder import NEG_LOGIT, rope

#: Prompt lengths are padded up to a multiple of this, so few distinct shapes are compiled.
LENGTH_BUCKET = 64


@dataclasses.dataclass(frozen=True)
class SamplingConfig:
    """How to pick tokens. ``temperature == 0`` is greedy (argmax); ``top_p < 1`` keeps the smallest
    set of tokens whose probability mass reaches ``top_p`` (nucleus sampling)."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    seed: int = 0
    chunk: int = 32  # tokens generated on device between host-side stop checks

    def __post_init__(self):
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1 or self.chunk < 1:
            raise ValueError("max_new_tokens and chunk must be positive")


# ---------------------------------------------------------------------------------------------
# Parameters in decode layout


def stack_layers(cfg: ModelConfig, params) -> dict:
    """``{"embedding", "final_norm", "lm_head"?, "layers"}`` with every block parameter stacked on a
    leading ``n_layers`` axis (the scanned model already stores them so)."""
    if cfg.scan_layers:
        layers = params["layers"]["block"]
    else:
        blocks = [params[f"layer_{i}"] for i in range(cfg.n_layers)]
        layers = jax.tree.map(lambda *xs: jnp.stack(xs), *blocks)
    out = {"embedding": params["embedding"], "final_norm": params["final_norm"]["scale"], "layers": layers}
    if not cfg.tie_embeddings:
        out["lm_head"] = params["lm_head"]
    return out


# ---------------------------------------------------------------------------------------------
# The incremental forward pass


def _rms(cfg: ModelConfig, x, scale):
    xf = x.astype(jnp.float32)
    y = xf * jax.lax.rsqrt(jnp.mean(xf * xf, axis=-1, keepdims=True) + cfg.norm_eps)
    return (y * scale.astype(jnp.float32)).astype(jnp.dtype(cfg.dtype))


def _write(cache, update, start):
    """Write ``update [B, T, H, D]`` into ``cache [B, S, H, D]`` at per-row offsets ``start [B]``."""
    return jax.vmap(lambda c, u, s: jax.lax.dynamic_update_slice(c, u, (s, 0, 0)))(cache, update, start)


def _block(cfg: ModelConfig, x, p, k_cache, v_cache, positions):
    """One decoder block on new tokens ``x [B, T, d]`` at ``positions [B, T]`` (contiguous per row)."""
    dtype = jnp.dtype(cfg.dtype)
    kv, hd = cfg.n_kv_heads, cfg.resolved_head_dim
    group = cfg.n_heads // kv
    b, t, _ = x.shape
    h = _rms(cfg, x, p["attn_norm"]["scale"])
    qkv = jnp.einsum("btd,dkgh->btkgh", h, p["attn"]["wqkv"].astype(dtype))
    cache_len = k_cache.shape[1]  # positions index cache slots, so they stay below it
    q = rope(qkv[:, :, :, :group].reshape(b, t, kv * group, hd), positions, cfg.rope_theta, cache_len)
    k = rope(qkv[:, :, :, group], positions, cfg.rope_theta, cache_len)
    v = qkv[:, :, :, group + 1]
    k_cache = _write(k_cache, k.astype(k_cache.dtype), positions[:, 0])
    v_cache = _write(v_cache, v.astype(v_cache.dtype), positions[:, 0])
    qg = q.reshape(b, t, kv, group, hd)
    scores = jnp.einsum("btkgd,bskd->bkgts", qg, k_cache.astype(dtype),
                        preferred_element_type=jnp.float32) * (hd ** -0.5)
    slots = jnp.arange(k_cache.shape[1])
    visible = slots[None, None, :] <= positions[:, :, None]  # [B, T, S]
    scores = jnp.where(visible[:, None, None], scores, -jnp.inf)
    probs = jax.nn.softmax(scores, axis=-1)
    o = jnp.einsum("bkgts,bskd->btkgd", probs.astype(dtype), v_cache.astype(dtype)).reshape(b, t, kv * group, hd)
    x = x + jnp.einsum("bthd,hde->bte", o, p["attn"]["wo"].astype(dtype))
    h = _rms(cfg, x, p["mlp_norm"]["scale"])
    gu = jnp.einsum("btd,dcf->btcf", h, p["mlp"]["w_gate_up"].astype(dtype))
    a = jax.nn.silu(gu[:, :, 0]) * gu[:, :, 1]
    x = x + jnp.einsum("btf,fd->btd", a, p["mlp"]["w_down"].astype(dtype))
    return x, k_cache, v_cache


def forward_cached(cfg: ModelConfig, sp: dict, cache: dict, tokens, positions):
    """Logits ``[B, T, padded_vocab]`` (float32) of ``tokens [B, T]`` at ``positions [B, T]``, attending
    to the cache and to themselves; returns ``(logits, new_cache)``."""
    dtype = jnp.dtype(cfg.dtype)
    x = jnp.take(sp["embedding"], tokens, axis=0).astype(dtype)

    def body(x, layer):
        p, kc, vc = layer
        x, kc, vc = _block(cfg, x, p, kc, vc, positions)
        return x, (kc, vc)

    x, (k, v) = jax.lax.scan(body, x, (sp["layers"], cache["k"], cache["v"]))
    x = _rms(cfg, x, sp["final_norm"])
    if cfg.tie_embeddings:
        logits = jnp.einsum("btd,vd->btv", x, sp["embedding"].astype(dtype), preferred_element_type=jnp.float32)
    else:
        logits = jnp.einsum("btd,dv->btv", x, sp["lm_head"].astype(dtype), preferred_element_type=jnp.float32)
    vpad = cfg.padded_vocab()
    if vpad > cfg.vocab_size:
        logits = jnp.where(jnp.arange(vpad) < cfg.vocab_size, logits, NEG_LOGIT)
    return logits, {"k": k, "v": v}


def empty_cache(cfg: ModelConfig, batch: int, length: int) -> dict:
    shape = (cfg.n_layers, batch, length, cfg.n_kv_heads, cfg.resolved_head_dim)
    return {"k": jnp.zeros(shape, jnp.dtype(cfg.dtype)), "v": jnp.zeros(shape, jnp.dtype(cfg.dtype))}


@functools.partial(jax.jit, static_argnames=("cfg", "cache_len"))
def prefill(cfg: ModelConfig, sp: dict, tokens, lengths, cache_len: int):
    """Run right-padded prompts ``tokens [B, T]`` (true ``lengths [B]``) through the model, filling a
    fresh cache of ``cache_len`` slots; returns ``(cache, logits at each row's last prompt token)``."""
    b, t = tokens.shape
    positions = jnp.broadcast_to(jnp.arange(t, dtype=jnp.int32), (b, t))
    logits, cache = forward_cached(cfg, sp, empty_cache(cfg, b, cache_len), tokens, positions)
    last = logits[jnp.arange(b), lengths - 1]
    return cache, last


def sample_logits(logits, keys, temperature: float, top_p: float, greedy: bool):
    """Next tokens ``[B]`` from ``logits [B, V]``: argmax, or temperature + nucleus sampling per row."""
    if greedy:
        return jnp.argmax(logits, axis=-1).astype(jnp.int32)
    logits = logits / temperature
    if top_p < 1.0:
        desc = jnp.sort(logits, axis=-1)[:, ::-1]
        probs = jax.nn.softmax(desc, axis=-1)
        mass_before = jnp.cumsum(probs, axis=-1) - probs
        # The lowest logit still inside the nucleus; the top token is always kept (mass_before = 0).
        cutoff = jnp.min(jnp.where(mass_before < top_p, desc, jnp.inf), axis=-1)
        logits = jnp.where(logits >= cutoff[:, None], logits, -jnp.inf)
    return jax.vmap(jax.random.categorical)(keys, logits).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=("cfg", "steps", "temperature", "top_p", "greedy"),
                   donate_argnums=(2,))
def decode_chunk(cfg: ModelConfig, sp: dict, cache: dict, logits, positions, row_keys, step0,
                 steps: int, temperature: float, top_p: float, greedy: bool):
    """Generate ``steps`` tokens per row. ``logits [B, V]`` predict the token at ``positions [B]``;
    returns ``(cache, logits, positions, tokens [B, steps])`` to continue from."""

    def body(carry, i):
        cache, logits, pos = carry
        keys = jax.vmap(lambda k: jax.random.fold_in(k, step0 + i))(row_keys)
        tok = sample_logits(logits, keys, temperature, top_p, greedy)
        new_logits, cache = forward_cached(cfg, sp, cache, tok[:, None], pos[:, None])
        return (cache, new_logits[:, 0], pos + 1), tok

    (cache, logits, positions), toks = jax.lax.scan(body, (cache, logits, positions), jnp.arange(steps))
    return cache, logits, positions, toks.T


# ---------------------------------------------------------------------------------------------
# Host driver


def _round_up(n: int, m: int) -> int:
    return int(math.ceil(n / m) * m)


def generate_ids(cfg: ModelConfig, stacked: dict, prompts: Sequence[Sequence[int]], sampling: SamplingConfig, *,
                 eos_id: int | None, is_done: Callable[[int, list[int]], bool] | None = None,
                 row_ids: Sequence[int] | None = None) -> list[list[int]]:
    """Continue every prompt (token ids) in one batch; returns the new ids per row, cut after the
    first ``eos_id`` (excluded). ``is_done(row, ids)`` is the host-side stop test run after each chunk
    (stop strings); rows it accepts stop counting towards the batch's end. ``stacked`` comes from
    :func:`stack_layers`."""
    if not prompts or any(len(p) == 0 for p in prompts):
        raise ValueError("every prompt needs at least one token (e.g. the language tag)")
    b = len(prompts)
    lengths = np.array([len(p) for p in prompts], np.int32)
    t = _round_up(int(lengths.max()), LENGTH_BUCKET)
    chunk = min(sampling.chunk, sampling.max_new_tokens)
    n_chunks = math.ceil(sampling.max_new_tokens / chunk)
    cache_len = t + n_chunks * chunk
    tokens = np.zeros((b, t), np.int32)
    for i, p in enumerate(prompts):
        tokens[i, :len(p)] = p
    cache, logits = prefill(cfg, stacked, jnp.asarray(tokens), jnp.asarray(lengths), cache_len)
    base = jax.random.key(sampling.seed)
    ids = range(b) if row_ids is None else row_ids
    row_keys = jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.asarray(np.asarray(ids, np.int32)))
    positions = jnp.asarray(lengths)
    greedy = sampling.temperature == 0.0
    out: list[list[int]] = [[] for _ in range(b)]
    done = [False] * b
    for c in range(n_chunks):
        cache, logits, positions, toks = decode_chunk(
            cfg, stacked, cache, logits, positions, row_keys, jnp.int32(c * chunk), chunk,
            float(sampling.temperature), float(sampling.top_p), greedy)
        toks = np.asarray(toks)
        for i in range(b):
            if done[i]:
                continue
            out[i].extend(int(x) for x in toks[i])
            if eos_id is not None and eos_id in out[i]:
                out[i] = out[i][:out[i].index(eos_id)]
                done[i] = True
            elif is_done is not None and is_done(i, out[i]):
                done[i] = True
        if all(done):
            break
    return [o[:sampling.max_new_tokens] for o in out]


# ---------------------------------------------------------------------------------------------
# Stop sequences


@dataclasses.dataclass(frozen=True)
class Stops:
    """Where a completion ends. ``before``: cut just before the first match (the match belongs to
    what follows, e.g. the next ``\\ndef``); ``after``: cut just after it (the match closes the
    completion, e.g. the function's ``\\n}\\n``). Matching sees the completion as if it followed a
    newline, since prompts end with one."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()

    def cut(self, text: str) -> tuple[str, bool]:
        """``(completion, stopped)``: the text up to the earliest stop, and whether one was found."""
        padded = "\n" + text
        best: int | None = None
        for s in self.before:
            i = padded.find(s)
            if i >= 0 and (best is None or i < best):
                best = i
        for s in self.after:
            i = padded.find(s)
            if i >= 0 and (best is None or i + len(s) < best):
                best = i + len(s)
        if best is None:
            return text, False
        return padded[:best][1:], True


#: Default stops per language for completing one function body. Python ends at the next top-level
#: statement; the brace languages at the function's closing brace (column 0, or column 4 for the
#: methods of Java's and C#'s class), kept because the reference solutions include it.
DEFAULT_STOPS: dict[str, Stops] = {
    "python": Stops(before=("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\nassert ", "\n#", "\n@")),
    "javascript": Stops(after=("\n}\n",)),
    "typescript": Stops(after=("\n}\n",)),
    "go": Stops(after=("\n}\n",)),
    "rust": Stops(after=("\n}\n",)),
    "java": Stops(after=("\n    }\n",)),
    "csharp": Stops(after=("\n    }\n",)),
}


def stops_for(language: str, before: Sequence[str] | None = None, after: Sequence[str] | None = None) -> Stops:
    """A task's own stops when it gives any (``before``: MultiPL-E style strings), else the language's."""
    from codescale_jax import languages

    if before or after:
        return Stops(tuple(before or ()), tuple(after or ()))
    return DEFAULT_STOPS.get(languages.canonical(language), Stops())


# ---------------------------------------------------------------------------------------------
# Text in, text out


def complete(cfg: ModelConfig, stacked: dict, tokenizer, prompts: Sequence[Sequence[int]], stops: Sequence[Stops],
             sampling: SamplingConfig, *, batch_size: int = 8, row_offset: int = 0,
             progress: Callable[[str], None] | None = None) -> list[tuple[str, bool]]:
    """Decode a continuation of each prompt (token ids) and cut it at its :class:`Stops`; returns
    ``(text, stopped)`` per prompt, where ``stopped`` says a stop sequence or ``<eos>`` ended it (False:
    it ran into ``max_new_tokens``). Prompts are batched in order, ``batch_size`` at a time; row
    ``i`` samples with ``row_id = row_offset + i``."""
    if len(stops) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(stops)} stop rules")
    results: list[tuple[str, bool]] = []
    for start in range(0, len(prompts), batch_size):
        batch = prompts[start:start + batch_size]
        rules = stops[start:start + batch_size]

        def is_done(i: int, ids: list[int]) -> bool:
            return rules[i].cut(tokenizer.decode(ids))[1]

        ids = generate_ids(cfg, stacked, batch, sampling, eos_id=tokenizer.eos_id, is_done=is_done,
                           row_ids=range(row_offset + start, row_offset + start + len(batch)))
        for rule, row in zip(rules, ids):
            text, stopped = rule.cut(tokenizer.decode(row))
            results.append((text, stopped or len(row) < sampling.max_new_tokens))
        if progress is not None:
            progress(f"decoded {len(results)}/{len(prompts)}")
    return results
