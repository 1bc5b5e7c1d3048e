"""The errors a user can cause: bad input, a bad option, a file that is not what it should be.
The CLI prints a `TermnormError` (and an `OSError`) as one line; anything else is a bug and keeps
its traceback. The subclasses are also `ValueError` / `KeyError`, as Python callers expect."""


class TermnormError(Exception):
    """A user's error, with a message that says what and where (file, line, key)."""


class InputError(TermnormError, ValueError):
    """Input, an option or a file that cannot be used as given."""


class NotFoundError(TermnormError, KeyError):
    """A concept, a field or an entry the user named is not there."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
