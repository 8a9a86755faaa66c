"""The assistant: front doors (CLI now; chat later) over the engine."""
