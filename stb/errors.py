"""The one exception type users see: its message is printed as a single line by the CLI."""


class StbError(Exception):
    """A problem the user can act on (bad file, unreachable stream, missing package).

    The CLI prints ``stb: <message>`` on stderr and exits non-zero, never a traceback.
    """

    exit_code = 1
