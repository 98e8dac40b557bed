"""The Python API of neuron search: the queries/*.cypher files behind typed methods.

    with Database.connect(config) as db:
        search = NeuronSearch(db)
        search.token_search(token=" everyone", context=" except", model="solu-6l-pile")
        search.like("solu-6l-pile/1/2000")

Every user value travels as a query parameter; bad input raises N2GError (one line).
This module validates and orchestrates; every database call is in n2g.search.store.
"""

from __future__ import annotations

from collections.abc import Sequence

from n2g.db.connection import Database
from n2g.errors import N2GError
from n2g.graph.key import parse_neuron_key
from n2g.graph.levels import FIRING_LEVEL, check_level
from n2g.graph.model import NeuronGraph
from n2g.search import store
from n2g.search.bounds import check_count, check_layer, check_limit
from n2g.search.communities import CommunityConfig
from n2g.search.grouping import (
    MAX_LISTED_MEMBERS,
    GroupHit,
    SimilarityReport,
    compute_similarity,
    list_groups,
)
from n2g.search.groups import COMPONENTS_LEVEL
from n2g.search.hits import LabelHit, LikeHit, PairHit, RepeatedTokenHit, TokenHit
from n2g.search.output_tokens import OutputHit, output_token_units
from n2g.search.ranking import RankedUnit, check_score, top_units
from n2g.search.similarity import (
    NeuronTokenSets,
    Relation,
    SimilarityConfig,
)
from n2g.search.splits import MIN_INSIDE, SplitResult, unit_splits
from n2g.search.text_match import TextMatch, TokenizerLike, fires_on_text

DEFAULT_COMMUNITIES = CommunityConfig()


def _explain_empty_token(token: str | None, context: str | None) -> None:
    """No hit for an empty token: say so, as it is most likely a slip, not a question.

    The empty token is searchable (a tokenizer may turn a token into "" on its own, e.g.
    SentencePiece's lone '▁'), but where no neuron has it an empty result would hide the
    mistake of passing "" for a token.
    """
    for name, value in (("activating", token), ("context", context)):
        if value == "":
            raise N2GError(
                f"the {name} token is empty and no neuron matching the search has the empty "
                "token: give the exact token text, e.g. ' the'"
            )


