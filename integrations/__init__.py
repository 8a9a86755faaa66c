"""Doors for other software: an MCP server for assistants and an HTTP API for the overlay.

Both run the typed tools of tools/ on a book of households, with the CLI's field-by-field
messages for bad input and bounded request sizes and solve times. Nothing here is imported by
the CLI until `householder mcp` or `householder api` runs.
"""
