"""The one exception type users see: its message is printed as a single line by the CLI."""


class StbError(Exception):
    """A problem the user can act on (bad file, unreachable stream, missing package).

    The CLI prints ``stb: <message>`` on stderr and exits non-zero, never a traceback.
    """

    exit_code = 1


class NotFound(LookupError):
    """No such channel, key, device…: a 404 with a sentence from the API. Only this, not any LookupError:
    a KeyError from a bug must show as the 500 it is, not pass for a client's mistake. Raised by the TV
    core's commands as well as by the API itself, so it lives below both."""
