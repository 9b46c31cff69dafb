"""The megatron backend's pieces. Nothing here imports megatron-core at module level: ``convert``
and ``flags`` are pure (CPU-testable); ``backend`` imports megatron lazily when a model is built."""
