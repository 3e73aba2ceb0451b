"""Batch scoring throughput and memory on the real corpus: sentences per second and peak memory of the process tree.

Run: `.venv/bin/python bench/throughput.py [--model models/model.skops] [--scale-articles 600] [--no-dask] [--repeat 3]`.
Reads ptc/*/article*.txt, polnear/*/text/*.txt, press_releases/*.jsonl and news_web_2026/*.jsonl from `../shared`
(exits when missing). Without --model it trains a model from the shipped label files (seed and real labels) first.
Each run is a fresh `python -c` subprocess calling `score_paths`; its peak memory is the PSS summed over the process
tree (workers included), polled with psutil. Prints a markdown table: scoring at jobs 1, jobs 2 and dask local (each
the median of --repeat runs, with the range: this machine's speed drifts by 10-20% from minute to minute); reading
and splitting alone (the floor); peak memory with the input repeated 1x, 4x, 16x; and where the time goes at jobs 1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PSS_EVERY = 1.0
PATTERNS = ("ptc/*/article*.txt", "polnear/*/text/*.txt", "press_releases/*.jsonl", "news_web_2026/*.jsonl")

SCORE = """
import json, sys
from annotator.score import score_paths
paths, repeat, model, out, jobs, dask, cues = json.load(open(sys.argv[1])), int(sys.argv[2]), *sys.argv[3:8]
result = score_paths(paths * repeat, model, out, jobs=int(jobs), dask=dask or None, cues=cues == "cues", progress=False)
print(json.dumps({"articles": result.articles, "sentences": result.sentences, "failures": result.failures,
                  "seconds": result.seconds}))
"""

SPLIT = """
import json, sys, time
from annotator import read, segment
from annotator.records import Article
started = time.perf_counter()
articles = sentences = 0
for item in read.iter_articles(json.load(open(sys.argv[1])) * int(sys.argv[2])):
    if isinstance(item, Article):
        articles += 1
        sentences += len(segment.split_article(item))
print(json.dumps({"articles": articles, "sentences": sentences, "failures": 0,
                  "seconds": time.perf_counter() - started}))
