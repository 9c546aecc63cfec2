"""Build a tiny, randomly initialised Detoxify checkpoint for offline tests.

The files follow Detoxify 0.5.4's own format (``detoxify.detoxify.load_checkpoint``):
a ``.ckpt`` torch file ``{"config": {"arch": {"args": {...}}, "dataset": {"args":
{"classes": [...]}}}, "state_dict": ...}`` plus a folder with ``config.json`` and the
tokenizer files. ``arch.args.model_type`` is that folder's absolute path, so Detoxify's
``config_class.from_pretrained(model_type)`` never reaches the network.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import BertConfig, BertForSequenceClassification

#: The 'original' model's class names as stored in its checkpoint (Jigsaw column names);
#: Detoxify renames toxic/severe_toxic/identity_hate when it loads them.
ORIGINAL_RAW_CLASSES = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
#: What Detoxify returns for those classes.
ORIGINAL_CLASSES = (
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
)

_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_WORDS_TEXT = """
i you he she we they it me my your a an the and or but to of in on at for with is are was
be have do not no yes hi hello how what when where why who send money now please love meet
kill hurt hate stupid idiot secret tell anyone phone number address bank gift card today
tomorrow come over here there good bad nice very
"""
_WORDS = _WORDS_TEXT.split()


@dataclass(frozen=True)
class TinyDetoxify:
    """Paths of a tiny checkpoint and its Hugging Face config/tokenizer folder."""

    checkpoint: Path
    config_dir: Path
    classes: tuple[str, ...]
    max_position_embeddings: int


def _vocab() -> list[str]:
    # Single letters, digits and punctuation plus their ``##`` continuations let WordPiece
    # spell any ASCII word, so long texts really are long in tokens.
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    return _SPECIAL + _WORDS + chars + ["##" + c for c in string.ascii_lowercase + string.digits]


def build_tiny_detoxify(
    dest: Path,
    *,
    seed: int = 0,
    max_position_embeddings: int = 512,
    name: str = "tiny-detoxify",
) -> TinyDetoxify:
    """Write ``<dest>/<name>.ckpt`` and ``<dest>/<name>-hf/`` and return their paths."""
    dest = Path(dest).resolve()
    config_dir = dest / f"{name}-hf"
    config_dir.mkdir(parents=True, exist_ok=True)
    vocab = _vocab()
    (config_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    (config_dir / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "BertTokenizer",
                "do_lower_case": True,
                "model_max_length": max_position_embeddings,
            }
        ),
        encoding="utf-8",
    )
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=max_position_embeddings,
        num_labels=len(ORIGINAL_RAW_CLASSES),
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        # The default init (std 0.02) leaves every text scoring within ~1e-3 of the others;
        # a wider init spreads the scores so that mixed-up results are caught by the tests.
        initializer_range=0.3,
    )
    config.save_pretrained(config_dir)

    torch.manual_seed(seed)
    model = BertForSequenceClassification(config).eval()
    checkpoint = dest / f"{name}.ckpt"
    torch.save(
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": str(config_dir),
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": len(ORIGINAL_RAW_CLASSES),
                    }
                },
                "dataset": {"args": {"classes": list(ORIGINAL_RAW_CLASSES)}},
            },
            "state_dict": model.state_dict(),
        },
        checkpoint,
    )
    return TinyDetoxify(checkpoint, config_dir, ORIGINAL_CLASSES, max_position_embeddings)
