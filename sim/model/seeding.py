"""numpy's ``SeedSequence`` -> ``PCG64`` seeding, with the constant part of a key mixed once.

A national replication seeds about 200,000 generators (a block of tapes per region's part, a case's draws past its
tape's places, a return to court's tape), each from ``SeedSequence(root_seed, spawn_key=(replication, kind,
...))``. numpy hashes the whole key every time, 20-35 us a generator on this project's machine. The
key's first words (the root seed, the replication, the stream, the origin and case type) repeat, and
``SeedSequence`` folds the words after its pool's first four in one at a time, so the pool after a key's first
words can be kept and only the last words mixed (11-14 us a generator when first measured; compiled,
13-15 us on a slower day, the generator's state 9-10 us of it). This module does that in Python integers,
with numpy's constants and steps (``numpy/random/bit_generator.pyx``), and hands ``PCG64`` the four 64-bit words it
asks its seed sequence for. The generators are the same, word for word: ``tests/test_seeding.py`` checks them against
the installed numpy's own ``SeedSequence`` over 3,000 keys of every shape, so a numpy that changed its seeding would
fail there, not change results silently.
"""

from __future__ import annotations

import operator
from typing import Any, Final, SupportsIndex

import numpy as np
from numpy.random.bit_generator import ISeedSequence

# Final throughout: compiled, a Final constant is a C constant, where any other module global is looked up in the
# module's dictionary at every use (a dozen lookups a ``_fold``).
_MASK: Final = 0xFFFFFFFF
_HALF_BITS: Final = 16
_LOW_HALF: Final = (1 << _HALF_BITS) - 1
_INIT_A: Final = 0x43B0D7E5
_MULT_A: Final = 0x931E8875
_INIT_B: Final = 0x8B51F9DD
_MULT_B: Final = 0x58F38DED
_MIX_MULT_L: Final = 0xCA01F9DD
_MIX_MULT_R: Final = 0x4973F715
_XSHIFT: Final = 16
_POOL_WORDS: Final = 4
"""numpy's ``DEFAULT_POOL_SIZE``: the pool's 32-bit words."""
_STATE_WORDS: Final = 8
"""``PCG64`` asks for four 64-bit words: eight 32-bit words of ``generate_state``."""
_STATE_DTYPE: Final = np.dtype("<u4")
_PAIRED_DTYPE: Final = np.dtype("<u8")
"""The eight 32-bit words, and the four 64-bit words numpy pairs them into: little-endian, low word first."""
_PREFIXES_KEPT: Final = 4096
"""Pools kept after a key's constant words (the model uses a few dozen: streams by origin and case type); beyond
it they are dropped and mixed again, so memory stays bounded whatever the keys."""

Pool = tuple[int, int, int, int, int]
"""The pool's four words and the hash constant after them."""
Word = SupportsIndex
"""A seed or a key's part: a Python or numpy integer (read as a Python integer, so a numpy one cannot wrap); named
by the protocol both follow, not by numpy's type, so the build's type check needs no numpy."""


def words_of(value: Word) -> list[int]:
    """A non-negative integer as numpy's 32-bit words, least significant first (0 is one word)."""
    number = operator.index(value)  # a numpy integer would wrap in the hash's products
    if number < 0:
        raise ValueError(f"a seed or key must be non-negative, got {number}")
    if number == 0:
        return [0]
    words = []
    while number:
        words.append(number & _MASK)
        number >>= 32
    return words


def _first_pool(entropy: list[int]) -> Pool:
    """The pool from the run's entropy (padded to four words when a spawn key follows), mixed through itself."""
    hash_const = _INIT_A
    pool = []
    for i in range(_POOL_WORDS):
        value = entropy[i] if i < len(entropy) else 0
        value, hash_const = _hashmix(value, hash_const)
        pool.append(value)
    for i_src in range(_POOL_WORDS):
        for i_dst in range(_POOL_WORDS):
            if i_src != i_dst:
                hashed, hash_const = _hashmix(pool[i_src], hash_const)
                pool[i_dst] = _mix(pool[i_dst], hashed)
    return pool[0], pool[1], pool[2], pool[3], hash_const


def _mul32(a: int, b: int) -> int:
    """``(a * b) & _MASK`` for 32-bit words, from their 16-bit halves, so that every factor is under 2**16.

    Compiled by mypyc, a product whose factor reaches 2**30 leaves machine integers for Python's long multiply, which
    checks for Ctrl-C on its way; mypyc reads that failure as "out of memory" and aborts the process (seen as ``fatal:
    out of memory`` after Ctrl-C). Kept small, every product here is a machine integer, which is also faster."""
    a_high, a_low = a >> _HALF_BITS, a & _LOW_HALF
    b_high, b_low = b >> _HALF_BITS, b & _LOW_HALF
    return (a_low * b_low + (((a_high * b_low + a_low * b_high) & _LOW_HALF) << _HALF_BITS)) & _MASK


def _hashmix(value: int, hash_const: int) -> tuple[int, int]:
    value ^= hash_const
    hash_const = _mul32(hash_const, _MULT_A)
    value = _mul32(value, hash_const)
    return value ^ (value >> _XSHIFT), hash_const


def _mix(x: int, y: int) -> int:
    result = (_mul32(x, _MIX_MULT_L) - _mul32(y, _MIX_MULT_R)) & _MASK
    return result ^ (result >> _XSHIFT)


def _fold_into(pool: Pool, word: int) -> Pool:
    """:func:`_fold` of a pool: its words passed one by one, so that compiled code calls it directly (a call with
    ``*pool`` went through Python's generic call, with its words boxed)."""
    m0, m1, m2, m3, h = pool
    return _fold(m0, m1, m2, m3, h, word)


