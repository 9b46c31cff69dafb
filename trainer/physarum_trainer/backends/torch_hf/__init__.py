from .backend import TorchHfBackend

__all__ = ["TorchHfBackend"]
