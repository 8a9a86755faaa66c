"""The one household trade model as an algebra: objective terms and constraint families, each a
small class that adds itself to a Pyomo model and prices (or checks) a read-back plan.

  frame.py        Trading, Flows, Withdrawal (what a scenario declares besides its terms), the
                  index sets and the decision variables every piece shares
  terms.py        Tax, ExactTax, TransactionCost, DriftPenalty, Mislocation, WithdrawalCost, TieBreak
  constraints.py  CashFundsBuys, MinimumTrade, WashSale, GainBudget, AmountRaised
  build.py        build_model (composes), Scenario (a tool's declaration), read_plan
"""

from .build import Scenario, build_model, read_plan
from .constraints import AmountRaised, CashFundsBuys, Constraint, GainBudget, MinimumTrade, WashSale
from .frame import Flows, Frame, Index, Trading, Withdrawal
from .terms import (
    TIE_BREAK_PER_DOLLAR,
    DriftPenalty,
    ExactTax,
    Mislocation,
    Tax,
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
    "Term",
    "TieBreak",
    "Trading",
    "TransactionCost",
    "WashSale",
    "Withdrawal",
    "WithdrawalCost",
    "build_model",
    "exact_tax_block",
    "net_loss_floor",
    "read_plan",
]
