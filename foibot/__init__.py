"""foibot: run Freedom of Information campaigns to many public bodies at once."""

__version__ = "0.1.0"
