"""Hostile inputs and faults the box must survive, as cases that both the tests and `stb bench reliability` run.

Each area module (``lineup``, ``guide``, ``skins``, ``api``, ``mdns``, ``streams``, ``faults``) exposes
``CASES``: a list of :class:`stb.reliability.harness.Case`. A case builds its hostile input, feeds it to
the real component (the CLI in a child process, the box's HTTP API, libVLC, zeroconf in namespaces)
and returns an :class:`~stb.reliability.harness.Outcome`: did the user get the clear answer expected,
and was anything lost. Nothing here runs at import.
"""
