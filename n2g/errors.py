"""User-facing errors: one clear line, printed by the CLI without a traceback."""


class N2GError(Exception):
    """An error the user can act on; its message is a single line saying what to do."""

    exit_code = 2