class NeuronSearch:
    """Search the neuron graphs stored in a database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- validation ---------------------------------------------------------------------

    def token_sets(
        self, models: Sequence[str], level: float = FIRING_LEVEL
    ) -> list[NeuronTokenSets]:
        """Every neuron of `models` with the token sets the similarity join compares: the
        tokens whose paths predict at least `level`."""
        return store.read_token_sets(self.db, models, check_level(level))

    def models(self) -> dict[str, int]:
        """Model name → number of neuron graphs stored."""
        return store.model_counts(self.db)

    def require_model(self, model: str | None) -> None:
        """N2GError when `model` is given but has no graphs in the database."""
        if model is None:
            return
        if store.model_has_neurons(self.db, model):
            return  # the common case: one indexed lookup, no counting
        counts = self.models()
        if not counts.get(model):
            known = ", ".join(sorted(counts)) or "none yet; load some with n2g-ingest"
            raise N2GError(
                f"no neuron graphs for model {model!r} in the database (models: {known})"
            )

    def _require_stored_layer(self, layer: int | None, model: str | None) -> None:
        """N2GError when `layer` is given but holds no graph of `model` (None: of any model).

        Asked only when a layer-filtered search found nothing: "no match" is an answer, a
        layer out of range is a mistake to point out.
        """
        if layer is None:
            return
        layers = store.model_layers(self.db, model)
        if layer not in layers:
            where = f"model {model!r}" if model is not None else "the database"
            stored = ", ".join(str(n) for n in layers) or "none"
            raise N2GError(f"layer {layer} is out of range: {where} has graphs in layers {stored}")

    def require_neuron(self, key: str) -> None:
        """N2GError unless a neuron with this key (`model/layer/index`) is stored."""
        parse_neuron_key(key)
        if not store.neuron_exists(self.db, key):
            raise N2GError(f"no neuron {key!r} in the database (check the model, layer and index)")

    # -- queries --------------------------------------------------------------------------
    def token_search(
        self,
        token: str | None = None,
        context: str | None = None,
        *,
        model: str | None = None,
        layer: int | None = None,
        limit: int = 25,
        level: float = FIRING_LEVEL,
        skip: int = 0,
    ) -> list[TokenHit]:
        """Neurons that activate on `token`, have `context`, or both (same trie path), where
        the token's paths predict at least `level` (n2g.graph.levels); `limit` of them after
        the first `skip` (a page).

        Tokens are matched exactly; the empty token too, but no hit for it is an N2GError.
        """
        if token is None and context is None:
            raise N2GError("give an activating token, a context token, or both")
        check_limit(limit)
        check_count("skip", skip, 0)
        check_level(level)
        check_layer(layer)
        self.require_model(model)
        rows = store.token_hits(
            self.db, token, context, model=model, layer=layer, limit=limit, level=level, skip=skip
        )
        if not rows and skip == 0:
            _explain_empty_token(token, context)
            self._require_stored_layer(layer, model)
        return [TokenHit.model_validate(row) for row in rows]

    def label_search(
        self, text: str, *, model: str | None = None, layer: int | None = None, limit: int = 25
    ) -> list[LabelHit]:
        """Units whose one-line label holds `text` (any case), best F1 first."""
        if not text.strip():
            raise N2GError("the label text is empty: give a word or token to look for")
        self.require_model(model)
        check_layer(layer)
        check_limit(limit)
        params = {"text": text, "model": model, "layer": layer, "limit": limit}
        hits = [
            LabelHit.model_validate(r) for r in self.db.read(store.query("label_search"), params)
        ]
        if not hits:
            self._require_stored_layer(layer, model)
        return hits

    def output_search(
        self,
        token: str,
        *,
        suppressed: bool = False,
        model: str | None = None,
        layer: int | None = None,
        limit: int = 25,
    ) -> list[OutputHit]:
        """Units whose write direction promotes `token` most (suppresses it, with
        `suppressed`): n2g.search.output_tokens."""
        self.require_model(model)
        hits = output_token_units(
            self.db, token, suppressed=suppressed, model=model, layer=layer, limit=limit
        )
        if not hits:
            self._require_stored_layer(layer, model)
        return hits

    def repeated_tokens(
        self,
        *,
        model: str | None = None,
        layer: int | None = None,
        limit: int = 25,
        level: float = FIRING_LEVEL,
        skip: int = 0,
    ) -> list[RepeatedTokenHit]:
        """Neurons with a token both activating and in context (in-context-learning style),
        each at `level` or above; `limit` of them after the first `skip`."""
        check_limit(limit)
        check_count("skip", skip, 0)
        check_level(level)
        check_layer(layer)
        self.require_model(model)
        rows = store.repeated_token_hits(
            self.db, model=model, layer=layer, limit=limit, level=level, skip=skip
        )
        if not rows:
            self._require_stored_layer(layer, model)
        return [RepeatedTokenHit.model_validate(row) for row in rows]

    def like(
        self,
        key: str,
        *,
        model: str | None = None,
        min_score: float = 0.5,
        limit: int = 10,
        level: float = FIRING_LEVEL,
    ) -> list[LikeHit]:
        """The neurons most like `key` (score ≥ min_score), ranked, with the shared tokens.

        Score = min(activating overlap, context overlap) of the token sets at `level`; a
        higher `min_score` is faster (only `key`'s rarest tokens are probed); 0 scores every
        neuron sharing a token.
        """
        check_limit(limit)
        if not 0.0 <= min_score <= 1.0:
            raise N2GError(f"min score must be between 0 and 1, got {min_score}")
        check_level(level)
        self.require_neuron(key)
        self.require_model(model)
        rows = store.like_hits(
            self.db, key, model=model, min_score=min_score, limit=limit, level=level
        )
        return [LikeHit.model_validate(row) for row in rows]

    def splits(
        self,
        key: str,
        *,
        unit_set: str | None = None,
        min_inside: float = MIN_INSIDE,
        limit: int = 25,
        level: float = FIRING_LEVEL,
    ) -> SplitResult:
        """Unit `key` against the other unit sets of its layer: for a neuron, the latents it
        splits into (n2g.search.splits) and those it overlaps most; for a latent, the
        neurons it lies inside."""
        self.require_neuron(key)
        return unit_splits(
            self.db, key, unit_set=unit_set, min_inside=min_inside, limit=limit, level=level
        )

    def top(
        self,
        score: str = "f1",
        *,
        model: str | None = None,
        layer: int | None = None,
        worst: bool = False,
        limit: int = 25,
    ) -> list[RankedUnit]:
        """The best (or `worst`) units by a stored score, of `model` and `layer` if given."""
        check_score(score)
        self.require_model(model)
        check_layer(layer)
        check_limit(limit)
        units = top_units(self.db, score, model=model, layer=layer, worst=worst, limit=limit)
        if not units:
            self._require_stored_layer(layer, model)
        return units

    def neuron_graph(self, key: str) -> NeuronGraph:
        """One neuron's whole graph, rebuilt from the database."""
        self.require_neuron(key)
        return store.read_graphs(self.db, [key])[key]

    def fires_on_text(
        self,
        model: str,
        text: str,
        tokenizer: TokenizerLike,
        *,
        threshold: float = 0.5,
        limit: int | None = 25,
    ) -> TextMatch:
        """Neurons whose graphs predict ≥ threshold on some token of `text`."""
        self.require_model(model)
        if not 0.0 <= threshold <= 1.0:  # NaN too
            raise N2GError(f"threshold must be between 0 and 1, got {threshold}")
        if limit is not None:
            check_limit(limit)
        return fires_on_text(self.db, model, text, tokenizer, threshold=threshold, limit=limit)

    def similar_pairs(
        self, model: str, *, relation: Relation = Relation.SIMILAR_TO, limit: int = 25
    ) -> list[PairHit]:
        """Materialised SIMILAR_TO or SUBSET_OF pairs of a model, most similar first."""
        check_limit(limit)
        self.require_model(model)
        rows = store.similar_pair_rows(self.db, model, relation, limit)
        return [PairHit.model_validate(row) for row in rows]

    def groups(
        self,
        *,
        model: str | None = None,
        level: int = COMPONENTS_LEVEL,
        parent: str | None = None,
        min_size: int = 2,
        limit: int = 25,
        token_level: float = FIRING_LEVEL,
        max_members: int = MAX_LISTED_MEMBERS,
    ) -> list[GroupHit]:
        """Groups of one `level` (0: the paper's components; 1..: communities, finest
        first; those inside group `parent` if given), largest first, then widest layer
        spread, with the tokens all their members share at `token_level` or above."""
        if model is not None and "+" not in model:
            self.require_model(model)
        return list_groups(
            self.db,
            model=model,
            level=level,
            parent=parent,
            min_size=min_size,
            limit=limit,
            token_level=token_level,
            max_members=max_members,
        )

    # -- computation ----------------------------------------------------------------------
    def compute_similarity(
        self,
        models: Sequence[str],
        config: SimilarityConfig | None = None,
        *,
        communities: CommunityConfig | None = DEFAULT_COMMUNITIES,
        show_progress: bool = False,
    ) -> SimilarityReport:
        """All-pairs similarity, the paper's groups and (unless `communities` is None) the
        nested communities over `models`, replacing their old ones (atomic)."""
        if not models:
            raise N2GError("name at least one model to compare neurons in")
        for model in models:
            self.require_model(model)
        return compute_similarity(
            self.db,
            models,
            config or SimilarityConfig(),
            communities,
            show_progress=show_progress,
        )