"""


def corpus_paths() -> list[str]:
    return [str(path) for pattern in PATTERNS for path in sorted(CORPUS.glob(pattern))]


def train_default_model(folder: Path) -> Path:
    """A model trained on the shipped label files (the seed and the real labels), saved in `folder`."""
    from annotator import features, model, training

    files = training.shipped_label_files()
    frame = features.context_frame(training.training_frame(label_files=files))
    path = folder / "model.skops"
    model.save(model.train(frame), path, card={"training_data": {"files": [f.name for f in files], "sentences": len(frame)}})
    print(f"trained a model on {len(frame)} labelled sentences from {', '.join(f.name for f in files)}", file=sys.stderr)
    return path


def run_measured(code: str, *args: str) -> dict:
    """Run `python -c code args` and return its JSON line plus wall seconds and the tree's peak memory in MB.

    Memory is the proportional set size (PSS) summed over the process and its workers: forked workers share
    their parent's pages, which a sum of RSS would count once per process. Reading a process's PSS costs the
    kernel ~10 ms, so it is sampled every PSS_EVERY seconds, lest the measuring slow down what it measures.
    """
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, cwd=REPO)
    parent = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(_pss(p) for p in tree))
        except psutil.NoSuchProcess:
            pass
        time.sleep(PSS_EVERY)
    stdout = process.stdout.read().decode()
    if process.returncode:
        raise SystemExit(f"benchmark run failed ({process.returncode}): {' '.join(args)}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(wall=time.perf_counter() - started, peak_mb=peak / 2**20)
    return result


def _pss(process: psutil.Process) -> int:
    try:
        return process.memory_full_info().pss
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


def stage_times(paths: list[str], model_path: Path, folder: Path) -> dict[str, float]:
    """Seconds spent in each stage of scoring at jobs 1, measured in this process, stage by stage."""
    import pandas as pd

    from annotator import boilerplate, features, model, read, score, segment, writers
    from annotator.records import Article

    pipeline = model.load(model_path)
    times: dict[str, float] = {}

    def timed(name, fn):
        started = time.perf_counter()
        value = fn()
        times[name] = time.perf_counter() - started
        return value

    articles = timed("read", lambda: [a for a in read.iter_articles(paths) if isinstance(a, Article)])
    split = timed("split", lambda: [segment.split_article(a) for a in articles])
    inputs = timed("model input frame", lambda: features.articles_frame(zip(articles, split)))
    slices = [inputs.iloc[i:i + score.PREDICT_ROWS] for i in range(0, len(inputs), score.PREDICT_ROWS)]
    predicted = timed("featurise + predict", lambda: pd.concat([model.predict(pipeline, s) for s in slices], ignore_index=True))
    timed("explain (cues)", lambda: [model.predict_explain(pipeline, s, top=score.CUES) for s in slices])
    times["explain (cues)"] -= times["featurise + predict"]  # predict_explain predicts too: count what explaining adds
    predicted["skip_reason"] = timed("boilerplate", lambda: boilerplate.reasons(inputs["text"].to_numpy(dtype=object)))
    schema = score.record_schema()
    records = pd.concat([inputs[[c for c in schema if c in inputs]], predicted], axis=1)
    with writers.open_writer(folder / "stages.jsonl", schema) as writer:
        timed("write JSONL", lambda: writer.write(records))
    times["sentences"] = len(inputs)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="model to score with (default: train one from the shipped labels)")
    parser.add_argument("--scale-articles", type=int, default=600,
                        help="files in the 1x input of the memory-scaling runs (repeated 4x and 16x)")
    parser.add_argument("--no-dask", action="store_true", help="skip the dask local run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each whole-corpus measurement (the median is shown)")
    options = parser.parse_args()
    if not CORPUS.exists():
        raise SystemExit(f"no corpus at {CORPUS}")
    paths = corpus_paths()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model_path = options.model or train_default_model(folder)
        listing = folder / "paths.json"
        listing.write_text(json.dumps(paths))
        scale_listing = folder / "scale.json"
        scale_listing.write_text(json.dumps(paths[: options.scale_articles]))
        out = str(folder / "out.jsonl")

        def score(listing: Path, repeat: int, jobs: int, dask: str = "", cues: str = "") -> dict:
            return run_measured(SCORE, str(listing), str(repeat), str(model_path), out, str(jobs), dask, cues)

        runs = [
            ("read + split only (floor)", lambda: run_measured(SPLIT, str(listing), "1")),
            ("score, jobs 1", lambda: score(listing, 1, 1)),
            ("score, jobs 1, with cues", lambda: score(listing, 1, 1, cues="cues")),
            ("score, jobs 2", lambda: score(listing, 1, 2)),
        ]
        if not options.no_dask:
            runs.append(("score, dask local (2 workers)", lambda: score(listing, 1, 2, "local")))
        runs = [(name, run, options.repeat) for name, run in runs]
        # The same corpus 8 times over: start-up (imports, model load, workers) is spread over more sentences.
        runs += [(f"score, jobs {jobs}, whole input x8", lambda jobs=jobs: score(listing, 8, jobs), 1) for jobs in (1, 2)]
        for repeat in (1, 4, 16):
            runs.append((f"score, jobs 1, {options.scale_articles} files x{repeat}",
                         lambda repeat=repeat: score(scale_listing, repeat, 1), 1))
        print(f"\n{len(paths)} input files from {CORPUS}; runs on the whole corpus are the median of {options.repeat}\n")
        print("| run | articles | sentences | sentences/s (scoring) | sentences/s (end to end) | end to end, range | peak memory (MB) |")
        print("|---|---:|---:|---:|---:|---:|---:|", flush=True)
        scaled = []
        for name, run, repeats in runs:
            results = sorted((run() for _ in range(repeats)), key=lambda r: r["wall"])
            r = results[len(results) // 2]
            spread = f"{r['sentences'] / results[-1]['wall']:,.0f}–{r['sentences'] / results[0]['wall']:,.0f}" if repeats > 1 else ""
            print(f"| {name} | {r['articles']:,} | {r['sentences']:,} | {r['sentences'] / r['seconds']:,.0f} | "
                  f"{r['sentences'] / r['wall']:,.0f} | {spread} | {r['peak_mb']:,.0f} |", flush=True)
            if " x" in name:
                scaled.append(r["peak_mb"])
        print(f"\npeak memory at 16x / 1x input: {scaled[-1] / scaled[0]:.2f}")
        stages = stage_times(paths, model_path, folder)
    total = sum(v for k, v in stages.items() if k != "sentences")
    print(f"\nWhere the time goes at jobs 1 ({stages['sentences']:,} sentences, in process, stage by stage):\n")
    print("| stage | seconds | share | sentences/s |")
    print("|---|---:|---:|---:|")
    for name, seconds in stages.items():
        if name != "sentences":
            print(f"| {name} | {seconds:.2f} | {seconds / total:.0%} | {stages['sentences'] / seconds:,.0f} |")


if __name__ == "__main__":
    main()
