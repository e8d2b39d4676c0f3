"""Train the digit classifier: `python -m eval.train_classifier --data_dir data/digits --out eval/digits.keras`.

`--data_dir` holds train/ and valid/ folders of labelled WAVs (`<Label>_*.wav` or one folder per label),
like SC09 or the corpus data/make_digits.py builds.
"""

import argparse
import os
import sys

from wavegan.errors import UserError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data_dir", required=True)
    parser.add_argument("--out", required=True, help="where to keep the best model (.keras)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--filters", type=int, default=128, help="conv filters (the paper's classifier: 128)")
    parser.add_argument("--learning_rate", type=float, default=1e-3)
    args = parser.parse_args()
    from wavegan.evaluation.classifier import train_classifier

    try:
        train_classifier(os.path.join(args.data_dir, "train"), os.path.join(args.data_dir, "valid"), args.out,
                         args.epochs, args.batch_size, args.filters, args.learning_rate)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
