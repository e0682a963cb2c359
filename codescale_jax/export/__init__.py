"""Export trained runs to other ecosystems (a LLaMA-format Hugging Face directory: :mod:`.hf`)."""
