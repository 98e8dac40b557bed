"""`TopK.absorb` and `Windows.absorb`: states over shares of one stream fold into the state
of the whole stream, whatever the shares (what the Ray recorder relies on), histogram included."""

from __future__ import annotations

import torch

from n2g.record.topk import TopK, Windows


def _fold(batches, d: int, k: int, width: int) -> tuple[TopK, Windows]:
    state = TopK.empty(d, k, width, torch.float32)
    windows = Windows.empty(width)
    for first, acts, tokens in batches:
        state.count(acts)
        state.merge(acts, torch.arange(first, first + len(acts)), first)
        windows.add(first, tokens, [state.seq])
    return state, windows


def _ranked(state: TopK) -> tuple[torch.Tensor, ...]:
    order = state.ranked()
    return (
        state.scores.gather(1, order),
        state.seq.gather(1, order),
        state.doc_ids.gather(1, order),
        state.acts.gather(1, order[:, :, None].expand(-1, -1, state.acts.shape[2])),
        state.a_max,
        state.hist,
    )


def test_shares_absorbed_in_any_split_equal_the_whole_stream() -> None:
    generator = torch.Generator().manual_seed(0)
    d, k, width, size = 6, 4, 5, 3
    batches = []
    for number in range(12):
        acts = torch.randint(-1, 4, (size, width, d), generator=generator).float()  # many ties
        tokens = torch.randint(0, 50, (size, width), generator=generator, dtype=torch.int32)
        batches.append((number * size, acts, tokens))
    whole, whole_windows = _fold(batches, d, k, width)
    for cuts in ([4, 8], [1, 2, 11], [6]):
        parts = [batches[a:b] for a, b in zip([0, *cuts], [*cuts, len(batches)], strict=True)]
        merged, merged_windows = _fold(parts[0], d, k, width)
        for part in parts[1:]:
            state, windows = _fold(part, d, k, width)
            merged.absorb(state)
            merged_windows.absorb(windows, [merged.seq])
        for mine, theirs in zip(_ranked(merged), _ranked(whole), strict=True):
            assert torch.equal(mine, theirs)
        assert torch.equal(merged_windows.seq, whole_windows.seq)
        assert torch.equal(merged_windows.tokens, whole_windows.tokens)
        assert (merged.hist.sum(dim=1) == len(batches) * size * width).all()


def test_a_share_without_a_histogram_leaves_none() -> None:
    """A share that counted nothing (resumed from a checkpoint of n2g before the
    histogram) makes the sum unknown: no histogram, never a count of part of the stream."""
    counted = TopK.empty(3, 2, 4, torch.float32)
    counted.count(torch.ones(2, 4, 3))
    blind = TopK.empty(3, 2, 4, torch.float32, histogram=False)
    blind.absorb(counted)
    counted.absorb(TopK.empty(3, 2, 4, torch.float32, histogram=False))
    assert blind.hist.shape == counted.hist.shape == (3, 0)
