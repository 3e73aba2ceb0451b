"""annotator: sentence-level source attribution for news (state-media claim, official statement, independent fact)."""

__version__ = "0.1.0"
