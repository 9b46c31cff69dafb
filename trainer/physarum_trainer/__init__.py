"""physarum's Python side: tiny-model init, HF -> GGUF export (reused by the trainer to publish
weights to the embedded llama.cpp engine), and a float64 reference forward for parity checks."""
