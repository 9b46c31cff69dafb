"""The ledger: named accounts and an append-only journal of transfers."""
from .accounts import Account, InsufficientFunds


class Ledger:
    def __init__(self):
        self.accounts = {}
        self.journal = []

    def open(self, name, overdraft_limit=0):
        if name in self.accounts:
            raise ValueError(f"account {name} already exists")
        account = Account(name, overdraft_limit)
        self.accounts[name] = account
        return account

    def get(self, name):
        try:
            return self.accounts[name]
        except KeyError:
            raise KeyError(f"no account {name}") from None

    def deposit(self, name, cents, memo=""):
        self.get(name).deposit(cents)
        self.journal.append(("deposit", None, name, cents, memo))

    def transfer(self, source, target, cents, memo=""):
        """Move cents between accounts; all or nothing."""
        if source == target:
            raise ValueError("cannot transfer to the same account")
        if cents <= 0:
            raise ValueError("transfers must be positive")
        giver, taker = self.get(source), self.get(target)
        if taker.frozen:
            raise PermissionError(f"account {target} is frozen")
        giver.withdraw(cents)
        taker.balance += cents
        self.journal.append(("transfer", source, target, cents, memo))

    def try_transfer(self, source, target, cents):
        """Like transfer, but returns False instead of raising when funds are short."""
        try:
            self.transfer(source, target, cents)
        except InsufficientFunds:
            return False
        return True

    def total(self):
        return sum(a.balance for a in self.accounts.values())

    def history(self, name, limit=None):
        """Journal entries touching an account, newest first, at most `limit` of them."""
        entries = [e for e in reversed(self.journal) if e[1] == name or e[2] == name]
        if limit is not None:
            entries = entries[:limit]
        return entries

    def statement(self, name):
        """Running balance after each entry for the account, oldest first."""
        balance = 0
        lines = []
        for kind, source, target, cents, memo in self.journal:
            if target == name:
                balance += cents
            elif source == name:
                balance -= cents
            else:
                continue
            lines.append((kind, cents if target == name else -cents, balance))
        return lines

    def largest_accounts(self, count):
        ranked = sorted(self.accounts.values(), key=lambda a: (-a.balance, a.name))
        return [a.name for a in ranked[:count]]

    def overdrawn(self):
        return sorted(a.name for a in self.accounts.values() if a.is_overdrawn())

    def apply_interest(self, rate_per_mille):
        """Credit or charge monthly interest on every account; returns the net amount created."""
        net = 0
        for account in self.accounts.values():
            amount = account.interest(rate_per_mille)
            if amount != 0:
                account.balance += amount
                net += amount
                self.journal.append(("interest", None, account.name, amount, ""))
        return net
