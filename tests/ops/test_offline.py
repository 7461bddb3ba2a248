"""After `make demo`, the README's day-to-day commands on a machine without network (issue 13, item 1)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import dagster as dg

from orchestration.mode import offline_sample, set_mode
from orchestration.runner import plan_selection, run_plan
from orchestration.warehouse import Warehouse
from tests.ops.conftest import FAMILY, Home, home_env

NO_NETWORK = {  # what a machine without network answers: nothing listens, no name resolves
    "HF_ENDPOINT": "http://127.0.0.1:9/hf", "GITHUB_API_URL": "http://127.0.0.1:9/github/api",
    "GITHUB_SERVER_URL": "http://127.0.0.1:9/github/git", "OPENAI_BASE_URL": "https://api.openai.invalid/v1",
}


def test_an_offline_instance_keeps_every_command_on_the_sample_and_online_fails_at_once(local_api, tmp_path: Path):
    # the state `hubscope demo` leaves: an instance in offline mode, serving the sample it built
    home = Home({**home_env(local_api, tmp_path), **NO_NETWORK}, tmp_path)
    home.dagster_home.mkdir()
    set_mode(home.dagster_home, offline=True, sample=local_api.data_dir)

    discovery = home.cli("materialize", "--select", "key:core/families")
    assert discovery.returncode == 0, discovery.stdout + discovery.stderr
    assert discovery.stdout.startswith("offline mode: Hub, GitHub and the LLM are the local server on the bundled sample")
    family = home.cli("materialize", "--family", "indolab/indobert-lite", "--select", "key:raw/commits")
    assert family.returncode == 0, family.stdout + family.stderr
    stored = Warehouse(database=str(home.database)).query("select count(*) from raw.commits where family_key = ?", [FAMILY]).item()
    assert stored > 100, "the sample's commits, not github.com's"

    switched = home.cli("mode", "online")
    assert switched.returncode == 0 and "online mode" in switched.stdout
    assert offline_sample(home.dagster_home) is None
    started = time.monotonic()
    refused = home.cli("materialize", "--family", FAMILY, "--select", "key:raw/commits")
    took = time.monotonic() - started
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "127.0.0.1:9 refused the connection (HF_ENDPOINT=http://127.0.0.1:9/hf)" in refused.stderr
    assert "`hubscope mode offline`" in refused.stderr and "Traceback" not in refused.stderr
    assert took < 60, f"an unreachable host took {took:.0f} s to report"


def test_an_unresolvable_host_is_named_with_the_way_out(cli_home: Home):
    env = {**cli_home.env, "GITHUB_API_URL": "https://api.github.invalid"}
    result = Home(env, cli_home.root).cli("add-family", "indolab/indobert-lite", "--hub", "indolab/indobert-lite-base")
    assert result.returncode == 2
    assert "cannot resolve host api.github.invalid (GITHUB_API_URL=https://api.github.invalid)" in result.stderr, result.stderr
    assert "`hubscope mode offline`" in result.stderr


PARTS = dg.DynamicPartitionsDefinition(name="parts")


@dg.asset(partitions_def=PARTS)
def per_part(context) -> None:
    if context.partition_key == "broken":
        raise dg.Failure("this partition's remote is down", allow_retries=False)


@dg.asset(deps=[per_part])
def study_table() -> None:
    """Reads every partition: must not be published after one of them failed."""


def test_a_failed_partition_does_not_publish_the_tables_downstream(instance: dg.DagsterInstance):
    defs = dg.Definitions(assets=[per_part, study_table])
    instance.add_dynamic_partitions(PARTS.name, ["fine", "broken"])
    plan = plan_selection(defs, None, PARTS, ["fine", "broken"])
    out = io.StringIO()

    failed = run_plan(defs, instance, plan, out=out)

    assert failed == ["broken", "study tables (skipped)"]
    assert instance.get_latest_materialization_event(dg.AssetKey("study_table")) is None
    text = out.getvalue()
    assert "[skipped] study_table: not refreshed, because broken failed" in text
    assert "hubscope materialize --select 'key:\"study_table\"'" in text
    assert "FAILED per_part: this partition's remote is down" in text, text


def test_with_every_partition_fine_the_tables_downstream_are_published(instance: dg.DagsterInstance):
    defs = dg.Definitions(assets=[per_part, study_table])
    instance.add_dynamic_partitions(PARTS.name, ["fine"])
    assert run_plan(defs, instance, plan_selection(defs, None, PARTS, ["fine"]), out=io.StringIO()) == []
    assert instance.get_latest_materialization_event(dg.AssetKey("study_table")) is not None
