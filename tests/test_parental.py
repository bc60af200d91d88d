import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import stb.parental
from stb.parental import ParentalLock, PinResult, age_of, hash_pin, is_pin_hash, verify_pin
from stb.settings import ParentalSettings, Settings, SettingsStore

PIN = "4711"
PIN_HASH = hash_pin(PIN)  # hashed once: scrypt is slow on purpose
T = 1_700_000_000.0  # a wall-clock "now"


def make_lock(**parental) -> ParentalLock:
    return ParentalLock(ParentalSettings(pin_hash=PIN_HASH, **parental))


def fail(lock: ParentalLock, times: int, now: float) -> PinResult:
    result = None
    for _ in range(times):
        result = lock.try_pin("0000", now)
    assert result is not None
    return result


# -- PIN format and hashing ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["", "123", "12345", "12a4", "١٢٣٤", " 1234", "1234\n", "+123", "12.3"])
def test_a_pin_is_exactly_four_ascii_digits(bad):
    lock = ParentalLock(ParentalSettings())
    with pytest.raises(ValueError, match="4 digits"):
        lock.set_pin(bad)
    assert not lock.enabled and lock.settings.pin_hash is None and not lock.dirty


def test_the_hash_is_salted_scrypt_and_verifies_only_the_right_pin():
    first, second = hash_pin("0000"), hash_pin("0000")
    assert first.startswith("scrypt$") and is_pin_hash(first)
    assert first != second  # salted
    assert verify_pin("0000", first) and verify_pin("0000", second)
    assert not verify_pin("0001", first)
    assert not verify_pin("0000", "scrypt$00$00")  # malformed hash: no match, no exception
    assert not verify_pin("00000", first)


def test_set_pin_turns_the_lock_on_and_will_not_replace_a_pin():
    lock = ParentalLock(ParentalSettings())
    assert not lock.enabled
    lock.set_pin("1234")
    assert lock.enabled and lock.dirty and verify_pin("1234", lock.settings.pin_hash)
    with pytest.raises(ValueError, match="already set"):
        lock.set_pin("5678")
    assert verify_pin("1234", lock.settings.pin_hash)


# -- what needs the PIN --------------------------------------------------------------------------------
def test_without_a_pin_nothing_is_locked():
    lock = ParentalLock(ParentalSettings(age_limit=12, locked_channels=["cinema-one"]))
    assert not lock.enabled
    assert not lock.needs_pin("cinema-one", "18", "FSK", T, channel_locked=True, channel_age=18)
    assert lock.try_pin("0000", T).ok


def test_locked_channels_and_ratings_at_or_above_the_limit_need_the_pin():
    lock = make_lock(age_limit=16, locked_channels=["cinema-one"])
    assert lock.needs_pin("cinema-one", None, None, T)  # locked channel, whatever is on
    assert lock.needs_pin("news", "16", "FSK", T)  # at the limit
    assert lock.needs_pin("news", "TV-MA", "VCHIP", T)  # 17
    assert not lock.needs_pin("news", "12", "FSK", T)
    assert not lock.needs_pin("news", None, None, T)
    assert not lock.needs_pin("news", "unrated nonsense", None, T)  # unreadable never locks
    assert lock.needs_pin("news", None, None, T, channel_locked=True)  # line-up's own `locked`
    assert lock.needs_pin("news", None, None, T, channel_age=16)  # line-up's own `age_rating`
    assert not lock.needs_pin("news", None, None, T, channel_age=12)
    assert not lock.dirty  # asking changes nothing worth saving


def test_without_an_age_limit_ratings_are_ignored():
    lock = make_lock(locked_channels=["cinema-one"])
    assert not lock.needs_pin("news", "18", "FSK", T)
    assert lock.needs_pin("cinema-one", "0", "FSK", T)


