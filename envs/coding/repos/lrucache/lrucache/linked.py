"""A doubly linked list with sentinel nodes; the cache's recency order lives here."""


class Node:
    __slots__ = ("key", "value", "expires", "prev", "next")

    def __init__(self, key=None, value=None, expires=None):
        self.key = key
        self.value = value
        self.expires = expires
        self.prev = None
        self.next = None


class LinkedList:
    def __init__(self):
        self.head = Node()  # most recent follows head
        self.tail = Node()  # least recent precedes tail
        self.head.next = self.tail
        self.tail.prev = self.head
        self.size = 0

    def push_front(self, node):
        node.prev = self.head
        node.next = self.head.next
        self.head.next.prev = node
        self.head.next = node
        self.size += 1

    def unlink(self, node):
        node.prev.next = node.next
        node.next.prev = node.prev
        node.prev = node.next = None
        self.size -= 1

    def move_front(self, node):
        self.unlink(node)
        self.push_front(node)

    def last(self):
        return None if self.tail.prev is self.head else self.tail.prev

    def keys(self):
        out = []
        node = self.head.next
        while node is not self.tail:
            out.append(node.key)
            node = node.next
        return out
