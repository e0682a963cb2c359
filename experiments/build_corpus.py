"""Build a sharded corpus (ArrayRecord per language and split, manifest.json, tokenizer.model).

    # no installs, any machine: stdlib Python, pydoc English, synthetic programs in 7 languages.
    # 2-core CPU: about 30 s of CPU (2.3 min wall on a shared box); 2-14 MB per language.
    python -m experiments.build_corpus --recipe embedded --out artifacts/corpus/embedded

    # real code from Debian / PyPI / npm (runs scripts/install_corpora.sh first; root for apt).
    # 2-core CPU: downloads about 3 min (3.5 GB in corpora/), build about 3 min of CPU (8-9 min wall
    # on a shared box); 40 MB per language, every language over the 20 MB target.
    python -m experiments.build_corpus --recipe registries --out artifacts/corpus/registries \
        --max-mb-per-language 40 --tokenizer-vocab 8192

    # a user's own tree, or a Stack-style parquet file (content + language columns; needs pyarrow)
    python -m experiments.build_corpus --source ~/src/myproject --language go --out artifacts/corpus/mine
    python -m experiments.build_corpus --source data.parquet --out artifacts/corpus/stack

Progress goes to stderr; the last lines are a table per language (documents, MB per split, tokens per
byte, whether the 20 MB target is met). The trainer reads the result with
``--set data.corpus=shards --set data.corpus_dir=OUT``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from codescale_jax import languages
from codescale_jax.data import corpus_filters, corpus_recipes
from codescale_jax.data.corpus_build import BuildConfig, build_corpus
from codescale_jax.data.corpus_manifest import summary_table
from codescale_jax.data.corpus_sources import SourceError, user_tree_sources

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--recipe", choices=corpus_recipes.RECIPES, default=None,
                    help="named source set (default: embedded, unless --source is given)")
    ap.add_argument("--source", action="append", default=[],
                    help="a directory or a .parquet file to build from (repeatable); replaces --recipe")
    ap.add_argument("--language", default=None, help="language of the files under --source (default: by extension)")
    ap.add_argument("--languages", default="all", help="comma list of languages to build (default: all)")
    ap.add_argument("--out", default=None, help="output corpus directory (default: artifacts/corpus/<recipe>)")
    ap.add_argument("--corpus-dir", default=str(REPO / "corpora"),
                    help="where install_corpora.sh puts the registry downloads (registries recipe)")
    ap.add_argument("--skip-install", action="store_true", help="registries: use what is already downloaded")
    ap.add_argument("--max-mb-per-language", type=float, default=None, help="cap kept text per language (MB)")
    ap.add_argument("--max-file-kb", type=float, default=300, help="skip code files larger than this")
    ap.add_argument("--min-file-bytes", type=int, default=64)
    ap.add_argument("--no-near-dedup", action="store_true", help="exact dedup only (faster)")
    ap.add_argument("--dedup-threshold", type=float, default=0.8, help="MinHash Jaccard threshold")
    ap.add_argument("--tokenizer-vocab", type=int, default=8192,
                    help="train a SentencePiece BPE of this size on a language-balanced sample (0: none)")
    ap.add_argument("--tokenizer-sample-mb", type=float, default=2.0, help="training text per language (MB)")
    ap.add_argument("--synthetic-programs", type=int, default=2000, help="embedded: programs per language")
    ap.add_argument("--shard-mb", type=float, default=64, help="target shard size (MB)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    ap.add_argument("--quiet", action="store_true")
    return ap.parse_args(argv)


def run_install(corpus_dir: str, langs) -> int:
    script = REPO / "scripts" / "install_corpora.sh"
    if not script.is_file():
        raise SystemExit(f"{script} not found: the registries recipe needs the repository checkout")
    env = dict(os.environ, CORPUS_DIR=corpus_dir, CORPORA_LANGUAGES=",".join(langs), PYTHON=sys.executable)
    print(f"[build_corpus] running {script.relative_to(REPO)} (CORPUS_DIR={corpus_dir})", file=sys.stderr, flush=True)
    rc = subprocess.call(["bash", str(script)], env=env, stdout=sys.stderr)
    if rc:
        print(f"[build_corpus] install_corpora.sh reported {rc} failed step(s); the manifest lists missing sources",
              file=sys.stderr)
    return rc


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.monotonic()
    try:
        langs = languages.parse_list(args.languages)
        extra: dict = {}
        unavailable: dict = {}
        if args.source:
            if args.recipe:
                raise SourceError("use either --recipe or --source, not both")
            recipe = "source"
            lang = languages.canonical(args.language) if args.language else None
            if lang:
                langs = (lang,)
            sources = []
            for s in args.source:
                if s.lower().endswith(".parquet"):
                    from codescale_jax.data.corpus_parquet import ParquetSource

                    sources.append(ParquetSource(s, lang))
                else:
                    sources.extend(user_tree_sources(s, lang))
            extra["sources_given"] = args.source
        else:
            recipe = args.recipe or "embedded"
            if recipe == "embedded":
                sources, extra = corpus_recipes.embedded_sources(langs, args.synthetic_programs, args.seed)
                missing = extra["synthetic"]["missing_languages"]
                unavailable = {l: f"synthetic programs unavailable: {why}" for l, why in missing.items()}
                if missing:
                    print(f"[build_corpus] synthetic programs unavailable for {', '.join(missing)}: "
                          f"{next(iter(missing.values()))}", file=sys.stderr)
            else:
                if not args.skip_install:
                    extra["install_exit_status"] = run_install(args.corpus_dir, langs)
                sources = corpus_recipes.registry_sources(args.corpus_dir, langs)
        out = args.out or f"artifacts/corpus/{recipe}"
        cfg = BuildConfig(
            out=out, languages=langs, recipe=recipe,
            max_bytes_per_language=int(args.max_mb_per_language * 1e6) if args.max_mb_per_language else None,
            filters=corpus_filters.FilterConfig(min_bytes=args.min_file_bytes, max_bytes=int(args.max_file_kb * 1000)),
            near_dedup=not args.no_near_dedup, dedup_threshold=args.dedup_threshold, seed=args.seed,
            target_shard_bytes=int(args.shard_mb * 1e6), tokenizer_vocab=args.tokenizer_vocab,
            tokenizer_sample_bytes=int(args.tokenizer_sample_mb * 1e6), num_threads=args.threads,
            overwrite=args.overwrite, require_all_languages=bool(args.source and args.language), quiet=args.quiet)
        manifest = build_corpus(sources, cfg, extra, unavailable)
    except (SourceError, languages.UnknownLanguageError, FileExistsError, ValueError) as e:
        print(f"build_corpus: error: {e}", file=sys.stderr)
        return 2
    print(summary_table(manifest))
    tok = manifest["tokenizer"]
    print(f"out={out} build_seconds={time.monotonic() - t0:.1f} tokenizer={tok['kind']}:{tok.get('vocab_size')} "
          f"encode_mb_per_s={tok.get('encode_mb_per_s')} roundtrip_failures={tok['roundtrip_test_split']['failures']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
