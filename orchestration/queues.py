"""Which Celery queue each step goes to, decided in one place: the GPU evaluation to ``gpu``, all else to ``default``.

dagster-celery routes a step by its op tag ``dagster-celery/queue``; a step without it goes to the
executor's ``task_default_queue``, which :mod:`orchestration.executors` sets to ``default``. So only
the steps that need an accelerator carry a tag: those whose assets have a kind in
:data:`orchestration.policies.ON_DEMAND_KINDS` (``pytorch``: the gems evaluation), the same rule
that keeps them out of automation. Stages keep describing what an asset *is*; where it runs is
decided here, once, over the whole code location.

The tag is harmless without Celery: the in-process and multiprocess executors ignore it.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
from dagster._record import replace
from dagster_celery.tags import DAGSTER_CELERY_QUEUE_TAG

from orchestration.policies import ON_DEMAND_KINDS

DEFAULT_QUEUE = "default"
GPU_QUEUE = "gpu"
QUEUES = (DEFAULT_QUEUE, GPU_QUEUE)


def needs_gpu(assets_def: dg.AssetsDefinition) -> bool:
    """Whether any asset of this op has a kind that needs an accelerator."""
    return any(ON_DEMAND_KINDS & set(spec.kinds or ()) for spec in assets_def.specs)


def queue_of(step_tags: Mapping[str, str]) -> str:
    """The queue a step with these op tags is sent to (dagster-celery's rule, with our default queue)."""
    return step_tags.get(DAGSTER_CELERY_QUEUE_TAG, DEFAULT_QUEUE)


def _with_op_tags(assets_def: dg.AssetsDefinition, tags: Mapping[str, str]) -> dg.AssetsDefinition:
    """``assets_def`` whose op carries ``tags`` as well.

    Dagster has no public way to add op tags to a built asset (``map_asset_specs`` changes asset
    tags, which steps do not carry), so the op is copied the way Dagster's own
    ``OpDefinition.with_replaced_properties`` copies it, with the tags merged in.
    """
    op = assets_def.op
    tagged = dg.OpDefinition.dagster_internal_init(
        name=op.name,
        ins={d.name: dg.In.from_definition(d) for d in op.input_defs},
        outs={d.name: dg.Out.from_definition(d) for d in op.output_defs},
        compute_fn=op.compute_fn,
        config_schema=op.config_schema,
        description=op.description,
        tags={**op.tags, **tags},
        required_resource_keys=op.required_resource_keys,
        code_version=op._version,  # noqa: SLF001 (what with_replaced_properties passes; .version is deprecated)
        retry_policy=op.retry_policy,
        version=None,
        pool=op.pool,
    )
    return dg.AssetsDefinition.dagster_internal_init(**{**assets_def.get_attributes_dict(), "node_def": tagged})


def route(assets_def: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The GPU evaluation tagged for the ``gpu`` queue; any other asset unchanged (it goes to ``default``)."""
    return _with_op_tags(assets_def, {DAGSTER_CELERY_QUEUE_TAG: GPU_QUEUE}) if needs_gpu(assets_def) else assets_def


def with_queues(defs: dg.Definitions) -> dg.Definitions:
    """``defs`` with :func:`route` applied to every asset op (asset specs and checks have no step of their own)."""
    return replace(defs, assets=[route(a) if isinstance(a, dg.AssetsDefinition) else a for a in defs.assets or []])
