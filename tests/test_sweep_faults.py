"""A worker process killed mid-sweep: its chunk runs again elsewhere and every key is stored once.

The one sweep test that needs worker *processes*: a LocalCluster of two, one of which is sent
SIGKILL (by its pid) while it holds tasks.  The scheduler reschedules them (distributed's
``allowed-failures``), the nanny starts a new worker, and the sweep finishes.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import pyarrow.parquet as pq  # noqa: E402

from diracgan.sweep import build_tasks, get_runner, run_sweep  # noqa: E402
from diracgan.sweep.grid import chunk_key  # noqa: E402

ROOT = Path(__file__).parents[1]


def _package_file():
    import diracgan

    return diracgan.__file__


def test_killed_worker_its_tasks_rerun_elsewhere_and_each_key_is_stored_once(tmp_path):
    import distributed

    lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.CRITICAL)
    client = distributed.Client(lc, set_as_default=False)
    try:
        # The workers run this checkout's diracgan (spawned with this process's sys.path).
        assert set(client.run(_package_file).values()) == {str(ROOT / "diracgan" / "__init__.py")}
        pids = client.run(os.getpid)
        killed = {}

        def kill_one(done, todo):
            if killed or done >= todo:
                return
            for address, keys in client.processing().items():
                if keys and address in pids:
                    os.kill(pids[address], signal.SIGKILL)
                    killed.update(address=address, keys=set(keys))
                    return

        out = tmp_path / "killed"
        options = dict(steps=800, lr=0.1)
        outcome = run_sweep("train", None, seeds=6, chunk=1, client=client, out=out, callback=kill_one, **options)
        assert killed, "no worker held a task when the first chunk finished"
        rows = pq.read_table(out).to_pylist()
        keys = [r["key"] for r in rows]
        tasks, _, _ = build_tasks(get_runner("train"), options, None, seeds=6)
        assert sorted(keys) == sorted(t.key for t in tasks)           # every key, each exactly once
        assert outcome.killed == 0 and all(r["status"] == "ok" for r in rows)
        rerun = {t.key for t in tasks if chunk_key("train", [t]) in killed["keys"]}
        assert rerun and all(r["worker"] != killed["address"] for r in rows if r["key"] in rerun)
    finally:
        client.close()
        lc.close()
