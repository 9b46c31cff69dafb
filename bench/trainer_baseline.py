"""Baseline of `bench trainer`: the same model, batch and loss in a plain in-process PyTorch loop
(no RPC, no frame, no worker; short sequences as a right-padded batch, as the worker runs them). Reads commands on stdin: `init <hf dir> <samples.json> <lr>`, then
`steps <n>` -> prints `{"seconds": s, "tokens": t, "loss": l}` per command."""
import json
import sys
import time

import torch
from transformers import AutoModelForCausalLM

from physarum_trainer.losses import LossConfig, compute_loss, response_logprobs


def main() -> None:
    model = opt = None
    batch = None
    cfg = LossConfig.from_wire({})
    for line in sys.stdin:
        cmd, *rest = line.split()
        if cmd == "init":
            model = AutoModelForCausalLM.from_pretrained(rest[0], dtype=torch.float32, attn_implementation="sdpa")
            model.train()
            opt = torch.optim.AdamW(model.parameters(), lr=float(rest[2]))
            samples = json.load(open(rest[1]))
            tokens = torch.tensor([t for s in samples for t in s["tokens"]])
            lengths = [len(s["tokens"]) for s in samples]
            cu = torch.tensor([0] + lengths).cumsum(0)
            batch = {
                "tokens": tokens, "cu": cu,
                "pos": torch.cat([torch.arange(n) for n in lengths]),
                # Short sequences as a plain PyTorch user batches them: right-padded rows under the
                # causal mask (each row sees only its own tokens), real positions gathered back.
                "rows": torch.nn.utils.rnn.pad_sequence([torch.tensor(s["tokens"]) for s in samples], batch_first=True),
                "real": torch.arange(max(lengths))[None, :] < torch.tensor(lengths)[:, None],
                "prompt": torch.tensor([s["prompt"] for s in samples]), "resp": torch.tensor([s["response"] for s in samples]),
                "mask": torch.tensor([m for s in samples for m in s["mask"]], dtype=torch.float32),
                "old": torch.tensor([x for s in samples for x in s["logprobs"]], dtype=torch.float32),
                "adv": torch.tensor([s["advantage"] for s in samples for _ in range(s["response"])], dtype=torch.float32),
            }
            print(json.dumps({"ok": True}), flush=True)
        elif cmd == "steps":
            b = batch
            started = time.perf_counter()
            for _ in range(int(rest[0])):
                opt.zero_grad(set_to_none=True)
                logits = model(input_ids=b["rows"], use_cache=False).logits[b["real"]]
                logp, ent = response_logprobs(logits, b["tokens"], b["cu"], b["prompt"], b["resp"], 1.0)
                loss, _ = compute_loss(logp, b["old"], b["adv"], b["mask"], b["resp"], cfg, entropy=ent,
                                       batch_tokens=float(b["mask"].sum()), batch_sequences=len(b["resp"]))
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            seconds = time.perf_counter() - started
            print(json.dumps({"seconds": seconds, "tokens": int(b["tokens"].numel()) * int(rest[0]), "loss": float(loss.detach())}), flush=True)
        elif cmd == "quit":
            return


if __name__ == "__main__":
    main()
