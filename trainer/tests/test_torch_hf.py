"""torch_hf through the worker's verbs (in process): packed log-probs equal one-by-one and
transformers' own forward, gradient accumulation is invariant to the micro-batch split, LoRA trains
only adapters and exports merged weights, the HF export reproduces the log-probs, typed errors."""
import sys
from pathlib import Path

import msgpack
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from frames import encode_frame, random_samples, sample, tiny_init  # noqa: E402
from physarum_trainer.errors import (InvalidInputError, MemoryBudgetError, ModelNotFoundError, NotInitializedError,  # noqa: E402
                                     WireError)
from physarum_trainer.model_init import init_model  # noqa: E402
from physarum_trainer.worker.service import WorkerService  # noqa: E402


def logprobs(svc, frame, **args):
    out = msgpack.unpackb(svc.handle("compute_logprobs", args, frame))
    return out, np.frombuffer(out["logProbs"], "<f4"), np.frombuffer(out["entropy"], "<f4")


def hf_reference(model_dir, samples, dtype=torch.float64):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype, attn_implementation="eager").eval()
    out = []
    with torch.no_grad():
        for s in samples:
            logits = model(torch.tensor([s["tokens"]])).logits[0]
            rows = torch.log_softmax(logits[s["prompt"] - 1 : len(s["tokens"]) - 1].double(), -1)
            out += rows[torch.arange(s["response"]), torch.tensor(s["tokens"][s["prompt"]:])].tolist()
    return np.array(out)


def family_dir(tmp_path, family):
    """A tiny HF checkpoint of another family (qwen2 with qkv bias, llama), with the byte tokenizer."""
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    base = tmp_path / "qwen3"
    init_model("qwen3", 1, 32, "bytes", 0, base)
    out = tmp_path / family
    cls, cfg = (Qwen2ForCausalLM, Qwen2Config) if family == "qwen2" else (LlamaForCausalLM, LlamaConfig)
    torch.manual_seed(0)
    model = cls(cfg(vocab_size=259, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=False))
    model.save_pretrained(out)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (out / name).write_bytes((base / name).read_bytes())
    return out


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(7)
    return random_samples(rng, 7, vocab=259)


@pytest.mark.parametrize("family", ["qwen3", "qwen2", "llama"])
def test_packed_equals_one_by_one_and_transformers(tmp_path, batch, family):
    svc = WorkerService()
    model = {"tiny": {"layers": 2, "hidden": 32, "seed": 2}} if family == "qwen3" else {"path": str(family_dir(tmp_path, family))}
    info = svc.handle("init", tiny_init(model=model), None)
    assert info["modelType"] == family
    packed, lp_packed, ent_packed = logprobs(svc, encode_frame([[batch]]))
    single = np.concatenate([logprobs(svc, encode_frame([[[s]]]))[1] for s in batch])
    assert packed["rolloutIds"] == [s["rid"] for s in batch]
    assert np.abs(lp_packed - single).max() < 2e-5
    assert np.all(ent_packed > 0)
    reference = hf_reference(svc.backend.tokenizer_dir(), batch)
    assert np.abs(lp_packed - reference).max() < 1e-4
    # Not degenerate: cross-sequence attention would change these numbers.
    shuffled = encode_frame([[batch[::-1]]])
    assert np.abs(np.concatenate([logprobs(svc, encode_frame([[[s]]]))[1] for s in batch[::-1]]) - logprobs(svc, shuffled)[1]).max() < 2e-5


def test_micro_batch_split_does_not_change_the_step(batch):
    results = []
    for split in ([batch], [batch[:2], batch[2:5], batch[5:]]):
        svc = WorkerService()
        svc.handle("init", tiny_init(), None)
        frame = encode_frame([split])
        m = svc.handle("train_step", {"step": 0}, frame)["metrics"]
        after = logprobs(svc, encode_frame([[batch]]))[1]
        results.append((m, after))
    (m1, a1), (m2, a2) = results
    for key in ("loss", "pg_loss", "clipfrac", "entropy", "grad_norm", "train_rollout_logprob_abs_diff"):
        assert m1[key] == pytest.approx(m2[key], abs=1e-6), key
    # fp32 sums in another order (padded rows vs one packed row) move Adam's update of near-zero
    # gradients by a few ulps; a real split error moves log-probs by orders of magnitude more.
    assert np.abs(a1 - a2).max() < 5e-5
    # microBatchTokens splits further inside the worker, with the same result.
    svc = WorkerService()
    svc.handle("init", tiny_init(microBatchTokens=20), None)
    m3 = svc.handle("train_step", {"step": 0}, encode_frame([[batch]]))["metrics"]
    assert m3["loss"] == pytest.approx(m1["loss"], abs=1e-6)


