"""Renderers: every command's output as text (rich markup), Markdown or JSON.

Renderers never decide anything and never touch the state or a panel: they turn the
values the workflows return into what a person or a program reads.
"""
