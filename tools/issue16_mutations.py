"""Re-verify that each of issue 16's 14 hand-planted mutations is killed by its named test(s).

For each row of docs/mutation.md's "The issue's 14 mutations": plant the bug (one exact text
replacement, which must match once) in a throwaway git worktree of HEAD, run the named tests there
(they must fail), undo it, run them again (they must pass). The repository itself is never touched.

    .venv/bin/python tools/issue16_mutations.py          # every row, then a summary
    .venv/bin/python tools/issue16_mutations.py 2 9      # only rows 2 and 9

Exit status 0 when every selected mutation is killed and its tests pass on the unmutated code.
The worktree imports its own copy (PYTHONPATH), not the editable install's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# row -> (file, original text, mutated text, tests); each is the smallest faithful form of the bug
MUTATIONS: dict[str, tuple[str, str, str, list[str]]] = {
    "1": ("assets/ingest/gitlog.py",
          'revs = [head, *([f"^{since}"] if since else [])]', "revs = [head]",
          ["tests/ingest/test_mutants_ingest.py::test_an_incremental_refresh_through_the_mirror_reads_only_the_new_commits"]),
    "2": ("assets/ingest/history.py",
          "    if not stale_states and all(family.unchanged(h) for h in histories):\n"
          "        return WriteResult(0, {})  # an unchanged refresh rewrites nothing\n", "",
          ["tests/test_issue16_mutations.py::test_write_family_opens_nothing_for_writing_when_every_repository_is_unchanged"]),
    "3": ("orchestration/sensors.py",
          "    try:\n        families = read_family_keys(warehouse.database)\n    except WarehouseBusy:\n"
          '        return dg.SkipReason("the warehouse is being written; trying again next tick")\n',
          "    families = read_family_keys(warehouse.database)\n",
          ["tests/ops/test_reliability.py::test_the_discovery_sensor_skips_its_tick_while_a_run_writes_the_warehouse"]),
    "4": ("assets/label/store.py",
          'where model = ? and prompt_version = ? and content_hash in (select unnest(?))",\n'
          "        [model, prompt_version, hashes],",
          'where model = ? and content_hash in (select unnest(?))",\n        [model, hashes],',
          ["tests/label/test_store_views_checks.py::test_a_new_prompt_is_asked_again_and_earlier_labels_stay_until_answered",
           "tests/label/test_mutants_label.py::test_cached_outcomes_match_model_prompt_version_and_hash"]),
    "5": ("assets/label/store.py",
          "            if old is not None:\n                rows.append({k: old[k] for k in LABEL_SCHEMA})\n", "",
          ["tests/label/test_store_views_checks.py::test_a_new_prompt_is_asked_again_and_earlier_labels_stay_until_answered",
           "tests/label/test_mutants_label.py::test_llm_rows_take_the_answer_else_the_previous_row_else_nothing"]),
    "6": ("assets/label/assets.py",
          "        union all\n        select 'orphaned', family_key, count(*) from orphaned group by all\n", "",
          ["tests/label/test_store_views_checks.py::test_labels_of_commits_that_are_gone_fail_the_coverage_check"]),
    "7": ("sql/views/020_commit_labels.sql",
          "where l.status = 'labelled' and (l.labeller", "where (l.labeller",
          ["tests/label/test_store_views_checks.py::test_an_unlabelled_llm_row_never_hides_the_rules_label"]),
    "8": ("assets/sync/assets.py",
          '    warehouse.replace_many({"family_key": family}, dict(zip(\n'
          "        FAMILY_TABLES, (rows, result.variants, result.periods, result.handoffs), strict=True)))",
          "    for _table, _frame in zip(FAMILY_TABLES, (rows, result.variants, result.periods, result.handoffs), strict=True):\n"
          "        warehouse.append(_table, _frame)",
          ["tests/sync/test_study.py::test_rematerializing_a_family_replaces_its_rows"]),
    "9": ("assets/sync/assets.py",
          'lambda wh: statistics.independence_tests(wh.query("select * from out.sync_rq3_groups")))',
          'lambda wh: statistics.independence_tests(wh.query("select * from out.sync_rq3_groups")).clear())',
          ["tests/sync/test_study.py::test_rq3_groups_and_their_tests"]),
    "10": ("sql/queries/sync_rq1_shares.sql",
           "    group by platform, repo, sha\n),", "    group by platform, repo, sha, family_key\n),",
           ["tests/sync/test_study.py::test_rq1_shares_count_categories_only_and_a_shared_commit_once"]),
    "11": ("assets/sync/checks.py",
           "        union all\n"
           "        select 'pattern not in the catalog for its code', f.family_key, f.code || ' ' || coalesce(f.pattern, 'null')\n"
           "        from core.sync_families f\n"
           "        where f.family_key = $partition and f.status = 'ok'\n"
           "          and not exists (select 1 from core.sync_pattern_catalog c\n"
           "                          where c.pattern = f.pattern and list_contains(c.codes, f.code))\n", "",
           ["tests/sync/test_study.py::test_the_check_fails_on_a_pattern_that_does_not_match_its_code"]),
    "12": ("assets/gems/checks.py",
           "            union all\n"
           "            select r.base_key, r.task, r.strategy, r.total_spent, p.budget\n"
           "            from core.gem_rounds r join core.gem_picks p using (base_key, task, strategy)\n", "",
           ["tests/gems/test_budget_check.py::test_a_round_that_ran_over_fails_even_when_the_final_count_is_within_budget"]),
    "13": ("assets/gems/leaderboard.py",
           '(~pl.col("popular") & pl.col("top_performance") & (pl.col("p_vs_popular") < alpha)).fill_null(False)',
           '(~pl.col("popular")).fill_null(False)',
           ["tests/gems/test_leaderboard.py::test_a_rare_model_only_a_little_better_than_the_popular_one_is_no_gem"]),
    "14": ("assets/gems/outcomes.py",
           "            if self.revisions.get(model) == rev:\n                self.stored",
           "            if model in self.revisions:\n                self.stored",
           ["tests/gems/test_evaluation.py::test_stored_answers_and_failures_belong_to_one_revision"]),
}


def pytest(tree: Path, tests: list[str]) -> tuple[int, str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    r = subprocess.run([sys.executable, "-m", "pytest", *tests, "-p", "no:cacheprovider", "-q", "-rfE", "--no-header"],
                       cwd=tree, env=env, capture_output=True, text=True)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(("FAILED", "ERROR", "E   ")) and "dagster" not in ln]
    return r.returncode, "\n".join(lines[-6:])


def main(rows: list[str]) -> int:
    rows = rows or list(MUTATIONS)
    ok = True
    with tempfile.TemporaryDirectory(prefix="issue16-") as tmp:
        tree = Path(tmp) / "tree"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), "HEAD"], check=True,
                       capture_output=True)
        try:
            for row in rows:
                rel, old, new, tests = MUTATIONS[row]
                path = tree / rel
                src = path.read_text()
                if src.count(old) != 1:
                    print(f"row {row}: the original text is found {src.count(old)} times in {rel}; update MUTATIONS")
                    ok = False
                    continue
                path.write_text(src.replace(old, new))
                try:
                    mutated, why = pytest(tree, tests)
                finally:
                    path.write_text(src)
                clean, clean_why = pytest(tree, tests)
                killed = mutated != 0
                print(f"row {row}: {'killed' if killed else 'SURVIVED'} (rc {mutated}); "
                      f"unmutated: {'pass' if clean == 0 else 'FAIL'} -- {' '.join(tests)}")
                if killed:
                    print("   " + why.replace("\n", "\n   "))
                if clean:
                    print("   " + clean_why.replace("\n", "\n   "))
                ok &= killed and clean == 0
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    print("all killed" if ok else "NOT all killed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
