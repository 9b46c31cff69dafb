"""A small double-entry bank ledger with amounts in integer cents."""
from .accounts import Account, InsufficientFunds
from .book import Ledger
from .money import format_cents, parse_amount

__all__ = ["Account", "InsufficientFunds", "Ledger", "format_cents", "parse_amount"]
