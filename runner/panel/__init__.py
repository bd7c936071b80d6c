"""Talking to SMM panels: the typed client, its error tree and its value types."""
