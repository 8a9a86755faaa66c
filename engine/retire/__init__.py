"""Retirement income over the years: withdrawals by account, Roth conversions, RMDs and the
Social Security claiming age, each year priced by the exact federal return (see model.py)."""
