"""The model's seeding gives numpy's generators word for word, with the constant part of each key mixed once."""

from __future__ import annotations

import random

import numpy as np
import pytest

from sim.model.random_streams import CAPS, PURPOSE, PURPOSES, RandomStreams, stream_key
from sim.model.seeding import Seeder, words_of


def numpy_state(entropy: int, spawn_key: tuple[int, ...]) -> np.ndarray:
    return np.random.SeedSequence(entropy, spawn_key=spawn_key).generate_state(4, np.uint64)


def random_keys(count: int) -> list[tuple[int, tuple[int, ...], int]]:
    """Seeds and keys of every shape numpy treats differently: 0, one word, several words, a long run entropy."""
    rnd = random.Random(20240101)
    seeds = [0, 1, 20240101, 2**32 - 1, 2**32, 2**40 + 5, 2**130 + 7]
    words = [0, 1, 7, 2**32 - 1, 2**32]
    keys = []
    for _ in range(count):
        entropy = rnd.choice([*seeds, rnd.getrandbits(64)])
        key = tuple(rnd.choice([*words, rnd.getrandbits(32), rnd.getrandbits(70)]) for _ in range(rnd.randint(0, 8)))
        keys.append((entropy, key, rnd.randint(0, len(key))))
    return keys


def test_every_key_gives_numpys_state_however_it_is_split() -> None:
    seeder = Seeder()
    for entropy, key, varying in random_keys(3000):
        split = len(key) - varying
        assert (seeder.state(entropy, key[:split], key[split:]) == numpy_state(entropy, key)).all(), (entropy, key)


def test_a_kept_pool_gives_the_same_state_as_a_fresh_one() -> None:
    seeder = Seeder()
    first = seeder.state(20240101, (0, 123), (5, 6))
    again = seeder.state(20240101, (0, 123), (5, 6))  # from the kept pool
    assert (first == again).all()
    assert (Seeder().state(20240101, (0, 123, 5), (6,)) == first).all()


def test_the_generator_draws_what_numpys_draws() -> None:
    key = (3, 2_000_000_000, 1, 2, 70_000)
    ours = Seeder().generator(20240101, key[:2], key[2:]).random(1000)
    theirs = np.random.Generator(np.random.PCG64(np.random.SeedSequence(20240101, spawn_key=key))).random(1000)
    assert (ours == theirs).all()


def test_a_case_beyond_its_tape_and_a_return_to_court_draw_numpys_numbers() -> None:
    """The two places the model seeds a generator per case, against numpy's own seeding of the same keys."""
    draws = RandomStreams(20240101, 2).draws(0, 1, 300)
    root_seed, replication, origin, case_type, serial, returns = draws.key

    def numpy_rng(kind: int, *key: int) -> np.random.Generator:
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(replication, kind, *key)))
        )

    beyond = numpy_rng(7, origin, case_type, serial, returns, 11).random(20)
    assert (draws._generator(7, 11).random(20) == beyond).all()
    returned = draws.returned()
    tape = numpy_rng(stream_key("tape:return"), origin, case_type, serial, returns + 1).random(len(returned.tape))
    assert (np.array(returned.tape) == tape).all()


def test_draws_past_a_purposes_places_are_numpys_numbers_in_order() -> None:
    """Past its places, a purpose continues on the case's own generator, and listings three draws at a time, each
    the number numpy's generator of the same key gives at that place."""
    draws = RandomStreams(20240101, 0).draws(0, 1, 17)
    purpose = PURPOSE["public_law.further_case_management.count_shares"]
    past = [draws.uniform(purpose) for _ in range(CAPS[purpose] + 5)][CAPS[purpose] :]
    expected = draws._generator(stream_key("tape:overflow"), stream_key(PURPOSES[purpose])).random(5)
    assert past == expected.tolist()
    listings = [draws.listing() for _ in range(CAPS[PURPOSE["listing.vacate"]] + 20)][-20:]
    expected = draws._generator(stream_key("tape:overflow"), stream_key("listing")).random(60)
    assert [u for listing in listings for u in listing] == expected.tolist()


def test_numpy_integers_in_a_key_give_the_same_state_as_python_integers() -> None:
    """A numpy integer would wrap in the hash's 64-bit products: it is read as a Python integer."""
    key = (np.int64(3), np.uint32(4_000_000_000), np.int64(70_000))
    expected = numpy_state(20240101, tuple(int(k) for k in key))
    assert (Seeder().state(np.int64(20240101), key[:1], key[1:]) == expected).all()


def test_negative_words_are_refused_as_numpy_refuses_them() -> None:
    with pytest.raises(ValueError):
        words_of(-1)
    with pytest.raises(ValueError):
        Seeder().state(1, (), (-3,))
