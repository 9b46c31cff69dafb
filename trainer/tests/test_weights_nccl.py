"""The NCCL bucket path, dry-run on CPU with gloo standing in: the trainer (rank 0) and a stand-in
engine (rank 1) form the group the way SGLang does, the engine receives every bucket by its
metadata ({names, dtypes, shapes}) and ends up with the trainer's exact HF state dict."""
import json
import socket
import subprocess
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from physarum_trainer.weights_nccl import broadcast_bucket, init_weight_update_group, plan_buckets  # noqa: E402

ENGINE = r"""
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from physarum_trainer.weights_nccl import init_weight_update_group, receive_bucket
port, plan_path, out_path = int(sys.argv[2]), sys.argv[3], sys.argv[4]
group = init_weight_update_group("127.0.0.1", port, world_size=2, rank=1, backend="gloo", timeout_s=60)
received = {}
for meta in json.load(open(plan_path)):
    received.update(receive_bucket(meta, group))
torch.save(received, out_path)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_buckets_respect_the_size_and_keep_order():
    state = {f"w{i}": torch.zeros(10 + i, dtype=torch.float32) for i in range(6)}
    state["big"] = torch.zeros(1000)
    buckets = plan_buckets(state, bucket_bytes=100)
    assert [n for b in buckets for n in b.names] == list(state)
    assert all(b.nbytes <= 100 or len(b.names) == 1 for b in buckets)
    meta = plan_buckets(state, bucket_bytes=10**6, dtype=torch.bfloat16)[0].metadata()
    assert meta["dtypes"] == ["bfloat16"] * 7 and meta["shapes"][0] == [10] and meta["names"][-1] == "big"


def test_gloo_dry_run_delivers_the_state_dict(tmp_path):
    torch.manual_seed(0)
    state = {"model.embed_tokens.weight": torch.randn(259, 16), "model.layers.0.self_attn.q_proj.weight": torch.randn(16, 16),
             "model.norm.weight": torch.randn(16).to(torch.bfloat16), "lm_head.weight": torch.randn(259, 16)}
    buckets = plan_buckets(state, bucket_bytes=20_000)
    assert len(buckets) > 1
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps([b.metadata() for b in buckets]))
    port = free_port()
    engine = subprocess.Popen([sys.executable, "-c", ENGINE, str(Path(__file__).resolve().parents[1]), str(port), str(plan),
                               str(tmp_path / "got.pt")])
    try:
        group = init_weight_update_group("127.0.0.1", port, world_size=2, rank=0, backend="gloo", timeout_s=60)
        for bucket in buckets:
            broadcast_bucket(bucket, group)
        assert engine.wait(timeout=60) == 0
    finally:
        if engine.poll() is None:
            engine.kill()
    got = torch.load(tmp_path / "got.pt")
    assert list(got) == list(state)
    for name, tensor in state.items():
        assert got[name].dtype == tensor.dtype and torch.equal(got[name], tensor), name