def test_a_right_pin_unlocks_everything_for_unlock_minutes_and_lock_ends_it_early():
    lock = make_lock(age_limit=12, locked_channels=["cinema-one"], unlock_minutes=20)
    result = lock.try_pin(PIN, T)
    assert result == PinResult(True, 3, 0.0, "PIN accepted")
    assert lock.unlocked_until == T + 20 * 60
    assert not lock.needs_pin("cinema-one", "18", None, T + 20 * 60 - 1)
    assert lock.needs_pin("cinema-one", "18", None, T + 20 * 60)  # unlock is over
    lock.try_pin(PIN, T + 2000)
    assert not lock.needs_pin("cinema-one", None, None, T + 2001)
    lock.lock(T + 2001)
    assert lock.unlocked_until == 0.0
    assert lock.needs_pin("cinema-one", None, None, T + 2001)


# -- wrong PINs and back-off ---------------------------------------------------------------------------
def test_three_wrong_pins_lock_out_for_30_s():
    lock = make_lock()
    assert lock.try_pin("0000", T) == PinResult(False, 2, 0.0, "Wrong PIN, 2 tries left")
    assert lock.try_pin("1111", T + 1) == PinResult(False, 1, 0.0, "Wrong PIN, 1 try left")
    assert lock.tries_left(T + 2) == 1
    assert lock.try_pin("2222", T + 2) == PinResult(False, 0, 30.0, "Too many wrong PINs: try again in 30 s")
    assert lock.dirty
    assert lock.settings.failed_tries == 3 and lock.settings.locked_out_until == T + 32
    assert lock.tries_left(T + 10) == 0 and lock.wait_s(T + 10) == 22


def test_tries_during_a_lock_out_are_refused_unchecked_and_do_not_extend_it(monkeypatch):
    lock = make_lock()
    fail(lock, 3, T)

    def must_not_run(pin, encoded):
        raise AssertionError("the PIN was checked during a lock-out")

    monkeypatch.setattr(stb.parental, "verify_pin", must_not_run)
    for pin in ("0000", PIN):
        result = lock.try_pin(pin, T + 20)
        assert result == PinResult(False, 0, 10.0, "Too many wrong PINs: try again in 10 s")
    assert lock.settings.failed_tries == 3 and lock.settings.locked_out_until == T + 30
    assert lock.try_pin(PIN, T + 29.5).message == "Too many wrong PINs: try again in 1 s"  # rounded up
    monkeypatch.undo()
    assert lock.try_pin(PIN, T + 30).ok  # the lock-out ran out on time


def test_each_further_wrong_pin_doubles_the_lock_out_up_to_15_minutes():
    lock = make_lock()
    now = T
    fail(lock, 3, now)
    waits = []
    for _ in range(7):
        now += lock.wait_s(now)
        assert lock.tries_left(now) == 1  # after a lock-out, one try at a time
        result = lock.try_pin("0000", now)
        assert not result.ok and result.tries_left == 0
        waits.append((result.wait_s, result.message))
    assert waits == [
        (60.0, "Too many wrong PINs: try again in 60 s"),
        (120.0, "Too many wrong PINs: try again in 2 min"),
        (240.0, "Too many wrong PINs: try again in 4 min"),
        (480.0, "Too many wrong PINs: try again in 8 min"),
        (900.0, "Too many wrong PINs: try again in 15 min"),
        (900.0, "Too many wrong PINs: try again in 15 min"),
        (900.0, "Too many wrong PINs: try again in 15 min"),
    ]


def test_the_back_off_stays_capped_after_a_very_long_run_of_wrong_pins():
    lock = make_lock(failed_tries=10_000)
    assert lock.try_pin("0000", T).wait_s == 900.0


def test_a_right_pin_resets_the_failures():
    lock = make_lock()
    fail(lock, 2, T)
    assert lock.try_pin(PIN, T + 1).ok
    assert lock.settings.failed_tries == 0
    assert lock.try_pin("0000", T + 2).message == "Wrong PIN, 2 tries left"
    fail(lock, 2, T + 3)  # locked out again, after three in a row
    assert lock.try_pin(PIN, T + 33).ok
    assert lock.settings.failed_tries == 0 and lock.settings.locked_out_until == 0.0
    assert lock.tries_left(T + 34) == 3


