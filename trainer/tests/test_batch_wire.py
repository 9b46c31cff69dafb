"""batch.py decodes the frames src/buffer/wire.ts writes (tests/vectors/batch-*.bin) to the expected arrays."""

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.batch import WireError, decode_trainer_batch  # noqa: E402

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors"
BATCHES = sorted(p.stem for p in VECTORS.glob("batch-*.bin"))
FIELDS = {
    "tokens": "tokens",
    "cuSeqlens": "cu_seqlens",
    "promptLengths": "prompt_lengths",
    "responseLengths": "response_lengths",
    "lossMask": "loss_mask",
    "rolloutLogProbs": "rollout_log_probs",
    "advantages": "advantages",
    "groupIndexes": "group_indexes",
    "sampleIndexes": "sample_indexes",
}


def test_vectors_exist():
    assert {"batch-small", "batch-padded"} <= set(BATCHES)


@pytest.mark.parametrize("name", BATCHES)
def test_decodes_to_expected(name):
    frame = (VECTORS / f"{name}.bin").read_bytes()
    expected = json.loads((VECTORS / f"{name}.json").read_text())
    batch = decode_trainer_batch(frame)
    assert (batch.step, batch.dp_size, batch.max_tokens_per_gpu) == (expected["step"], expected["dpSize"], expected["maxTokensPerGpu"])
    assert len(batch.ranks) == batch.dp_size
    assert len({len(rank) for rank in batch.ranks}) == 1, "every rank has the same number of micro-batches"
    total_samples = 0
    for rank, want_rank in zip(batch.ranks, expected["ranks"], strict=True):
        for mb, want in zip(rank, want_rank, strict=True):
            assert mb.rollout_ids == want["rolloutIds"]
            for wire_name, attr in FIELDS.items():
                got = getattr(mb, attr)
                assert np.array_equal(got, np.array(want[wire_name], dtype=got.dtype)), wire_name
            total_samples += mb.num_samples
    assert batch.totals["samples"] == total_samples


def test_dtypes_and_zero_copy():
    frame = (VECTORS / "batch-small.bin").read_bytes()
    mb = decode_trainer_batch(frame).ranks[0][0]
    assert (mb.tokens.dtype, mb.loss_mask.dtype, mb.rollout_log_probs.dtype) == (np.dtype("<i4"), np.dtype("u1"), np.dtype("<f4"))
    assert not mb.tokens.flags.owndata and not mb.tokens.flags.writeable


def test_per_sample_views_follow_the_worker_schema():
    batch = decode_trainer_batch((VECTORS / "batch-small.bin").read_bytes())
    expected = json.loads((VECTORS / "batch-small.json").read_text())
    for rank, want_rank in zip(batch.ranks, expected["ranks"]):
        for mb, want in zip(rank, want_rank):
            for i, s in enumerate(mb.samples()):
                assert len(s.loss_mask) == len(s.tokens) - s.prompt_len == len(s.rollout_logprobs)
                assert s.prompt_len == want["promptLengths"][i]
                assert s.advantage == want["advantages"][i]
                assert s.rollout_id == want["rolloutIds"][i]


def test_empty_micro_batches_decode():
    batch = decode_trainer_batch((VECTORS / "batch-padded.bin").read_bytes())
    sizes = [[mb.num_samples for mb in rank] for rank in batch.ranks]
    assert sizes == [[1], [0], [0]]
    assert batch.ranks[1][0].tokens.size == 0 and list(batch.ranks[1][0].cu_seqlens) == [0]


def test_bad_frames_name_the_problem():
    frame = (VECTORS / "batch-small.bin").read_bytes()
    with pytest.raises(WireError, match="expected magic PHTB"):
        decode_trainer_batch(b"JUNKJUNK")
    with pytest.raises(WireError, match="runs past the frame"):
        decode_trainer_batch(frame[:-8])
    with pytest.raises(WireError, match="header length"):
        decode_trainer_batch(frame[:4] + struct.pack("<I", 10**9) + frame[8:])
