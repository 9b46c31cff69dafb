"""A binary-heap priority queue with stable ordering, updates and removal; plus a scheduler on top."""
from .heap import PriorityQueue
from .scheduler import Scheduler

__all__ = ["PriorityQueue", "Scheduler"]