def test_training_raises_rewarded_log_probs_and_the_schedule_runs(batch):
    svc = WorkerService()
    svc.handle("init", tiny_init(optimizer={"lr": 1e-2}, scheduler={"warmupSteps": 2}, loss={"policyLoss": "reinforce"}), None)
    frame = encode_frame([[batch]])
    before = logprobs(svc, frame)[1]
    lrs = [svc.handle("train_step", {"step": i}, frame)["metrics"]["lr"] for i in range(3)]
    assert lrs == pytest.approx([5e-3, 1e-2, 1e-2])
    after = logprobs(svc, frame)[1]
    adv = np.concatenate([[s["advantage"]] * s["response"] for s in batch])
    mask = np.concatenate([s["mask"] for s in batch]).astype(bool)
    assert float(((after - before) * adv)[mask].sum()) > 0


def test_reference_and_kl(batch):
    svc = WorkerService()
    svc.handle("init", tiny_init(reference="initial", loss={"kl": {"coef": 0.1, "type": "k3"}}), None)
    frame = encode_frame([[batch]])
    start = logprobs(svc, frame)[1]
    first = svc.handle("train_step", {"step": 0}, frame)["metrics"]
    assert first["kl_loss"] == pytest.approx(0.0, abs=1e-9)
    second = svc.handle("train_step", {"step": 1}, frame)["metrics"]
    assert second["kl_loss"] > 0
    assert np.array_equal(logprobs(svc, frame, model="reference")[1], start)
    assert not np.array_equal(logprobs(svc, frame)[1], start)


def test_lora_trains_adapters_only_and_exports_merged(tmp_path, batch):
    from transformers import AutoModelForCausalLM

    svc = WorkerService()
    info = svc.handle("init", tiny_init(lora={"r": 4, "alpha": 8, "targetModules": ["q_proj", "v_proj", "down_proj"]},
                                        reference="initial", optimizer={"lr": 5e-2}), None)
    assert 0 < info["trainableParameters"] < info["parameters"] / 4
    assert all("lora_" in n for n, p in svc.backend.model.named_parameters() if p.requires_grad)
    assert all("lora_" in n for g in svc.backend.optimizer.param_groups for p in g["params"] for n, q in svc.backend.model.named_parameters() if q is p)
    frame = encode_frame([[batch]])
    for step in range(2):
        svc.handle("train_step", {"step": step}, frame)
    trained = logprobs(svc, frame)[1]
    assert not np.allclose(trained, logprobs(svc, frame, model="reference")[1])
    out = svc.handle("export_weights", {"format": "hf", "dir": str(tmp_path), "version": 3}, None)
    assert out["path"].endswith("weights-3")
    model = AutoModelForCausalLM.from_pretrained(out["path"], dtype=torch.float32)
    assert not any("lora" in k for k in model.state_dict())
    assert np.abs(hf_reference(out["path"], batch, torch.float32) - trained).max() < 1e-4
    with pytest.raises(InvalidInputError, match="lora.targetModules: 'qkv'"):
        WorkerService().handle("init", tiny_init(lora={"r": 2, "alpha": 4, "targetModules": ["qkv"]}), None)


def test_hf_export_reproduces_log_probs_and_never_overwrites(tmp_path, batch):
    svc = WorkerService()
    svc.handle("init", tiny_init(), None)
    frame = encode_frame([[batch]])
    svc.handle("train_step", {"step": 0}, frame)
    out = svc.handle("export_weights", {"format": "hf", "dir": str(tmp_path), "version": 1}, None)
    assert (Path(out["path"]) / "tokenizer.json").is_file() and out["bytes"] > 0
    assert np.abs(hf_reference(out["path"], batch, torch.float32) - logprobs(svc, frame)[1]).max() < 1e-5
    with pytest.raises(InvalidInputError, match="exists"):
        svc.handle("export_weights", {"format": "hf", "dir": str(tmp_path), "version": 1}, None)
    gguf = svc.handle("export_weights", {"format": "gguf", "dir": str(tmp_path), "version": 1}, None)
    assert gguf["path"].endswith("weights-1.gguf")


def test_typed_errors(tmp_path, batch):
    svc = WorkerService()
    with pytest.raises(NotInitializedError):
        svc.handle("train_step", {"step": 0}, encode_frame([[batch]]))
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        svc.handle("init", tiny_init(model={"path": str(tmp_path / "missing")}), None)
    svc.handle("init", tiny_init(memoryBudgetTokens=16), None)
    with pytest.raises(MemoryBudgetError, match="over memoryBudgetTokens 16"):
        svc.handle("train_step", {"step": 0}, encode_frame([[batch]]))
    with pytest.raises(WireError, match="version"):
        svc.handle("train_step", {"step": 0}, encode_frame([[batch[:1]]], version=2))
    with pytest.raises(InvalidInputError, match="token id 300 is outside"):
        svc.handle("compute_logprobs", {}, encode_frame([[[sample([1, 2], [300], 1.0)]]]))
    with pytest.raises(InvalidInputError, match="step"):
        svc.handle("train_step", {"step": -1}, encode_frame([[batch[:1]]]))
