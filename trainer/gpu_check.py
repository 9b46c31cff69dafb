"""The trainer's GPU check (issue #9): torch_hf and megatron on the same tiny Qwen3 weights.

    python trainer/gpu_check.py --megatron-src /path/to/Megatron-LM [--out summary.json]

Run from the repo root on a machine with one CUDA GPU, torch and transformers; megatron-core comes
from source (its directory is put on sys.path, as reference/megatron_probe.py does). Checks, in fp32:

1. megatron log-probs vs a plain transformers forward (one sequence at a time): relative error <= 1e-3;
   the torch_hf backend's too, when that backend is in this checkout;
2. one train_step on each backend with the same batch and loss (finite metrics; the two losses agree);
3. megatron -> HF export loads in transformers and gives the megatron backend's log-probs.

Prints one line `GPU_CHECK_JSON {...}` and exits 1 when a check failed. Each check records its error
and the script goes on, so one run reports everything.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TOLERANCE = 1e-3


def relative_error(got: np.ndarray, want: np.ndarray) -> float:
    """max |got − want| / max(max |want|, 1e-12): one number, scale-free."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise ValueError(f"shapes differ: {got.shape} vs {want.shape}")
    if got.size == 0:
        return 0.0
    return float(np.max(np.abs(got - want)) / max(float(np.max(np.abs(want))), 1e-12))


def synthetic_micro_batch(vocab: int, lengths: list[tuple[int, int]], seed: int = 0):
    """A batch.MicroBatch of len(lengths) samples (prompt_len, response_len), random tokens, all
    response tokens trainable but one, advantages ±, rollout log-probs near the uniform policy's."""
    from physarum_trainer.batch import MicroBatch

    rng = np.random.default_rng(seed)
    total = [p + r for p, r in lengths]
    responses = [r for _, r in lengths]
    n = sum(responses)
    mask = np.ones(n, dtype=np.uint8)
    if n:
        mask[0] = 0
    return MicroBatch(
        rollout_ids=[f"r{i}" for i in range(len(lengths))],
        tokens=rng.integers(0, vocab, sum(total)).astype(np.int32),
        cu_seqlens=np.concatenate(([0], np.cumsum(total))).astype(np.int32),
        prompt_lengths=np.array([p for p, _ in lengths], dtype=np.int32),
        response_lengths=np.array(responses, dtype=np.int32),
        loss_mask=mask,
        rollout_log_probs=(np.full(n, -np.log(vocab)) + rng.normal(0, 0.05, n)).astype(np.float32),
        advantages=np.array([(-1.0) ** i * (0.5 + i) for i in range(len(lengths))], dtype=np.float32),
        group_indexes=np.zeros(len(lengths), dtype=np.int32),
        sample_indexes=np.arange(len(lengths), dtype=np.int32),
    )


