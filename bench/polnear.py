"""Our labels of the PolNeAR articles against PolNeAR's hand-annotated attributions (source, cue, content).

PolNeAR (../shared/corpus/polnear) marks every attribution in its US political news; it does not say whether the
source is an official. So the check is one-sided: nearly every sentence we call an official statement should lie
inside an attribution, and skips should not. Prints one markdown table.

    .venv/bin/python bench/polnear.py
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLNEAR = REPO.parent / "shared" / "corpus" / "polnear"
LABELS = REPO / "labels" / "real.jsonl"


def attribution_spans() -> dict[str, list[tuple[str, int, int]]]:
    """Per article id (as in our labels), the (kind, start, end) of every Cue, Content and Source span, all annotators."""
    spans: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for path in POLNEAR.glob("*/attributions/*.ann"):
        article = "polnear-" + path.stem.rsplit("_", 1)[0]
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("T") or line.count("\t") < 2:
                continue
            kind, places = line.split("\t")[1].split(" ", 1)
            if kind in ("Cue", "Content", "Source"):
                spans[article] += [(kind, int(a), int(b)) for a, b in (piece.split() for piece in places.split(";"))]
    return spans


def main() -> None:
    if not POLNEAR.is_dir():
        print(f"{POLNEAR} is not there")
        return
    spans = attribution_spans()
    rows = [record for line in LABELS.read_text(encoding="utf-8").splitlines()
            if (record := json.loads(line))["article_id"] in spans]
    table: Counter = Counter()
    for record in rows:
        found = {kind for kind, a, b in spans[record["article_id"]] if a < record["end"] and b > record["start"]}
        table[record["label"], "cue" if "Cue" in found else "content" if "Content" in found else "none"] += 1
    print(f"{len(rows)} labelled sentences of {len({r['article_id'] for r in rows})} PolNeAR articles\n")
    print("| our label | sentences | holds a PolNeAR cue | inside PolNeAR content only | in no attribution |\n|---|---|---|---|---|")
    for label in sorted({label for label, _ in table}):
        n = sum(v for (key, _), v in table.items() if key == label)
        print(f"| {label} | {n} | " + " | ".join(f"{table[label, where] / n:.0%}" for where in ("cue", "content", "none")) + " |")


if __name__ == "__main__":
    main()
