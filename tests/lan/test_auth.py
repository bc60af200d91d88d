"""Pairing and tokens: codes, expiry, brute force, revocation, and nothing secret on disk."""

from __future__ import annotations

import pytest

from stb.lan.auth import CODE_TTL_S, MAX_CODE_TRIES, Auth, AuthError, PairedStore

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


def test_codes_expire_and_one_pairing_at_a_time(tmp_path):
    auth = Auth(directory=tmp_path)
    pending = auth.begin("a", now=T0)
    with pytest.raises(AuthError, match="another device is pairing"):
        auth.begin("b", now=T0 + 1)
    with pytest.raises(AuthError, match="expired"):
        auth.complete(pending.id, pending.code, now=T0 + CODE_TTL_S + 1)
    assert auth.code_to_show(now=T0 + CODE_TTL_S + 2) is None
    auth.begin("b", now=T0 + CODE_TTL_S + 3)


def test_revoked_tokens_are_refused_and_the_tv_can_refuse_a_pairing(tmp_path):
    auth = Auth(directory=tmp_path)
    device, token = pair(auth)
    assert auth.revoke(device.id) and auth.check(token) is None and not auth.revoke(device.id)
    pending = auth.begin("stranger", now=T0 + 10)
    auth.cancel()
    with pytest.raises(AuthError, match="this pairing is over"):
        auth.complete(pending.id, pending.code, now=T0 + 11)


def test_a_corrupt_paired_file_is_kept_aside_and_nobody_is_paired(tmp_path):
    (tmp_path / "paired.json").write_text("{broken")
    store = PairedStore(tmp_path)
    auth = Auth(store)
    assert auth.devices() == [] and "corrupt" in store.notice
    assert list(tmp_path.glob("paired.json.corrupt-*"))