def _fold(m0: int, m1: int, m2: int, m3: int, h: int, word: int) -> Pool:
    """One more entropy word, mixed with each pool word in turn (``mix_entropy``'s last loop), written out: the
    hash constants it steps through depend only on ``h``."""
    h1, h2, h3, h4 = _steps_after(h)
    v = _mul32(word ^ h, h1)
    r = (_mul32(m0, _MIX_MULT_L) - _mul32(v ^ (v >> _XSHIFT), _MIX_MULT_R)) & _MASK
    m0 = r ^ (r >> _XSHIFT)
    v = _mul32(word ^ h1, h2)
    r = (_mul32(m1, _MIX_MULT_L) - _mul32(v ^ (v >> _XSHIFT), _MIX_MULT_R)) & _MASK
    m1 = r ^ (r >> _XSHIFT)
    v = _mul32(word ^ h2, h3)
    r = (_mul32(m2, _MIX_MULT_L) - _mul32(v ^ (v >> _XSHIFT), _MIX_MULT_R)) & _MASK
    m2 = r ^ (r >> _XSHIFT)
    v = _mul32(word ^ h3, h4)
    r = (_mul32(m3, _MIX_MULT_L) - _mul32(v ^ (v >> _XSHIFT), _MIX_MULT_R)) & _MASK
    return m0, m1, m2, r ^ (r >> _XSHIFT), h4


_STEPS: Final[dict[int, tuple[int, int, int, int]]] = {}


def _steps_after(h: int) -> tuple[int, int, int, int]:
    """The next four hash constants after ``h`` (each the one before times ``_MULT_A``)."""
    steps = _STEPS.get(h)
    if steps is None:
        h1 = _mul32(h, _MULT_A)
        h2 = _mul32(h1, _MULT_A)
        h3 = _mul32(h2, _MULT_A)
        steps = _STEPS[h] = (h1, h2, h3, _mul32(h3, _MULT_A))
    return steps


class _StateWords:
    """The four 64-bit words ``PCG64`` seeds itself from, as a seed sequence that returns them.

    A seed sequence to numpy by registration, not by inheritance: compiled, a class may not inherit from numpy's
    (the install compiles without numpy in sight, and a compiled subclass of a base it cannot see crashed)."""

    __slots__ = ("_words",)

    def __init__(self, words: np.ndarray) -> None:
        self._words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != _STATE_WORDS // 2 or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's four 64-bit words are kept")
        return self._words


ISeedSequence.register(_StateWords)


class Seeder:
    """Generators as numpy seeds them from ``SeedSequence(entropy, spawn_key=constant + varying)``: the pool after
    the entropy and the ``constant`` words is kept, and only the ``varying`` words are mixed for each generator."""

    def __init__(self) -> None:
        self._pools: dict[tuple[Word, ...], Pool] = {}

    def generator(self, entropy: Word, constant: tuple[Word, ...], varying: tuple[Word, ...]) -> np.random.Generator:
        """``np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=constant + varying)))``."""
        words = _StateWords(self.state(entropy, constant, varying))
        return np.random.Generator(np.random.PCG64(words))  # type: ignore[arg-type]  # numpy's stubs want a SeedSequence

    def state(self, entropy: Word, constant: tuple[Word, ...], varying: tuple[Word, ...]) -> np.ndarray:
        """``SeedSequence(entropy, spawn_key=constant + varying).generate_state(4, np.uint64)``."""
        pool = self._pools.get((entropy, *constant))
        if pool is None:
            pool = self._constant_pool(entropy, constant, has_spawn_key=bool(constant or varying))
        for part in varying:
            if type(part) is int and 0 < part <= _MASK:
                pool = _fold_into(pool, part)
            else:
                for word in words_of(part):
                    pool = _fold_into(pool, word)
        return _generate_state(pool)

    def _constant_pool(self, entropy: Word, constant: tuple[Word, ...], has_spawn_key: bool) -> Pool:
        run = words_of(entropy)
        if has_spawn_key and len(run) < _POOL_WORDS:  # numpy pads the run's entropy when a spawn key follows
            run += [0] * (_POOL_WORDS - len(run))
        pool = _first_pool(run)
        for word in run[_POOL_WORDS:] + [word for part in constant for word in words_of(part)]:
            pool = _fold_into(pool, word)
        if len(self._pools) >= _PREFIXES_KEPT:
            self._pools.clear()
        self._pools[(entropy, *constant)] = pool
        return pool


def _state_constants() -> tuple[tuple[int, int], ...]:
    """``generate_state``'s hash constant before and after each of its eight steps (they depend on nothing else)."""
    steps, hash_const = [], _INIT_B
    for _ in range(_STATE_WORDS):
        after = _mul32(hash_const, _MULT_B)
        steps.append((hash_const, after))
        hash_const = after
    return tuple(steps)


_STATE_STEPS: Final = _state_constants()


def _generate_state(pool: Pool) -> np.ndarray:
    """``generate_state(4, np.uint64)``: eight 32-bit words hashed from the pool in turn (each pool word twice),
    paired little-endian; written out, with the hash constants of each step precomputed."""
    words = []
    for i in range(_STATE_WORDS):
        xor, mult = _STATE_STEPS[i]
        value = _mul32(pool[i % _POOL_WORDS] ^ xor, mult)
        words.append(value ^ (value >> _XSHIFT))
    # Paired as 64-bit words by numpy itself (a view of the 32-bit words, low word first), where joining them in
    # Python made eight 64-bit integers, too large for a machine word in compiled code, for each generator.
    return np.array(words, dtype=_STATE_DTYPE).view(_PAIRED_DTYPE).astype(np.uint64, copy=False)
