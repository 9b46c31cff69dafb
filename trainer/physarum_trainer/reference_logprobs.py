"""Float64 reference log-probs from HF weights on CPU: the ground truth the embedded engine's
reported log-probs are checked against (and a cheap way to score a trajectory offline).

`python -m physarum_trainer.reference_logprobs --model DIR` reads JSON lines
`{"input_ids": [...], "output_ids": [...], "temperature": T}` on stdin and writes
`{"logprobs": [...]}` per line: log softmax(logits / T) of each output token (T=0 means T=1,
as the engine reports greedy tokens under the raw distribution).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def load_float64_model(model_dir: str) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float64, attn_implementation="eager")
    model.eval()
    return model


def output_logprobs(model: Any, input_ids: list[int], output_ids: list[int], temperature: float = 1.0) -> list[float]:
    import torch

    if not input_ids:
        raise ValueError("input_ids must be non-empty")
    ids = torch.tensor([input_ids + output_ids], dtype=torch.long)
    with torch.no_grad():
        logits = model(ids).logits[0].to(torch.float64)
    scale = temperature if temperature > 1e-6 else 1.0
    # Position p predicts token p+1: output token i sits at len(input)+i and is predicted from the one before.
    start = len(input_ids) - 1
    rows = torch.log_softmax(logits[start:start + len(output_ids)] / scale, dim=-1)
    return [float(rows[i, tok]) for i, tok in enumerate(output_ids)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reference_logprobs", description=__doc__)
    parser.add_argument("--model", required=True)
    args = parser.parse_args(argv)
    model = load_float64_model(args.model)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        logprobs = output_logprobs(model, request["input_ids"], request["output_ids"], float(request.get("temperature", 1.0)))
        print(json.dumps({"logprobs": logprobs}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
