"""`python -m physarum_trainer.model_init`: a tiny randomly initialized Qwen3 checkpoint (HF files)
plus the matching GGUF, with no downloads. `physarum model init` (TypeScript CLI) calls this."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .gguf_export import export_gguf
from .tokenizer_files import vocab_size_of, write_tokenizer


def qwen3_config(vocab_size: int, layers: int, hidden: int, heads: int, kv_heads: int, head_dim: int,
                 intermediate: int, context: int, init_std: float) -> dict[str, Any]:
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "vocab_size": vocab_size,
        "hidden_size": hidden,
        "intermediate_size": intermediate,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "head_dim": head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": context,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1_000_000.0,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "tie_word_embeddings": True,
        "initializer_range": init_std,
        "use_cache": True,
        "torch_dtype": "float32",
    }


def init_model(arch: str, layers: int, hidden: int, tokenizer: str, seed: int, out: Path, *,
               heads: int | None = None, kv_heads: int | None = None, intermediate: int | None = None,
               context: int = 4096, init_std: float = 0.02, gguf_dtype: str = "f32") -> dict[str, str]:
    """Write an HF checkpoint under `out` and `out/model.gguf`; returns the paths written."""
    if arch != "qwen3":
        raise ValueError(f"unsupported --arch {arch!r}: only 'qwen3' is built in")
    if layers < 1 or hidden < 8:
        raise ValueError(f"--layers must be >= 1 and --hidden >= 8 (got {layers}, {hidden})")
    heads = heads or max(1, hidden // 16)
    kv_heads = kv_heads or max(1, heads // 2)
    if hidden % heads or heads % kv_heads:
        raise ValueError(f"--hidden {hidden} must divide by heads {heads}, and heads by kv heads {kv_heads}")
    if (hidden // heads) % 2:
        raise ValueError(f"head dim {hidden // heads} (--hidden {hidden} / {heads} heads) must be even for RoPE")
    import torch  # imported after the checks: bad flags fail fast
    from transformers import Qwen3Config, Qwen3ForCausalLM

    out.mkdir(parents=True, exist_ok=True)
    write_tokenizer(tokenizer, out)
    tokenizer_json = json.loads((out / "tokenizer.json").read_text())
    tokenizer_config = json.loads((out / "tokenizer_config.json").read_text())
    config = qwen3_config(vocab_size_of(tokenizer_json), layers, hidden, heads, kv_heads, hidden // heads,
                          intermediate or hidden * 3, context, init_std)
    torch.manual_seed(seed)
    model = Qwen3ForCausalLM(Qwen3Config(**config)).to(torch.float32)
    with torch.no_grad():
        # HF leaves RMSNorm weights at 1; jitter them so a wrong norm mapping shows up in parity tests.
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.add_(torch.randn_like(param) * 0.1)
    model.save_pretrained(out, safe_serialization=True)
    # Our config is the source of truth (transformers rewrites some keys differently per version).
    (out / "config.json").write_text(json.dumps(config, indent=1))
    (out / "generation_config.json").write_text(json.dumps({"eos_token_id": _eos_ids(tokenizer_json)}, indent=1))
    gguf_path = export_gguf(config, model.state_dict(), tokenizer_json, tokenizer_config, out / "model.gguf", dtype=gguf_dtype,
                            name=f"physarum-tiny-{arch}-{tokenizer}-l{layers}-h{hidden}-s{seed}")
    return {"dir": str(out), "gguf": str(gguf_path)}


def _eos_ids(tokenizer_json: dict[str, Any]) -> list[int]:
    return [t["id"] for t in tokenizer_json.get("added_tokens", []) if t["content"] in ("<|im_end|>", "<|endoftext|>")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="physarum model init", description=__doc__)
    parser.add_argument("--arch", default="qwen3")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--heads", type=int)
    parser.add_argument("--kv-heads", type=int)
    parser.add_argument("--intermediate", type=int)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--init-std", type=float, default=0.02)
    parser.add_argument("--tokenizer", choices=["bytes", "qwen3"], default="bytes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gguf-dtype", choices=["f32", "f16"], default="f32")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        written = init_model(args.arch, args.layers, args.hidden, args.tokenizer, args.seed, Path(args.out),
                             heads=args.heads, kv_heads=args.kv_heads, intermediate=args.intermediate,
                             context=args.context, init_std=args.init_std, gguf_dtype=args.gguf_dtype)
    except (ValueError, FileNotFoundError) as error:
        print(f"physarum model init: {error}", file=sys.stderr)
        return 1
    print(json.dumps(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
