"""ArrayRecord shards: round trip, random access, manifest checks, corrupt and missing shards."""

import json
import pickle

import pytest

from codescale_jax.data import shards
from codescale_jax.io_utils import atomic_write_json


def _docs(n):
    return [f"doc {i}\n" + "x" * (i % 17) + " é ▁ 😀\n" for i in range(n)]


def _write_corpus(root, lang="go", n_train=50, shard_bytes=300):
    manifest = {"languages": {lang: {"splits": {}}}}
    for split, n in (("train", n_train), ("validation", 5), ("test", 3)):
        infos = shards.write_split(root / lang, split, _docs(n), target_shard_bytes=shard_bytes, corpus_root=root)
        manifest["languages"][lang]["splits"][split] = {
            "shards": [vars(i) for i in infos], "documents": sum(i.documents for i in infos)}
    atomic_write_json(root / "manifest.json", manifest)
    return manifest


def test_round_trip_and_random_access(tmp_path):
    m = _write_corpus(tmp_path)
    files = m["languages"]["go"]["splits"]["train"]["shards"]
    assert len(files) > 1, "small target size must give several shards"
    assert all(f["documents"] > 0 for f in files)
    docs = shards.open_documents(tmp_path, "golang", "train")
    want = _docs(50)
    assert len(docs) == 50
    assert [docs[i] for i in range(50)] == want
    assert docs[-1] == want[-1]
    assert docs[17] == want[17]
    with pytest.raises(IndexError):
        docs[50]
    # names follow <split>-NNNNN-of-MMMMM.array_record
    names = [p.name for p in shards.shard_paths(tmp_path, "go", "train")]
    assert names[0] == f"train-00000-of-{len(names):05d}.array_record"


def test_pickles_for_worker_processes(tmp_path):
    _write_corpus(tmp_path)
    docs = shards.open_documents(tmp_path, "go", "validation")
    clone = pickle.loads(pickle.dumps(docs))
    assert list(clone) == list(docs) == _docs(5)


def test_grain_map_dataset_source(tmp_path):
    import grain
    _write_corpus(tmp_path)
    docs = shards.open_documents(tmp_path, "go", "train")
    ds = grain.MapDataset.source(docs).map(len)
    assert [ds[i] for i in range(3)] == [len(d) for d in _docs(3)]


def test_balanced_bounds_never_empty():
    for n, k in ((10, 3), (3, 3), (5, 10), (1, 1), (100, 7)):
        b = shards._balanced_bounds([1] * n, k)
        sizes = [b[i + 1] - b[i] for i in range(len(b) - 1)]
        assert b[0] == 0 and b[-1] == n
        assert all(s > 0 for s in sizes), (n, k, b)


def test_empty_split_gets_one_readable_shard(tmp_path):
    infos = shards.write_split(tmp_path / "rust", "test", [], corpus_root=tmp_path)
    assert len(infos) == 1 and infos[0].documents == 0
    assert len(shards.open_documents(tmp_path, "rust", "test")) == 0


def test_garbage_shard_is_reported_by_name(tmp_path):
    _write_corpus(tmp_path, n_train=5, shard_bytes=1 << 20)
    bad = tmp_path / "go" / "train-00000-of-00001.array_record"
    bad.write_bytes(b"not an array record file" * 100)
    with pytest.raises(shards.CorruptShardError, match="train-00000-of-00001"):
        shards.open_documents(tmp_path, "go", "train")


def test_truncated_shard_is_reported(tmp_path):
    _write_corpus(tmp_path, n_train=2000, shard_bytes=1 << 30)
    p = tmp_path / "go" / "train-00000-of-00001.array_record"
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(shards.CorruptShardError, match="train-00000-of-00001"):
        docs = shards.open_documents(tmp_path, "go", "train")
        for i in range(len(docs)):
            docs[i]


def test_flipped_bytes_fail_checksum_and_reads(tmp_path):
    _write_corpus(tmp_path, n_train=2000, shard_bytes=1 << 30)
    p = tmp_path / "go" / "train-00000-of-00001.array_record"
    data = bytearray(p.read_bytes())
    mid = len(data) // 3
    data[mid:mid + 64] = b"\xff" * 64
    p.write_bytes(bytes(data))
    with pytest.raises(shards.CorruptShardError, match="checksum"):
        shards.open_documents(tmp_path, "go", "train", verify=True)
    with pytest.raises(shards.CorruptShardError, match="train-00000-of-00001"):
        docs = shards.open_documents(tmp_path, "go", "train")
        for i in range(len(docs)):
            docs[i]


def test_missing_shard_in_set(tmp_path):
    _write_corpus(tmp_path)
    paths = shards.shard_paths(tmp_path, "go", "train")
    paths[1].unlink()
    with pytest.raises(shards.CorruptShardError, match="incomplete"):
        shards.open_documents(tmp_path, "go", "train")


def test_missing_corpus_language_and_split(tmp_path):
    with pytest.raises(shards.MissingCorpusError, match="does not exist"):
        shards.open_documents(tmp_path / "nope", "go", "train")
    _write_corpus(tmp_path)
    with pytest.raises(shards.MissingCorpusError, match="languages present: go"):
        shards.open_documents(tmp_path, "rust", "train")
    with pytest.raises(ValueError, match="unknown language"):
        shards.open_documents(tmp_path, "cobol", "train")
    with pytest.raises(ValueError, match="unknown split"):
        shards.open_documents(tmp_path, "go", "dev")


def test_manifest_mismatch(tmp_path):
    m = _write_corpus(tmp_path, n_train=5, shard_bytes=1 << 20)
    m["languages"]["go"]["splits"]["train"]["shards"][0]["documents"] = 6
    (tmp_path / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(shards.CorruptShardError, match="manifest lists 6"):
        shards.open_documents(tmp_path, "go", "train")
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(shards.CorruptShardError, match="manifest.json"):
        shards.open_documents(tmp_path, "go", "train")


def test_concurrent_reads_from_threads(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    _write_corpus(tmp_path, n_train=300, shard_bytes=2000)
    docs = shards.open_documents(tmp_path, "go", "train")
    want = _docs(300)
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda i: docs[i], [(7 * k) % 300 for k in range(1200)]))
    assert got == [want[(7 * k) % 300] for k in range(1200)]
