"""drain3's Drain with a token index in each prefix-tree leaf: the same templates in linear time.

drain3 compares a new message with every cluster in its leaf (`Drain.fast_match`). When messages
do not repeat (free text, payloads, random bytes) every message becomes a cluster of that leaf and
each new one is compared with all the others: time grows with the square of the shapes (20k lines
of four random words took 41 s, 99% of it in `get_seq_distance`).

A cluster is chosen only if at least k = ceil(sim_th * n) of the message's n tokens equal its
template's non-wildcard tokens position by position. Such a cluster shares a (position, token)
with the message in at least one of ANY n - k + 1 positions (pigeonhole), so it suffices to read
the posting lists of the n - k + 1 positions whose lists are shortest. The candidates are then
scored with drain3's own `get_seq_distance` in leaf order: the best match is the one drain3's
scan would pick (same similarity, same tie-breaks). Templates only ever turn tokens into
wildcards, so a posting list may hold stale entries (rescored, never wrong) but never misses one.

A leaf of at most SCANNED_LEAF clusters is scanned as drain3 scans it (cheaper than the lists).

At most `max_candidates` clusters are scored per message, so the cost per message is bounded
whatever the input (the bound is only reached by adversarial inputs where over half the tokens of
each message are common in its leaf yet nothing matches; then the best of those is taken).
The number of clusters is bounded by the caller (templates.py caps what reaches the miner).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

from drain3.drain import Drain, LogCluster, Node

MAX_CANDIDATES = 200
# A leaf of this many clusters or fewer is scanned as drain3 scans it: scoring each of them costs
# less than reading the posting lists (a stream of one shape's variants, such as an exception logged
# with a different object each time, keeps all of them in one cluster)
SCANNED_LEAF = 4

_Postings = dict[tuple[int, str], list[int]]


class IndexedDrain(Drain):
    """`Drain` (drain3) whose leaf search reads a token index instead of every cluster."""

    def __init__(self, max_candidates: int = MAX_CANDIDATES, **drain_args: object) -> None:
        if drain_args.get("max_clusters") is not None:
            raise ValueError("IndexedDrain keeps every cluster (no LRU): bound what reaches it instead")
        super().__init__(**drain_args)  # type: ignore[arg-type]
        self.max_candidates = max_candidates
        self._postings: dict[Node, _Postings] = {}

    def add(self, content: str) -> LogCluster:
        """The cluster of `content` (its template merged as drain3 does), a new one if none matches:
        drain3's `add_log_message` without its profiler and change reports."""
        tokens = self.get_content_as_tokens(content)
        cluster = self.tree_search(self.root_node, tokens, self.sim_th, False)
        if cluster is None:
            self.clusters_counter += 1
            cluster = LogCluster(tokens, self.clusters_counter)
            self.id_to_cluster[cluster.cluster_id] = cluster
            self.add_seq_to_prefix_tree(self.root_node, cluster)
            return cluster
        template = tuple(self.create_template(tokens, cluster.log_template_tokens))
        if template != cluster.log_template_tokens:
            cluster.log_template_tokens = template
        cluster.size += 1
        return cluster

    def tree_search(
        self, root_node: Node, tokens: list, sim_th: float, include_params: bool
    ) -> LogCluster | None:
        if include_params or not tokens or root_node is not self.root_node:
            return super().tree_search(root_node, tokens, sim_th, include_params)  # drain3's exact scan
        leaf = self._leaf(tokens)
        if leaf is not None and len(leaf.cluster_ids) <= SCANNED_LEAF:
            return self.fast_match(leaf.cluster_ids, tokens, sim_th, include_params)  # drain3's own scan
        postings = self._postings.get(leaf) if leaf is not None else None
        if not postings:
            return None
        n = len(tokens)
        need = _tokens_needed(sim_th, n)
        if need > n:
            return None
        if need == 0:
            return self.fast_match(leaf.cluster_ids, tokens, sim_th, include_params)  # type: ignore[union-attr]
        lists = [postings.get((i, token), ()) for i, token in enumerate(tokens)]
        reads = n - need + 1
        if lists.count(()) >= reads:  # the shortest lists are empty: no cluster shares enough tokens
            return None
        lists.sort(key=len)
        candidates: set[int] = set()
        for ids in lists[:reads]:
            candidates.update(ids)
            if len(candidates) >= self.max_candidates:
                break
        best, best_sim, best_params = None, -1.0, -1
        clusters = self.id_to_cluster
        for cluster_id in sorted(candidates)[: self.max_candidates]:  # leaf order: ids grow
            cluster = clusters[cluster_id]
            sim, params = self.get_seq_distance(cluster.log_template_tokens, tokens, False)
            if sim > best_sim or (sim == best_sim and params > best_params):
                best, best_sim, best_params = cluster, sim, params
        return best if best_sim >= sim_th else None

    def get_seq_distance(
        self, seq1: Sequence[str], seq2: Sequence[str], include_params: bool
    ) -> tuple[float, int]:
        """drain3's similarity of template `seq1` and message `seq2`, the tokens compared in C: the
        share of the template's non-wildcard tokens equal to the message's, and its wildcards."""
        wildcard = self.param_str
        n = len(seq1)
        if n == 0 or n != len(seq2) or wildcard in seq2:  # a message token "<*>" never counts: drain3's loop
            return super().get_seq_distance(seq1, seq2, include_params)  # type: ignore[no-any-return]
        params = seq1.count(wildcard)
        same = sum(map(operator.eq, seq1, seq2))  # a template wildcard equals no message token here
        return float(same + params if include_params else same) / n, params

    def add_seq_to_prefix_tree(self, root_node: Node, cluster: LogCluster) -> None:
        tokens = cluster.log_template_tokens
        # drain3 rebuilds the leaf's id list on every insert, dropping clusters its LRU evicted: a
        # scan of the whole leaf. Nothing is evicted here (no max_clusters), so hand it an empty
        # list and put the ids back (the cluster may land in this leaf or in a new, deeper one).
        current = self._leaf(tokens)
        kept = current.cluster_ids if current is not None else []
        if kept:
            current.cluster_ids = []  # type: ignore[union-attr]
        super().add_seq_to_prefix_tree(root_node, cluster)
        if kept:
            kept.extend(current.cluster_ids)  # type: ignore[union-attr]
            current.cluster_ids = kept  # type: ignore[union-attr]
        leaf = self._leaf(tokens)
        if leaf is None or not tokens:  # the empty message has one cluster and no tokens to index
            return
        postings = self._postings.setdefault(leaf, {})
        wildcard = self.param_str
        for position, token in enumerate(tokens):
            if token != wildcard:
                postings.setdefault((position, token), []).append(cluster.cluster_id)

    def _leaf(self, tokens: list | tuple) -> Node | None:
        """The leaf drain3's `tree_search` walks to: token count, then the first tokens (or `<*>`)."""
        count = len(tokens)
        node = self.root_node.key_to_child_node.get(str(count))
        depth = 1
        for token in tokens:
            if node is None or depth >= self.max_node_depth or depth == count:
                break
            children = node.key_to_child_node
            child = children.get(token)
            node = child if child is not None else children.get(self.param_str)
            depth += 1
        return node


def _tokens_needed(sim_th: float, n: int) -> int:
    """The least k with k / n >= sim_th, computed as drain3 compares (float division)."""
    k = max(0, math.ceil(sim_th * n))
    while k > 0 and (k - 1) / n >= sim_th:
        k -= 1
    while k <= n and k / n < sim_th:
        k += 1
    return k
