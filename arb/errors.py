"""Errors the command line prints without a traceback."""


class UserError(Exception):
    """A problem the user can fix (bad config, missing file): printed as `error: ...`, exit code 2."""
