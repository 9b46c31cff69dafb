import pytest

from ledger import InsufficientFunds, Ledger


def make():
    book = Ledger()
    book.open("alice")
    book.open("bob", overdraft_limit=500)
    book.deposit("alice", 1000)
    return book


def test_open_duplicate_fails():
    book = make()
    with pytest.raises(ValueError):
        book.open("alice")


def test_get_unknown_fails():
    with pytest.raises(KeyError):
        Ledger().get("nobody")


def test_transfer_moves_money():
    book = make()
    book.transfer("alice", "bob", 300)
    assert (book.get("alice").balance, book.get("bob").balance) == (700, 300)


def test_transfer_keeps_total():
    book = make()
    book.transfer("alice", "bob", 300)
    assert book.total() == 1000


def test_transfer_insufficient_changes_nothing():
    book = make()
    with pytest.raises(InsufficientFunds):
        book.transfer("alice", "bob", 1001)
    assert book.get("alice").balance == 1000
    assert book.journal == [("deposit", None, "alice", 1000, "")]


def test_transfer_uses_overdraft():
    book = make()
    book.transfer("bob", "alice", 500)
    assert book.get("bob").balance == -500


def test_transfer_to_self_fails():
    book = make()
    with pytest.raises(ValueError):
        book.transfer("alice", "alice", 5)


def test_transfer_rejects_zero():
    book = make()
    with pytest.raises(ValueError):
        book.transfer("alice", "bob", 0)


def test_transfer_to_frozen_fails():
    book = make()
    book.get("bob").frozen = True
    with pytest.raises(PermissionError):
        book.transfer("alice", "bob", 10)


def test_try_transfer_success():
    book = make()
    assert book.try_transfer("alice", "bob", 1000) is True


def test_try_transfer_failure():
    book = make()
    assert book.try_transfer("alice", "bob", 1001) is False


def test_history_newest_first():
    book = make()
    book.transfer("alice", "bob", 1, memo="first")
    book.transfer("bob", "alice", 1, memo="second")
    assert [e[4] for e in book.history("bob")] == ["second", "first"]


def test_history_limit():
    book = make()
    for _ in range(3):
        book.transfer("alice", "bob", 1)
    assert len(book.history("alice", limit=2)) == 2


def test_history_only_own_entries():
    book = make()
    book.open("carol")
    book.deposit("carol", 5)
    assert book.history("bob") == []


def test_statement_running_balance():
    book = make()
    book.transfer("alice", "bob", 300)
    book.transfer("bob", "alice", 100)
    assert book.statement("alice") == [("deposit", 1000, 1000), ("transfer", -300, 700), ("transfer", 100, 800)]


def test_largest_accounts():
    book = make()
    book.open("carol")
    book.deposit("carol", 2000)
    assert book.largest_accounts(2) == ["carol", "alice"]


def test_largest_accounts_ties_by_name():
    book = Ledger()
    for name in ("zed", "amy"):
        book.open(name)
        book.deposit(name, 10)
    assert book.largest_accounts(1) == ["amy"]


def test_overdrawn_lists_names():
    book = make()
    book.transfer("bob", "alice", 10)
    assert book.overdrawn() == ["bob"]


def test_apply_interest_net():
    book = make()
    book.transfer("bob", "alice", 500)
    # alice 1500 at 10 per mille: +15; bob -500 at double rate: -10
    assert book.apply_interest(10) == 5


def test_apply_interest_journal_skips_zero():
    book = make()
    book.apply_interest(10)
    assert [e[0] for e in book.journal] == ["deposit", "interest"]
