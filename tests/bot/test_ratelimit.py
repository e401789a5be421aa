"""One process's budgets: moving windows in memory (Redis's are in tests/scaleout)."""

from __future__ import annotations

from bot.ratelimit import Budget, MemoryWindows

BUDGET = Budget("messages", 3, 60)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_its_amount_then_one_more_as_each_hit_leaves_it() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    spent = []
    for at in (0, 10, 20, 30):
        clock.now = 1000 + at
        spent.append(windows.hit(BUDGET, ("session-a",)))
    assert spent == [True, True, True, False]
    assert not windows.allows(BUDGET, ("session-a",))
    assert windows.retry_after(BUDGET, ("session-a",)) == 30  # the first hit leaves at 60
    assert windows.hit(BUDGET, ("session-b",))  # another key has a budget of its own
    clock.now = 1060
    assert windows.hit(BUDGET, ("session-a",))  # the hit at 0 left the window
    assert not windows.hit(BUDGET, ("session-a",))  # those at 10, 20 and 60 are still in it


def test_budgets_with_the_same_key_count_apart_and_clear_alone() -> None:
    windows = MemoryWindows(Clock())
    login = Budget("login", 1, 60)
    assert windows.hit(login, ("1.2.3.4",))
    assert windows.hit(BUDGET, ("1.2.3.4",))
    assert not windows.hit(login, ("1.2.3.4",))
    windows.clear(login, ("1.2.3.4",))
    assert windows.hit(login, ("1.2.3.4",))
    assert windows.hit(BUDGET, ("1.2.3.4",)) and windows.hit(BUDGET, ("1.2.3.4",))
    assert not windows.hit(BUDGET, ("1.2.3.4",))  # clearing one left the other spent


def test_visitors_who_went_quiet_are_forgotten() -> None:
    clock = Clock()
    windows = MemoryWindows(clock)
    hour = Budget("sms-codes", 5, 3600)
    for n in range(1000):
        windows.hit(BUDGET, (f"visitor-{n}",))
    windows.hit(hour, ("+48600100200",))
    assert len(windows) == 1001
    clock.now += 120  # past the minute's window and the next sweep
    assert windows.hit(BUDGET, ("visitor-new",))
    assert len(windows) == 2  # the new visitor, and the hour's budget still counting
    assert windows.hit(hour, ("+48600100200",))
    clock.now += 3600
    windows.hit(BUDGET, ("visitor-new",))
    assert len(windows) == 1
