"""Scoring on Dask workers gives the same records as scoring in process."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
from joblib import Parallel, delayed
from test_score import ARTICLES, write_inputs

from annotator import score


@pytest.mark.slow
def test_dask_local_cluster_matches_jobs_1(tmp_path: Path, trained_model: Path):
    inputs = write_inputs(tmp_path / "in", ARTICLES * 3)
    local = score.score_paths([inputs], trained_model, tmp_path / "local.jsonl", jobs=1, cues=True,
                              summary=tmp_path / "local.csv", progress=False)
    assert Parallel(n_jobs=2)(delayed(abs)(i) for i in (-1, -2)) == [1, 2]  # joblib's workers, left running
    running = {process.pid for process in multiprocessing.active_children()}
    remote = score.score_paths([inputs], trained_model, tmp_path / "dask.jsonl", jobs=2, dask="local",
                               part_bytes=300, cues=True, summary=tmp_path / "dask.csv", progress=False)
    # stopping the cluster stopped only the cluster's processes
    assert running and running <= {process.pid for process in multiprocessing.active_children()}
    assert (tmp_path / "local.jsonl").read_bytes() == (tmp_path / "dask.jsonl").read_bytes()
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
    assert (remote.articles, remote.sentences, remote.failures) == (local.articles, local.sentences, 0)


def test_a_dask_option_that_is_no_address_is_a_value_error(tmp_path: Path, trained_model: Path):
    with pytest.raises(score.DaskAddressError, match="tcp://"):
        score.score_paths([write_inputs(tmp_path / "in")], trained_model, tmp_path / "o.jsonl", dask="nowhere",
                          progress=False)
