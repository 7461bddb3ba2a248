"""Which Celery queue a step goes to: the GPU evaluation to ``gpu``, everything else to ``default``.

dagster-celery routes a step by its op tag ``dagster-celery/queue``; a step without it goes to the
executor's ``task_default_queue``, which :mod:`orchestration.executors` sets to ``default``. So only
the step that loads models carries a tag (:data:`GPU_STEP_TAGS`, set in the gems evaluation's
``op_tags`` beside its ``gpu`` pool, as dagster-celery's documentation does it), and
``tests/ops/test_celery.py`` checks over the whole code location that no other step is routed there.

The tag is harmless without Celery: the in-process and multiprocess executors ignore it. Its key
is spelled out rather than imported, so the code location loads without the ``team`` extra; the
test checks it against ``dagster_celery.tags.DAGSTER_CELERY_QUEUE_TAG``.
"""

from __future__ import annotations

from collections.abc import Mapping

QUEUE_TAG = "dagster-celery/queue"
DEFAULT_QUEUE = "default"
GPU_QUEUE = "gpu"

GPU_STEP_TAGS: Mapping[str, str] = {QUEUE_TAG: GPU_QUEUE}
"""The op tags of a step that needs an accelerator (the gems evaluation)."""


def queue_of(step_tags: Mapping[str, str]) -> str:
    """The queue a step with these op tags is sent to (dagster-celery's rule, with our default queue)."""
    return step_tags.get(QUEUE_TAG, DEFAULT_QUEUE)
