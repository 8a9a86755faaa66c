"""Batch: one tool over a book of household files, on a Dask cluster."""
from .runner import BATCH_TOOLS, BatchError, BatchSummary, run_batch

__all__ = ["BATCH_TOOLS", "BatchError", "BatchSummary", "run_batch"]
