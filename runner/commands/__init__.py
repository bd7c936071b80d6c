"""Command implementations: each turns parsed options into calls and output."""
