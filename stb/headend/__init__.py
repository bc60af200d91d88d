"""The demo head-end: generated live channels, a guide and a playlist, all on this machine."""
