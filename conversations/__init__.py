"""Dialogs: one module per conversation, each with a Mermaid diagram beside it."""
