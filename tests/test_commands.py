"""The command queue: network-thread calls run on the UI thread, results and errors come back."""

from __future__ import annotations

import asyncio
import threading

import pytest

from stb.commands import CommandQueue


def test_calls_run_on_the_thread_that_drains_and_results_come_back():
    commands = CommandQueue()
    ran_on: list[str] = []

    def work(x: int) -> int:
        ran_on.append(threading.current_thread().name)
        return x * 2

    async def network_side() -> list:
        results = [await commands.call(work, 21)]
        with pytest.raises(ZeroDivisionError):
            await commands.call(lambda: 1 / 0)
        return results

    outcome: list = []
    thread = threading.Thread(target=lambda: outcome.append(asyncio.run(network_side())), name="net")
    thread.start()
    while thread.is_alive():
        commands.run_pending()  # the "UI thread" (this one) serves the calls
        thread.join(0.01)
    assert outcome == [[42]] and ran_on == [threading.current_thread().name]


def test_a_call_nobody_serves_times_out_and_is_then_skipped():
    commands = CommandQueue()
    calls: list[int] = []

    async def impatient() -> None:
        with pytest.raises(TimeoutError):
            await commands.call(calls.append, 1, timeout=0.05)

    asyncio.run(impatient())
    assert commands.run_pending() == 1 and calls == []  # cancelled: not run after its caller gave up
