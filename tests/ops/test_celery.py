"""Celery routing and executor selection, without services: which queue every step of every job goes to,
and that only ``HUBSCOPE_CELERY_BROKER`` switches runs onto workers."""

from __future__ import annotations

import importlib
import sys

import dagster as dg
import pytest
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tags import DAGSTER_CELERY_QUEUE_TAG

from orchestration.definitions import build_definitions, defs
from orchestration.executors import BROKER_ENV, settings_from_env
from orchestration.queues import QUEUE_TAG, queue_of
from orchestration.resources import default_resources

EVALUATION_STEP = "core__gem_search"
"""The gems evaluation (the only step that loads models): the one step for GPU machines."""

BROKER = "redis://broker.example:6379/0"


def _steps(definitions: dg.Definitions) -> dict[str, dict[str, str]]:
    """Every step of every job (the implicit asset job included), by step key, with its op tags."""
    steps: dict[str, dict[str, str]] = {}
    for job in definitions.resolve_all_job_defs():
        for node in job.nodes_in_topological_order:
            steps.setdefault(node.name, dict(node.tags))
    return steps


def test_only_the_evaluation_step_goes_to_the_gpu_queue(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(BROKER_ENV, BROKER)
    celery_defs = build_definitions(default_resources())
    steps = _steps(celery_defs)
    assert len(steps) > 20, "every asset and check of the code location is a step of the asset job"
    # the queue a step without a queue tag goes to is the Celery app's default, as the executor builds it
    app = make_app(CeleryExecutor.for_cli(**settings_from_env()).app_args())
    assert QUEUE_TAG == DAGSTER_CELERY_QUEUE_TAG  # the key hubscope spells out is the one dagster-celery reads
    routed = {key: tags.get(DAGSTER_CELERY_QUEUE_TAG, app.conf.task_default_queue) for key, tags in steps.items()}
    assert {k for k, q in routed.items() if q == "gpu"} == {EVALUATION_STEP}
    assert {q for k, q in routed.items() if k != EVALUATION_STEP} == {"default"}
    assert all(queue_of(tags) == routed[key] for key, tags in steps.items())


def test_routing_keeps_the_evaluation_step_as_its_stage_defined_it():
    step = next(n for n in defs.resolve_job_def("gem_search_job").nodes_in_topological_order if n.name == EVALUATION_STEP)
    assert step.definition.pool == "gpu"  # one evaluation at a time, whatever the executor
    assert step.tags["hubscope/gpu"] == "true"
    assert defs.resolve_job_def("gem_search_job").tags["hubscope/gpu"] == "true"


def test_without_a_broker_the_executor_is_dagsters_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(BROKER_ENV, raising=False)
    plain = build_definitions(default_resources())
    assert {job.executor_def.name for job in plain.resolve_all_job_defs()} == {"multi_or_in_process_executor"}


def test_a_broker_sends_every_job_to_celery_with_results_on_the_same_redis(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(BROKER_ENV, BROKER)
    celery_defs = build_definitions(default_resources())
    jobs = celery_defs.resolve_all_job_defs()
    assert {job.executor_def.name for job in jobs} == {"hubscope_celery"}
    settings = settings_from_env()
    assert (settings["broker"], settings["backend"]) == (BROKER, BROKER)


def test_workers_build_the_app_the_executor_sends_to(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(BROKER_ENV, BROKER)
    monkeypatch.delitem(sys.modules, "orchestration.worker", raising=False)
    worker = importlib.import_module("orchestration.worker")
    assert worker.app.conf.broker_url == BROKER
    assert worker.app.conf.task_default_queue == "default"
    assert worker.app.conf.worker_disable_prefetch is True
    assert "execute_plan" in worker.app.tasks

    monkeypatch.delenv(BROKER_ENV)
    monkeypatch.delitem(sys.modules, "orchestration.worker")
    with pytest.raises(RuntimeError, match=f"{BROKER_ENV} is not set"):
        importlib.import_module("orchestration.worker")