def test_a_wall_clock_set_back_does_not_lock_out_for_days():
    lock = make_lock()
    fail(lock, 4, T)  # third at T (30 s) ... fourth refused during the lock-out
    fail(lock, 1, T + 30)  # fourth wrong PIN: 60 s
    back = T - 3 * 86400  # the clock is set back three days
    assert lock.wait_s(back) == 60.0  # the current back-off, restarted now, not three days
    assert lock.dirty
    assert lock.try_pin(PIN, back + 59).wait_s == 1.0
    assert lock.try_pin(PIN, back + 60).ok


def test_a_wall_clock_set_back_does_not_stretch_an_unlock():
    lock = make_lock(locked_channels=["cinema-one"], unlock_minutes=10)
    lock.try_pin(PIN, T)
    back = T - 86400
    assert not lock.needs_pin("cinema-one", None, None, back)
    assert lock.unlocked_until == back + 600
    assert lock.needs_pin("cinema-one", None, None, back + 600)


# -- changing and clearing the PIN -----------------------------------------------------------------------
def test_change_pin_needs_the_old_pin_and_counts_as_a_try():
    lock = make_lock(locked_channels=["cinema-one"])
    with pytest.raises(ValueError, match="4 digits"):
        lock.change_pin(PIN, "12", T)
    assert lock.settings.failed_tries == 0  # a malformed new PIN costs no try
    result = lock.change_pin("0000", "1234", T)
    assert result == PinResult(False, 2, 0.0, "Wrong PIN, 2 tries left")
    assert lock.settings.pin_hash == PIN_HASH
    assert lock.change_pin(PIN, "1234", T + 1) == PinResult(True, 3, 0.0, "PIN changed")
    assert lock.settings.failed_tries == 0 and lock.dirty
    assert lock.needs_pin("cinema-one", None, None, T + 2)  # changing the PIN does not unlock
    assert not lock.try_pin(PIN, T + 2).ok
    assert lock.try_pin("1234", T + 3).ok


def test_change_pin_is_refused_during_a_lock_out():
    lock = make_lock()
    fail(lock, 3, T)
    assert lock.change_pin(PIN, "1234", T + 1).wait_s == 29.0
    assert lock.settings.pin_hash == PIN_HASH


def test_change_pin_without_a_pin_sets_one():
    lock = ParentalLock(ParentalSettings())
    assert lock.change_pin("", "2468", T).ok
    assert lock.enabled and verify_pin("2468", lock.settings.pin_hash)


def test_clear_pin_needs_the_pin_and_keeps_the_choices_for_next_time():
    lock = make_lock(age_limit=12, locked_channels=["cinema-one"])
    assert lock.clear_pin("0000", T).message == "Wrong PIN, 2 tries left"
    assert lock.enabled
    assert lock.clear_pin(PIN, T + 1).ok
    assert not lock.enabled and lock.settings.pin_hash is None and lock.settings.failed_tries == 0
    assert not lock.needs_pin("cinema-one", "18", None, T + 1)
    assert lock.settings.age_limit == 12 and lock.settings.locked_channels == ["cinema-one"]
    assert lock.clear_pin("0000", T + 2).ok  # nothing left to clear


def test_toggle_channel_lock():
    lock = make_lock()
    assert lock.toggle_channel_lock("cinema-one") is True
    assert lock.dirty and lock.settings.locked_channels == ["cinema-one"]
    assert lock.needs_pin("cinema-one", None, None, T)
    assert lock.toggle_channel_lock("cinema-one") is False
    assert lock.settings.locked_channels == []
    assert not lock.needs_pin("cinema-one", None, None, T)


