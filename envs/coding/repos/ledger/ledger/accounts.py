"""Accounts hold a balance in cents and an optional overdraft limit."""


class InsufficientFunds(Exception):
    pass


class Account:
    def __init__(self, name, overdraft_limit=0):
        if not name:
            raise ValueError("an account needs a name")
        if overdraft_limit < 0:
            raise ValueError("overdraft limit cannot be negative")
        self.name = name
        self.overdraft_limit = overdraft_limit
        self.balance = 0
        self.frozen = False

    def available(self):
        """What can still be withdrawn: the balance plus the overdraft allowance."""
        if self.frozen:
            return 0
        return self.balance + self.overdraft_limit

    def can_withdraw(self, cents):
        return cents <= self.available()

    def deposit(self, cents):
        if cents <= 0:
            raise ValueError("deposits must be positive")
        if self.frozen:
            raise PermissionError(f"account {self.name} is frozen")
        self.balance += cents

    def withdraw(self, cents):
        if cents <= 0:
            raise ValueError("withdrawals must be positive")
        if not self.can_withdraw(cents):
            raise InsufficientFunds(f"{self.name} has {self.available()} available, needs {cents}")
        self.balance -= cents

    def is_overdrawn(self):
        return self.balance < 0

    def interest(self, rate_per_mille):
        """Monthly interest in cents: credit on positive balances, double rate charged on overdrafts; rounds toward zero."""
        if self.balance >= 0:
            return self.balance * rate_per_mille // 1000
        return -((-self.balance) * rate_per_mille * 2 // 1000)
