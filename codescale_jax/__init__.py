"""codescale_jax: multilingual scaling laws of code language models, in JAX."""

__version__ = "0.1.0"
