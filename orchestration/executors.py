"""How runs execute their steps: Dagster's default, or on Celery workers when a broker is configured.

One variable selects it: ``HUBSCOPE_CELERY_BROKER`` (e.g. ``redis://broker.internal:6379/0``).
Unset, the code location sets no executor, so nothing changes: ``dagster dev`` runs steps as
subprocesses and ``hubscope`` commands run them in process. Set, every job's steps are sent to
Celery workers (``celery -A orchestration.worker worker -Q default``; see docs/deployment.md):
the GPU evaluation to the ``gpu`` queue, everything else to ``default`` (orchestration/queues.py).

Workers build their Celery app from the same function (orchestration/worker.py), so broker, result
backend and queue settings cannot disagree between the run that sends a step and the worker that
takes it. Workers load the instance from the reference each step carries: the instance must be one
every worker can reach (PostgreSQL, dagster-postgres.yaml), with ``DAGSTER_PG_URL`` set on workers too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg

from orchestration.queues import DEFAULT_QUEUE

BROKER_ENV = "HUBSCOPE_CELERY_BROKER"
BACKEND_ENV = "HUBSCOPE_CELERY_BACKEND"

VISIBILITY_TIMEOUT_S = 24 * 3600
"""Redis re-delivers a task a worker took but did not acknowledge within this time (Celery's default
is one hour). A step waiting in a worker's prefetch behind a long GPU evaluation must not be run a
second time by another worker, so the window is longer than any step."""


def celery_settings(broker: str, backend: str | None = None) -> dict[str, Any]:
    """The executor config for dagster-celery: the broker, results on the same Redis unless given,
    untagged steps to the ``default`` queue, a worker takes a step only when it has a free process.

    dagster-celery (the ``team`` extra) is imported here, not at module level, so the code location
    loads without it when no broker is configured."""
    from dagster_celery.defaults import broker_transport_options

    return {
        "broker": broker,
        "backend": backend or broker,
        "config_source": {
            "task_default_queue": DEFAULT_QUEUE,
            "worker_prefetch_multiplier": 1,
            "worker_disable_prefetch": True,  # a busy worker holds no queued step an idle one could run
            "broker_transport_options": {**broker_transport_options, "visibility_timeout": VISIBILITY_TIMEOUT_S},
            "result_backend_transport_options": {"visibility_timeout": VISIBILITY_TIMEOUT_S},
        },
    }


def settings_from_env(env: Mapping[str, str] = os.environ) -> dict[str, Any] | None:
    """The Celery executor config the environment asks for, or None (Dagster's default executor)."""
    broker = env.get(BROKER_ENV)
    return celery_settings(broker, env.get(BACKEND_ENV)) if broker else None


def executor_from_env(env: Mapping[str, str] = os.environ) -> dg.ExecutorDefinition | None:
    """The code location's executor: dagster-celery's, configured from the environment, or None."""
    settings = settings_from_env(env)
    if settings is None:
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(settings, name="hubscope_celery")