def hf_logprobs(model: Any, mb: Any, device: str) -> np.ndarray:
    """Response-token log-probs from a transformers model, one sequence at a time (no packing involved)."""
    import torch

    out = []
    for s in mb.samples():
        ids = torch.tensor(np.asarray(s.tokens), dtype=torch.long, device=device)[None]
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0].double()
        lsm = torch.log_softmax(logits, -1)
        p = s.prompt_len
        targets = ids[0, p:]
        out.append(lsm[p - 1 : p - 1 + targets.numel()].gather(-1, targets[:, None]).squeeze(-1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


def worker_config(backend: str, model_dir: Path) -> dict[str, Any]:
    return {"backend": backend, "model": {"path": str(model_dir)}, "device": "cuda", "dtype": "float32", "seed": 0,
            "optimizer": {"name": "adamw", "lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.0, "clipGrad": 1.0},
            "scheduler": {"warmupSteps": 0, "minLr": 0.0, "decaySteps": None}, "loss": {}, "reference": "none",
            "parallelism": {"tp": 1, "pp": 1, "dp": 1}, "microBatchTokens": None, "activationCheckpointing": False}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megatron-src", help="a Megatron-LM checkout (its root, holding megatron/core)")
    parser.add_argument("--out", help="also write the summary JSON here")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    args = parser.parse_args(argv)
    if args.megatron_src:
        sys.path.insert(0, str(Path(args.megatron_src).resolve()))

    import torch
    from transformers import AutoModelForCausalLM

    from physarum_trainer.backends.base import RankContext
    from physarum_trainer.losses import LossConfig, batch_totals
    from physarum_trainer.model_init import init_model

    res: dict[str, Any] = {"torch": torch.__version__, "cuda": torch.cuda.is_available(), "checks": {}}
    failed: list[str] = []

    def check(name: str, fn: Callable[[], Any]) -> Any:
        try:
            value = fn()
            res["checks"][name] = {"ok": True, **(value if isinstance(value, dict) else {})}
            return value
        except Exception as error:  # recorded; the rest still runs
            res["checks"][name] = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()[-1500:]}
            failed.append(name)
            return None

    work = Path(tempfile.mkdtemp(prefix="physarum-gpu-check-"))
    model_dir = work / "tiny-qwen3"
    init_model("qwen3", args.layers, args.hidden, "bytes", 0, model_dir, heads=4, kv_heads=2)
    config = json.loads((model_dir / "config.json").read_text())
    res["model"] = {k: config.get(k) for k in ("model_type", "num_hidden_layers", "hidden_size", "num_attention_heads",
                                               "num_key_value_heads", "vocab_size", "tie_word_embeddings")}
    mb = synthetic_micro_batch(int(config["vocab_size"]), [(7, 30), (12, 52), (1, 17)], seed=1)
    totals = batch_totals([mb])
    loss_cfg = LossConfig.from_wire({"policyLoss": "ppo", "epsClipHigh": 0.28})
    hf = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).cuda().eval()
    want = hf_logprobs(hf, mb, "cuda")
    del hf

    backends: dict[str, Any] = {}

    def build(name: str) -> dict:
        if name == "megatron":
            from physarum_trainer.megatron.backend import MegatronBackend as cls
        else:
            from physarum_trainer.backends.torch_hf.backend import TorchHfBackend as cls
        backends[name] = cls(worker_config(name, model_dir), RankContext())
        return {"info": backends[name].info()}

    for name in ("torch_hf", "megatron"):
        if check(f"{name}_init", lambda: build(name)) is None:
            continue
        b = backends[name]
        check(f"{name}_logprobs_vs_transformers_fp32", lambda: _within(relative_error(b.compute_logprobs([mb], 1.0)[0].log_probs, want)))
        check(f"{name}_train_step", lambda: _finite(b.train_step([mb], loss_cfg, 0, totals=totals, temperature=1.0)))

    if "torch_hf_train_step" in res["checks"] and "megatron_train_step" in res["checks"]:
        check("train_step_losses_agree", lambda: _agree(res["checks"]["torch_hf_train_step"].get("metrics"),
                                                        res["checks"]["megatron_train_step"].get("metrics")))

    def export() -> dict:
        from safetensors.torch import save_file

        b = backends["megatron"]
        out = work / "megatron-export"
        out.mkdir()
        save_file({k: v.contiguous() for k, v in b.export_state_dict_hf().items()}, str(out / "model.safetensors"))
        (out / "config.json").write_text(json.dumps(b.hf_config()))
        loaded = AutoModelForCausalLM.from_pretrained(str(out), dtype=torch.float32).cuda().eval()
        return _within(relative_error(hf_logprobs(loaded, mb, "cuda"), b.compute_logprobs([mb], 1.0)[0].log_probs))

    if "megatron" in backends:
        check("megatron_export_hf_matches", export)
    try:
        import megatron.core as mc

        res["megatron_core"] = mc.__version__
    except Exception:
        res["megatron_core"] = None
    if torch.cuda.is_available():
        res["gpu"] = torch.cuda.get_device_name(0)
        res["max_mem_GiB"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    res["failed"] = failed
    line = json.dumps(res, default=str)
    print("GPU_CHECK_JSON " + line, flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1, default=str))
    return 1 if failed else 0


def _within(err: float) -> dict:
    if not err <= TOLERANCE:
        raise AssertionError(f"relative error {err:.3g} > {TOLERANCE}")
    return {"relative_error": err}


def _finite(metrics: dict) -> dict:
    bad = [k for k, v in metrics.items() if not np.isfinite(v)]
    if bad:
        raise AssertionError(f"non-finite metrics {bad}")
    return {"metrics": {k: float(v) for k, v in metrics.items()}}


def _agree(a: dict | None, b: dict | None) -> dict:
    if not a or not b:
        raise AssertionError("a train step is missing")
    err = relative_error(np.array([b["loss"], b["pg_loss"]]), np.array([a["loss"], a["pg_loss"]]))
    return _within(err)


if __name__ == "__main__":
    sys.exit(main())
