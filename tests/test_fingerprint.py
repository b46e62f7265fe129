"""Fingerprints decide what a rebuild may skip: equal values hash alike, different values never do."""

from __future__ import annotations

from storyforge.incremental.fingerprint import fingerprint


def test_lists_made_one_after_another_are_told_apart_with_a_shared_memo():
    # a build hashes slices of its lists (a feed's newest items); each slice is a new, short-lived
    # list, and a later one may be given the freed address in memory of an earlier one
    memo: dict = {}
    numbers = list(range(1000))
    keys = [fingerprint(["feed", numbers[start:start + 20]], memo) for start in range(200)]
    assert len(set(keys)) == 200
    assert fingerprint(["feed", numbers[5:25]], memo) == keys[5]


def test_strings_cannot_run_into_each_other():
    assert fingerprint(["a\0sb"]) != fingerprint(["a", "b"])
    assert fingerprint(["ab", "c"]) != fingerprint(["a", "bc"])
