import pytest

from ledger import Account, InsufficientFunds


def test_new_account_is_empty():
    assert Account("a").balance == 0


def test_needs_name():
    with pytest.raises(ValueError):
        Account("")


def test_rejects_negative_overdraft():
    with pytest.raises(ValueError):
        Account("a", overdraft_limit=-1)


def test_deposit_adds():
    a = Account("a")
    a.deposit(500)
    a.deposit(250)
    assert a.balance == 750


def test_deposit_rejects_zero():
    with pytest.raises(ValueError):
        Account("a").deposit(0)


def test_withdraw_subtracts():
    a = Account("a")
    a.deposit(500)
    a.withdraw(200)
    assert a.balance == 300


def test_withdraw_whole_balance():
    a = Account("a")
    a.deposit(500)
    a.withdraw(500)
    assert a.balance == 0


def test_withdraw_beyond_balance_fails():
    a = Account("a")
    a.deposit(500)
    with pytest.raises(InsufficientFunds):
        a.withdraw(501)


def test_withdraw_into_overdraft():
    a = Account("a", overdraft_limit=1000)
    a.withdraw(1000)
    assert a.balance == -1000


def test_available_includes_overdraft():
    a = Account("a", overdraft_limit=300)
    a.deposit(200)
    assert a.available() == 500


def test_frozen_has_nothing_available():
    a = Account("a")
    a.deposit(200)
    a.frozen = True
    assert a.available() == 0


def test_frozen_rejects_deposit():
    a = Account("a")
    a.frozen = True
    with pytest.raises(PermissionError):
        a.deposit(100)


def test_is_overdrawn():
    a = Account("a", overdraft_limit=100)
    a.withdraw(1)
    assert a.is_overdrawn()


def test_zero_balance_not_overdrawn():
    assert not Account("a").is_overdrawn()


def test_interest_on_credit():
    a = Account("a")
    a.deposit(100000)
    assert a.interest(5) == 500


def test_interest_rounds_down():
    a = Account("a")
    a.deposit(999)
    assert a.interest(5) == 4


def test_interest_on_overdraft_is_double():
    a = Account("a", overdraft_limit=100000)
    a.withdraw(100000)
    assert a.interest(5) == -1000
