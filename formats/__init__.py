"""File formats around the engine: household import, text reports, order files, atomic writes.

The engine never reads or writes files of these formats itself; the CLI, the chat app and the
batch runner do, through this package.
"""
from .atomic import write_atomically
from .custodians import import_files as import_custodian_files
from .custodians import is_generic_positions
from .orders import ORDER_COLUMNS, ORDER_FORMATS, order_file, orders_csv, safe_cell
from .positions import import_positions, write_household
from .report import money, percent, text_report

__all__ = ["ORDER_COLUMNS", "ORDER_FORMATS", "import_custodian_files", "import_positions", "is_generic_positions", "money", "order_file", "orders_csv", "percent", "safe_cell", "text_report", "write_atomically", "write_household"]
