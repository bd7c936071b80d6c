"""smm: a declarative campaign runner for SMM panels (import name ``runner``)."""

__version__ = "0.1.0"
