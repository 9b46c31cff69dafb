from lrucache.linked import LinkedList, Node


def test_push_front_order():
    lst = LinkedList()
    for k in "abc":
        lst.push_front(Node(k))
    assert lst.keys() == ["c", "b", "a"]


def test_last():
    lst = LinkedList()
    lst.push_front(Node("a"))
    lst.push_front(Node("b"))
    assert lst.last().key == "a"


def test_last_empty():
    assert LinkedList().last() is None


def test_unlink_updates_size():
    lst = LinkedList()
    node = Node("a")
    lst.push_front(node)
    lst.unlink(node)
    assert lst.size == 0
    assert lst.keys() == []


def test_move_front():
    lst = LinkedList()
    a = Node("a")
    lst.push_front(a)
    lst.push_front(Node("b"))
    lst.move_front(a)
    assert lst.keys() == ["a", "b"]
