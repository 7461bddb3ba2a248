"""Models kept loaded between rounds: least recently used out first, within the memory budget."""

from __future__ import annotations

import pytest
from transformers import GPT2Config, GPT2LMHeadModel

from assets.gems import evaluator
from assets.gems.outcomes import EvaluationOracle
from assets.gems.resident import ResidentModels
from assets.gems.tasks import SHIPPED_TASK, load_task_file
from orchestration.warehouse import Warehouse


def _model(width: int) -> evaluator.Loaded:
    config = GPT2Config(vocab_size=16, n_positions=16, n_embd=width, n_layer=1, n_head=2)
    return evaluator.Loaded(GPT2LMHeadModel(config), None)


def test_least_recently_used_is_evicted_first_and_oversized_models_are_not_kept() -> None:
    a, b, c = _model(16), _model(16), _model(16)
    assert a.nbytes >= sum(p.numel() * 4 for p in a.model.parameters())  # fp32 weights, plus buffers
    resident = ResidentModels(budget_bytes=2 * a.nbytes)
    resident.keep("a", a)
    resident.keep("b", b)
    used = resident.take("a")  # a answers another round, so b is now the least recently used
    assert used is a and len(resident) == 1
    resident.keep("a", used)
    resident.keep("c", c)
    assert list(resident.models) == ["a", "c"] and resident.held_bytes <= resident.budget_bytes
    resident.keep("big", _model(64))
    assert "big" not in resident.models and len(resident) == 2
    assert resident.clear() and not resident.clear()


def test_out_of_memory_releases_resident_models_and_retries_once(warehouse: Warehouse) -> None:
    oracle = EvaluationOracle(warehouse, load_task_file(SHIPPED_TASK, "add", "numeric"), {}, "http://127.0.0.1:9")
    attempts: list[int] = []

    def step() -> str:
        attempts.append(len(oracle.resident))
        if len(attempts) == 1:
            raise evaluator.OutOfMemory("out of memory while loading")
        return "loaded"

    oracle.resident.keep("survivor", _model(8))
    assert oracle._retry_out_of_memory(step) == "loaded"
    assert attempts == [1, 0]  # the retry ran with nothing else resident
    attempts.clear()
    with pytest.raises(evaluator.OutOfMemory):  # nothing left to release: the candidate fails
        oracle._retry_out_of_memory(step)
