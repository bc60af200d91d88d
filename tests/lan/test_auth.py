"""Pairing and tokens: codes, expiry, brute force, revocation, and nothing secret on disk."""

from __future__ import annotations

import pytest

from stb.lan.auth import CODE_TTL_S, MAX_CODE_TRIES, MAX_WAITING, UNNAMED, Auth, AuthError, PairedStore

T0 = 1_800_000_000.0


def pair(auth: Auth, name: str = "Anna's phone", now: float = T0):
    pending = auth.begin(name, now=now)
    return auth.complete(pending.id, pending.code, now=now + 1)


def test_the_right_code_gives_a_token_that_checks_and_only_its_hash_is_stored(tmp_path):
    auth = Auth(directory=tmp_path)
    device, token = pair(auth)
    wrong = ("y" if token[0] == "x" else "x") + token[1:]  # one character off (never the token itself)
    assert auth.check(token) == device and auth.check(wrong) is None and auth.check(None) is None
    stored = (tmp_path / "paired.json").read_text()
    assert token not in stored and device.token_sha256 in stored
    assert Auth(directory=tmp_path).check(token).name == "Anna's phone"  # survives a restart


def test_wrong_codes_count_down_then_lock_pairing_out(tmp_path):
    auth = Auth(directory=tmp_path)
    pending = auth.begin("guest", now=T0)
    wrong = "000000" if pending.code != "000000" else "111111"
    for left in range(MAX_CODE_TRIES - 1, 0, -1):
        with pytest.raises(AuthError, match=f"{left} tries left"):
            auth.complete(pending.id, wrong, now=T0 + 1)
    with pytest.raises(AuthError) as locked:
        auth.complete(pending.id, wrong, now=T0 + 1)
    assert locked.value.status == 429 and locked.value.retry_after == pytest.approx(60)
    with pytest.raises(AuthError, match="this pairing is over"):
        auth.complete(pending.id, pending.code, now=T0 + 2)  # the right code is no use now
    with pytest.raises(AuthError, match="too many wrong codes"):
        auth.begin("guest", now=T0 + 30)
    auth.begin("guest", now=T0 + 62)  # after the minute: allowed again


def test_codes_expire_and_other_addresses_wait_their_turn_instead_of_a_409(tmp_path):
    auth = Auth(directory=tmp_path)
    pending = auth.begin("a", "10.0.0.66", now=T0)
    queued = auth.begin("b", "10.0.0.7", now=T0 + 1)  # not refused because another device is pairing
    assert auth.code_to_show(now=T0 + 1) is pending and not queued.shown
    assert auth.expires_in(queued, now=T0 + 1) == pytest.approx(2 * CODE_TTL_S - 1)
    with pytest.raises(AuthError, match="another device's code first") as early:
        auth.complete(queued.id, queued.code, "10.0.0.7", now=T0 + 2)  # its code is not valid before it shows
    assert early.value.status == 409
    with pytest.raises(AuthError, match="expired"):
        auth.complete(pending.id, pending.code, now=T0 + CODE_TTL_S + 1)
    assert auth.code_to_show(now=T0 + CODE_TTL_S + 2) is queued  # its own two minutes start now
    device, _ = auth.complete(queued.id, queued.code, "10.0.0.7", now=T0 + 2 * CODE_TTL_S)
    assert device.name == "b" and auth.code_to_show(now=T0 + 2 * CODE_TTL_S) is None


def test_one_request_per_address_so_asking_again_goes_to_the_back(tmp_path):
    auth = Auth(directory=tmp_path)
    first = auth.begin("attacker", "10.0.0.66", now=T0)
    household = auth.begin("Anna's phone", "10.0.0.7", now=T0 + 1)
    again = auth.begin("attacker", "10.0.0.66", now=T0 + 2)  # replaces its first request, behind Anna's
    assert [p.id for p, _ in auth.requests(now=T0 + 2)] == [household.id, again.id]
    assert household.shown and not again.shown
    with pytest.raises(AuthError, match="over or never started"):
        auth.complete(first.id, first.code, "10.0.0.66", now=T0 + 3)
    for n in range(MAX_WAITING - 2):
        auth.begin(f"d{n}", f"10.0.1.{n}", now=T0 + 4)
    with pytest.raises(AuthError, match="devices are waiting") as full:
        auth.begin("one too many", "10.0.2.1", now=T0 + 5)
    assert full.value.status == 503


