"""The one error tree of foibot.

Every error a user can cause or fix is a ``FoibotError``: the CLI's single handler prints
``str(error)`` as one line and exits with ``error.exit_code`` (2 for usage and configuration,
1 for runtime failures). Anything else is a bug and keeps its traceback.

    FoibotError
    ├── UsageError        bad argument or input file (exit 2)
    ├── ConfigError       bad or missing configuration (exit 2)
    ├── TemplateError     a letter template that cannot render (exit 2)
    ├── StateError        unreadable or corrupt state, lock held (exit 1)
    └── MailError         SMTP/IMAP server unreachable or refusing (exit 1)
"""

from __future__ import annotations


class FoibotError(Exception):
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(FoibotError):
    exit_code = 2


class ConfigError(FoibotError):
    exit_code = 2


class TemplateError(FoibotError):
    exit_code = 2


class StateError(FoibotError):
    exit_code = 1


class MailError(FoibotError):
    exit_code = 1
