"""Test helper: trainer-batch frames built in Python with the layout src/buffer/wire.ts writes
(checked against the shared vectors in test_worker_frames), and tiny worker configs."""
from __future__ import annotations

from typing import Any, Sequence

import msgpack
import numpy as np

ARRAYS = (("tokens", "int32"), ("cuSeqlens", "int32"), ("promptLengths", "int32"), ("responseLengths", "int32"),
          ("lossMask", "uint8"), ("rolloutLogProbs", "float32"), ("advantages", "float32"), ("groupIndexes", "int32"),
          ("sampleIndexes", "int32"))
NP = {"int32": "<i4", "uint8": "u1", "float32": "<f4"}


def sample(prompt: Sequence[int], response: Sequence[int], advantage: float, *, logprobs: Sequence[float] | None = None,
           mask: Sequence[int] | None = None, rid: str = "r", group: int = 0, index: int = 0) -> dict[str, Any]:
    n = len(response)
    return {"tokens": list(prompt) + list(response), "prompt": len(prompt), "response": n, "advantage": advantage,
            "logprobs": list(logprobs) if logprobs is not None else [-1.0] * n, "mask": list(mask) if mask is not None else [1] * n,
            "rid": rid, "group": group, "index": index}


def encode_frame(ranks: Sequence[Sequence[Sequence[dict[str, Any]]]], step: int = 0, max_tokens: int = 4096, version: int = 1) -> bytes:
    """ranks[r][m] = the samples of micro-batch m of rank r."""
    data = bytearray()
    layout = []
    total = {"samples": 0, "tokens": 0}

    def place(name: str, values: Any) -> dict[str, Any]:
        dtype = dict(ARRAYS)[name]
        raw = np.asarray(values, dtype=NP[dtype]).tobytes()
        ref = {"dtype": dtype, "offset": len(data), "length": len(values)}
        data.extend(raw)
        data.extend(b"\0" * ((-len(data)) % 8))
        return ref

    for rank in ranks:
        mbs = []
        for samples in rank:
            cu = [0]
            for s in samples:
                cu.append(cu[-1] + len(s["tokens"]))
            cols = {
                "tokens": [t for s in samples for t in s["tokens"]], "cuSeqlens": cu,
                "promptLengths": [s["prompt"] for s in samples], "responseLengths": [s["response"] for s in samples],
                "lossMask": [m for s in samples for m in s["mask"]], "rolloutLogProbs": [x for s in samples for x in s["logprobs"]],
                "advantages": [s["advantage"] for s in samples], "groupIndexes": [s["group"] for s in samples],
                "sampleIndexes": [s["index"] for s in samples],
            }
            arrays = {name: place(name, cols[name]) for name, _ in ARRAYS}
            total["samples"] += len(samples)
            total["tokens"] += cu[-1]
            mbs.append({"samples": len(samples), "tokens": cu[-1], "rolloutIds": [s["rid"] for s in samples], "arrays": arrays})
        layout.append({"microBatches": mbs})
    header = msgpack.packb({"format": "physarum.trainer-batch", "version": version, "step": step, "dpSize": len(ranks),
                            "maxTokensPerGpu": max_tokens, "totals": total, "ranks": layout})
    head = b"PHTB" + len(header).to_bytes(4, "little") + header
    head += b"\0" * ((-len(head)) % 8)
    return bytes(head + data)


def random_samples(rng: np.random.Generator, count: int, vocab: int = 256, prompt: tuple[int, int] = (3, 12),
                   response: tuple[int, int] = (2, 10)) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        p = int(rng.integers(*prompt))
        r = int(rng.integers(*response))
        toks = rng.integers(0, vocab, size=p + r).tolist()
        out.append(sample(toks[:p], toks[p:], float(rng.normal()), logprobs=(-rng.random(r) * 3 - 3).tolist(),
                          mask=[int(x) for x in (rng.random(r) > 0.2)], rid=f"r-{i}", group=i // 2, index=i))
    return out


def tiny_init(**extra: Any) -> dict[str, Any]:
    cfg = {"backend": "torch_hf", "model": {"tiny": {"layers": 2, "hidden": 32, "seed": 1}}, "device": "cpu", "seed": 0,
           "optimizer": {"lr": 1e-2}}
    cfg.update(extra)
    return cfg
