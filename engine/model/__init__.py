"""The one household trade model as an algebra: objective terms and constraint families, each a
small class that adds itself to a Pyomo model and prices (or checks) a read-back plan.

  frame.py        Trading, Flows, Withdrawal (what a scenario declares besides its terms), the
                  index sets and the decision variables every piece shares
  allocation.py   the allocation lines (classes, split funds), their bands
  terms.py        Tax, ExactTax, TaxOwed, TransactionCost, DriftPenalty, Mislocation, WithdrawalCost, TieBreak
  constraints.py  CashFundsBuys, MinimumTrade, WashSale, GainBudget, AmountRaised, DriftCap
  build.py        build_model (composes), Scenario (a tool's declaration), read_plan
"""

from .allocation import band_widths, lines_of
from .build import Scenario, build_model, read_plan
from .constraints import AmountRaised, CashFundsBuys, Constraint, DriftCap, GainBudget, MinimumTrade, WashSale
from .frame import Flows, Frame, Index, Trading, Withdrawal
from .terms import (
    TIE_BREAK_PER_DOLLAR,
    DriftPenalty,
    ExactTax,
    Mislocation,
    Tax,
    TaxOwed,
    Term,
    TieBreak,
    TransactionCost,
    WithdrawalCost,
    exact_tax_block,
    net_loss_floor,
)

__all__ = [
    "TIE_BREAK_PER_DOLLAR",
    "AmountRaised",
    "CashFundsBuys",
    "Constraint",
    "DriftCap",
    "DriftPenalty",
    "ExactTax",
    "Flows",
    "Frame",
    "GainBudget",
    "Index",
    "MinimumTrade",
    "Mislocation",
    "Scenario",
    "Tax",
    "TaxOwed",
    "Term",
    "TieBreak",
    "Trading",
    "TransactionCost",
    "WashSale",
    "Withdrawal",
    "WithdrawalCost",
    "band_widths",
    "build_model",
    "exact_tax_block",
    "lines_of",
    "net_loss_floor",
    "read_plan",
]