# -- persistence ---------------------------------------------------------------------------------------
def test_a_lock_out_survives_a_restart_and_the_file_never_holds_the_pin():
    store = SettingsStore()
    settings = store.load()
    lock = ParentalLock(settings.parental)
    lock.set_pin(PIN)
    fail(lock, 3, T)
    assert lock.dirty
    store.save(settings)
    lock.dirty = False

    text = store.path.read_text()
    pin_hash = json.loads(text)["parental"]["pin_hash"]
    assert is_pin_hash(pin_hash)
    assert PIN not in text.replace(pin_hash, "")  # the hash's own hex digits aside, no PIN anywhere

    reloaded = ParentalLock(SettingsStore().load().parental)  # the box restarted at T + 10
    assert reloaded.try_pin(PIN, T + 10) == PinResult(False, 0, 20.0, "Too many wrong PINs: try again in 20 s")
    assert reloaded.try_pin("0000", T + 30).wait_s == 60.0  # the back-off carries on, no fresh tries
    assert reloaded.try_pin(PIN, T + 90).ok
    assert not reloaded.needs_pin("x", "18", None, T + 91)


def test_an_unlock_does_not_survive_a_restart():
    store = SettingsStore()
    settings = Settings(parental=ParentalSettings(pin_hash=PIN_HASH, locked_channels=["cinema-one"]))
    lock = ParentalLock(settings.parental)
    assert lock.try_pin(PIN, T).ok
    assert not lock.dirty  # nothing to save: the unlock is kept in memory only
    store.save(settings)
    assert ParentalLock(store.load().parental).needs_pin("cinema-one", None, None, T + 1)


# -- ratings -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rating", "system", "age"),
    [
        ("12", None, 12),
        ("16+", None, 16),
        ("FSK 16", None, 16),
        ("FSK16", "FSK", 16),
        ("fsk ab 12", None, 12),
        ("ab 12", None, 12),
        ("-18", "CSA", 18),
        ("18 ans", None, 18),
        ("0", "FSK", 0),
        ("  16 ", None, 16),
        ("TV-Y", "VCHIP", 0),
        ("TV-Y7", "VCHIP", 7),
        ("TV-G", None, 0),
        ("TV-PG", None, 10),
        ("tv-14", None, 14),
        ("TV 14", None, 14),
        ("TV-MA", None, 17),
        ("G", "MPAA", 0),
        ("PG", "MPAA", 10),
        ("PG", None, 10),
        ("PG-13", "MPAA", 13),
        ("pg13", None, 13),
        ("R", "MPAA", 17),
        ("NC-17", None, 18),
        ("U", "BBFC", 0),
        ("PG", "BBFC", 8),
        ("pg", " bbfc ", 8),
        ("12", "BBFC", 12),
        ("12A", "BBFC", 12),
        ("15", "BBFC", 15),
        ("18", "BBFC", 18),
        ("R18", "BBFC", 18),
        ("R18", None, 18),
        ("21", None, 21),
    ],
)
def test_age_of_known_ratings(rating, system, age):
    assert age_of(rating, system) == age


@pytest.mark.parametrize(
    "rating", [None, "", "   ", "unrated", "X", "22", "99", "-", "12-16", "1 2", "١٢", "FSK", "TV-", "PG-12A"]
)
def test_age_of_unknown_ratings_is_none(rating):
    assert age_of(rating) is None


@given(st.text(), st.one_of(st.none(), st.text()))
def test_age_of_never_raises_and_stays_in_range(rating, system):
    age = age_of(rating, system)
    assert age is None or (type(age) is int and 0 <= age <= 21)


@given(st.integers(min_value=0, max_value=21), st.sampled_from(["{}", "{}+", "FSK {}", "ab {}", "-{}", "{} ans"]))
def test_age_of_reads_every_age_in_the_common_forms(age, form):
    assert age_of(form.format(age)) == age