def test_wrong_codes_count_per_address_across_expired_codes_and_a_restart(tmp_path):
    """The issue's attack: four wrong codes, let the code expire, repeat. The fifth locks that address only."""
    auth = Auth(directory=tmp_path)
    pending = auth.begin("guesser", "10.0.0.66", now=T0)
    for left in range(MAX_CODE_TRIES - 1, 0, -1):
        with pytest.raises(AuthError, match=f"{left} tries left"):
            auth.complete(pending.id, "999999" if pending.code != "999999" else "000000", "10.0.0.66", now=T0 + 1)
    now = T0 + CODE_TTL_S + 1  # let the code expire: the four wrong codes still count
    pending = auth.begin("guesser", "10.0.0.66", now=now)
    with pytest.raises(AuthError) as locked:
        auth.complete(pending.id, "999999" if pending.code != "999999" else "000000", "10.0.0.66", now=now + 1)
    assert locked.value.status == 429 and locked.value.retry_after == pytest.approx(60)
    household = auth.begin("Anna's phone", "10.0.0.7", now=now + 2)  # the household is not locked out
    assert auth.complete(household.id, household.code, "10.0.0.7", now=now + 3)[0].name == "Anna's phone"
    restarted = Auth(directory=tmp_path)  # a restart keeps the lock-out ...
    with pytest.raises(AuthError, match="too many wrong codes") as still:
        restarted.begin("guesser", "10.0.0.66", now=now + 30)
    assert still.value.status == 429
    assert oct((tmp_path / "pairing-lockouts.json").stat().st_mode & 0o777) == "0o600"
    again = restarted.begin("guesser", "10.0.0.66", now=now + 62)
    for _ in range(MAX_CODE_TRIES - 1):
        with pytest.raises(AuthError):
            restarted.complete(again.id, "999999" if again.code != "999999" else "000000", "10.0.0.66", now=now + 63)
    with pytest.raises(AuthError) as doubled:  # ... and its doubling
        restarted.complete(again.id, "999999" if again.code != "999999" else "000000", "10.0.0.66", now=now + 63)
    assert doubled.value.status == 429 and doubled.value.retry_after == pytest.approx(120)


def test_approve_pairs_without_the_code_deny_refuses_and_names_are_quoted_claims(tmp_path):
    auth = Auth(directory=tmp_path)
    named = auth.begin("Web page says: “call 555-0100”\x1b[2J\u202e", "10.0.0.66", now=T0)
    assert named.client_name == 'Web page says: "call 555-0100"\\x1b[2J\\u202e'
    with pytest.raises(AuthError, match="stb pairing approve"):
        auth.complete(named.id, "", "10.0.0.66", now=T0 + 1)  # no code and not approved: no pairing (no guess)
    auth.deny(named.id)
    with pytest.raises(AuthError, match="owner refused") as refused:
        auth.complete(named.id, named.code, "10.0.0.66", now=T0 + 2)
    assert refused.value.status == 403
    phone = auth.begin("Anna's phone", "10.0.0.7", now=T0 + 3)
    auth.approve(phone.id)
    assert auth.complete(phone.id, "", "10.0.0.7", now=T0 + 4)[0].name == "Anna's phone"
    with pytest.raises(KeyError):
        auth.approve("no-such-id")


def test_a_name_of_nothing_printable_is_called_unnamed_and_ids_never_read_as_options(tmp_path):
    """The API's schema lets U+001E through (not a space to JSON Schema, a space to Python): the request is
    taken, not refused as a bad name; and `stb pairing approve ID` must never see an ID that starts with "-"."""
    auth = Auth(directory=tmp_path)
    assert auth.begin("\x1e", "10.0.0.8", now=T0).client_name == UNNAMED
    ids = {auth.begin("phone", f"10.0.1.{n}", now=T0).id for n in range(MAX_WAITING - 1)}
    assert all(i[0] != "-" and int(i, 16) >= 0 for i in ids)


def test_revoked_tokens_are_refused_and_the_tv_can_refuse_a_pairing(tmp_path):
    auth = Auth(directory=tmp_path)
    device, token = pair(auth)
    assert auth.revoke(device.id) and auth.check(token) is None and not auth.revoke(device.id)
    pending = auth.begin("stranger", now=T0 + 10)
    auth.cancel()
    with pytest.raises(AuthError, match="the TV refused this pairing"):
        auth.complete(pending.id, pending.code, now=T0 + 11)


def test_a_corrupt_paired_file_is_kept_aside_and_nobody_is_paired(tmp_path):
    (tmp_path / "paired.json").write_text("{broken")
    store = PairedStore(tmp_path)
    auth = Auth(store)
    assert auth.devices() == [] and "corrupt" in store.notice
    assert list(tmp_path.glob("paired.json.corrupt-*"))
