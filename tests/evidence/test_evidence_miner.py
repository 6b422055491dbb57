"""IndexedDrain: drain3's templates, found by a token index instead of a scan of the leaf."""

from __future__ import annotations

import random
import string

import pytest
from drain3.drain import Drain

from job.evidence.miner import IndexedDrain

SETTINGS = {"depth": 4, "sim_th": 0.5, "max_children": 100, "parametrize_numeric_tokens": True}


def _leaves(node, out: list[list[int]]) -> list[list[int]]:  # type: ignore[no-untyped-def]
    out.append(list(node.cluster_ids))
    for key in sorted(node.key_to_child_node):
        _leaves(node.key_to_child_node[key], out)
    return out


def _messages(seed: int) -> list[str]:
    """Few words from a tiny vocabulary (many near-matches and ties), log-like lines, numbers."""
    rng = random.Random(seed)
    vocabulary = ["ab", "cd", "ef", "g", "h"]
    small = [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 7))) for _ in range(3000)]
    logs = [
        rng.choice(("GET", "POST", "user", "job")) + f" {rng.choice(('alice', 'bob', 'carol'))} "
        + rng.choice(("logged in", "failed to pay", "retried <NUM> times", "is <*> now"))
        for _ in range(2000)
    ]  # fmt: skip
    numbers = [
        f"worker {rng.randrange(5)}{rng.choice('xy')} took {rng.randrange(100)} ms" for _ in range(500)
    ]
    messages = small + logs + numbers + ["", "   "]
    rng.shuffle(messages)
    return messages


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_same_clusters_templates_and_tree_as_drain3(seed: int) -> None:
    reference, indexed = Drain(**SETTINGS), IndexedDrain(max_candidates=10**9, **SETTINGS)
    for message in _messages(seed):
        expected, _ = reference.add_log_message(message)
        got = indexed.add(message)
        assert (got.cluster_id, got.log_template_tokens) == (
            expected.cluster_id,
            expected.log_template_tokens,
        )
    assert _leaves(indexed.root_node, []) == _leaves(reference.root_node, [])
    assert len(indexed.id_to_cluster) > 100  # the sample really makes many clusters


def test_scores_a_bounded_number_of_clusters_per_message() -> None:
    """Random words are each a new cluster of one leaf: drain3 scores every cluster of the leaf for
    every message (quadratic); the index scores none of the unrelated ones."""
    rng = random.Random(1)
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))  # noqa: E731
    indexed = IndexedDrain(**SETTINGS)
    scored = 0
    original = indexed.get_seq_distance

    def counting(seq1, seq2, include_params):  # type: ignore[no-untyped-def]
        nonlocal scored
        scored += 1
        return original(seq1, seq2, include_params)

    indexed.get_seq_distance = counting  # type: ignore[method-assign]
    for _ in range(3000):
        indexed.add(f"{word()} {word()} {word()} {word()}")
    assert len(indexed.id_to_cluster) > 2900
    assert scored < 3000  # drain3's scan: about 3000 * 3000 / 2


def _scored_for_last(indexed: IndexedDrain, messages: list[str]) -> int:
    for message in messages[:-1]:
        indexed.add(message)
    scored = []
    original = indexed.get_seq_distance
    indexed.get_seq_distance = lambda *args: scored.append(1) or original(*args)  # type: ignore[method-assign]
    indexed.add(messages[-1])
    return len(scored)


def test_candidates_are_capped_even_when_every_token_is_common() -> None:
    """Words from a 3-letter alphabet at 7 positions: many distinct clusters share most of a new
    message's (position, word) pairs. At most max_candidates are scored for it all the same."""
    rng = random.Random(4)
    messages = ["x " + " ".join(rng.choice("abc") for _ in range(7)) for _ in range(400)]
    assert _scored_for_last(IndexedDrain(max_candidates=10**9, **SETTINGS), messages) > 5
    assert 0 < _scored_for_last(IndexedDrain(max_candidates=5, **SETTINGS), messages) <= 5


def test_an_lru_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="no LRU"):
        IndexedDrain(max_clusters=10, **SETTINGS)


def test_similarity_is_drain3s() -> None:
    """The similarity compared in C gives drain3's loop's score and wildcard count, "<*>" on either
    side included (a message's own "<*>" token never counts as equal)."""
    rng = random.Random(4)
    reference, indexed = Drain(**SETTINGS), IndexedDrain(**SETTINGS)
    tokens = ["a", "b", "<*>", "c"]
    for _ in range(3000):
        n = rng.randint(0, 6)
        template = tuple(rng.choice(tokens) for _ in range(n))
        message = [rng.choice(tokens) for _ in range(n)]
        for params in (False, True):
            assert indexed.get_seq_distance(template, message, params) == reference.get_seq_distance(
                template, message, params
            )
