"""Decoder of the trainer-batch wire (docs/architecture.md, contract 5), written by src/buffer/wire.ts.

    b"PHTB" | uint32 LE header length | msgpack header | zero pad to 8 | data section

Each micro-batch in the header names its arrays as ``{dtype, offset, length}`` (offsets relative
to the data section, 8-aligned, little-endian). ``decode_trainer_batch`` maps every array with
``numpy.frombuffer``: no copy, no per-element Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import msgpack
import numpy as np

from .errors import WireError

__all__ = ["WireError", "decode_trainer_batch", "MicroBatch", "PackedSample", "TrainerBatch"]

WIRE_MAGIC = b"PHTB"
WIRE_VERSION = 1
DTYPES = {"int32": np.dtype("<i4"), "uint8": np.dtype("u1"), "float32": np.dtype("<f4")}
ARRAY_NAMES = (
    "tokens",
    "cuSeqlens",
    "promptLengths",
    "responseLengths",
    "lossMask",
    "rolloutLogProbs",
    "advantages",
    "groupIndexes",
    "sampleIndexes",
)


@dataclass
class PackedSample:
    """One sample of a micro-batch, in the worker's sample schema (R = len(tokens) - prompt_len)."""

    tokens: np.ndarray
    prompt_len: int
    loss_mask: np.ndarray
    rollout_logprobs: np.ndarray
    advantage: float
    group_index: int
    sample_index: int
    rollout_id: str


@dataclass
class MicroBatch:
    """THD-packed arrays of one micro-batch; per-response arrays are concatenated in sample order."""

    rollout_ids: list[str]
    tokens: np.ndarray
    cu_seqlens: np.ndarray
    prompt_lengths: np.ndarray
    response_lengths: np.ndarray
    loss_mask: np.ndarray
    rollout_log_probs: np.ndarray
    advantages: np.ndarray
    group_indexes: np.ndarray
    sample_indexes: np.ndarray

    @property
    def num_samples(self) -> int:
        return len(self.rollout_ids)

    def samples(self) -> Iterator[PackedSample]:
        """Per-sample views (slices, no copies)."""
        response_starts = np.concatenate(([0], np.cumsum(self.response_lengths)))
        for i in range(self.num_samples):
            t0, t1 = int(self.cu_seqlens[i]), int(self.cu_seqlens[i + 1])
            r0, r1 = int(response_starts[i]), int(response_starts[i + 1])
            yield PackedSample(
                tokens=self.tokens[t0:t1],
                prompt_len=int(self.prompt_lengths[i]),
                loss_mask=self.loss_mask[r0:r1],
                rollout_logprobs=self.rollout_log_probs[r0:r1],
                advantage=float(self.advantages[i]),
                group_index=int(self.group_indexes[i]),
                sample_index=int(self.sample_indexes[i]),
                rollout_id=self.rollout_ids[i],
            )


@dataclass
class TrainerBatch:
    step: int
    dp_size: int
    max_tokens_per_gpu: int
    totals: dict[str, int]
    ranks: list[list[MicroBatch]]
    """ranks[r] is rank r's micro-batches; every rank has the same number."""


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def decode_trainer_batch(frame: bytes | bytearray | memoryview) -> TrainerBatch:
    """Decode a frame; raises WireError naming what is wrong. Arrays are read-only views of ``frame``."""
    buf = memoryview(frame).cast("B")
    if len(buf) < 8 or bytes(buf[:4]) != WIRE_MAGIC:
        raise WireError(f"not a trainer-batch frame: expected magic {WIRE_MAGIC.decode()}")
    header_length = int.from_bytes(buf[4:8], "little")
    if 8 + header_length > len(buf):
        raise WireError(f"header length {header_length} runs past the frame ({len(buf)} bytes)")
    try:
        header = msgpack.unpackb(buf[8 : 8 + header_length], raw=False)
    except Exception as cause:  # msgpack raises several unrelated types
        raise WireError(f"header is not valid msgpack: {cause}") from cause
    if header.get("format") != "physarum.trainer-batch" or header.get("version") != WIRE_VERSION:
        raise WireError(
            f"unsupported trainer-batch format {header.get('format')!r} version {header.get('version')!r}; this build reads version {WIRE_VERSION}"
        )
    base = (8 + header_length + 7) & ~7
    ranks: list[list[MicroBatch]] = []
    for r, rank in enumerate(header["ranks"]):
        micro_batches = []
        for m, mb in enumerate(rank["microBatches"]):
            arrays = {}
            for name in ARRAY_NAMES:
                ref = mb["arrays"].get(name)
                if ref is None:
                    raise WireError(f"rank {r} micro-batch {m} lacks array {name}")
                dtype = DTYPES.get(ref["dtype"])
                if dtype is None:
                    raise WireError(f"array {name} has unknown dtype {ref['dtype']!r}")
                end = base + ref["offset"] + ref["length"] * dtype.itemsize
                if end > len(buf):
                    raise WireError(f"array {name} runs past the frame ({end} > {len(buf)} bytes)")
                arrays[_snake(name)] = np.frombuffer(buf, dtype=dtype, count=ref["length"], offset=base + ref["offset"])
            micro_batches.append(MicroBatch(rollout_ids=list(mb["rolloutIds"]), **arrays))
        ranks.append(micro_batches)
    return TrainerBatch(
        step=header["step"],
        dp_size=header["dpSize"],
        max_tokens_per_gpu=header["maxTokensPerGpu"],
        totals=dict(header["totals"]),
        ranks=ranks,
    )
