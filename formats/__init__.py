"""File formats around the engine: household import, text reports, order files, atomic writes.

The engine never reads or writes files of these formats itself; the CLI, the chat app and the
batch runner do, through this package.
"""
from .atomic import write_atomically
from .orders import ORDER_COLUMNS, orders_csv
from .positions import import_positions, write_household
from .report import money, percent, text_report

__all__ = ["ORDER_COLUMNS", "import_positions", "money", "orders_csv", "percent", "text_report", "write_atomically", "write_household"]
