"""The Celery app that hubscope's workers run: ``celery -A orchestration.worker worker -Q default``.

It is dagster-celery's app (its ``execute_plan`` task runs one step against the run's instance),
built from the same settings as the executor that sends the steps (:mod:`orchestration.executors`,
read from ``HUBSCOPE_CELERY_BROKER``), so the two always agree on broker, result backend and queues.
Which queues a worker takes is the worker's ``-Q``: ``default`` on CPU machines, ``gpu`` on GPU ones.
"""

from __future__ import annotations

from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from orchestration.executors import BROKER_ENV, settings_from_env

_settings = settings_from_env()
if _settings is None:
    raise RuntimeError(f"{BROKER_ENV} is not set: a worker needs the broker the runs send steps to "
                       f"(e.g. {BROKER_ENV}=redis://broker.internal:6379/0)")

app = make_app(CeleryExecutor.for_cli(**_settings).app_args())
execute_plan = create_task(app)
"""The one task: execute the steps a run sent (dagster-celery's ``execute_plan``)."""
