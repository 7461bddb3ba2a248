"""The UI a user opens: `hubscope ui` (dagster dev) on a temporary home, the asset graph and an asset page in
headless Chromium (Debian's package, installed by .ci/run), checked through the rendered DOM and
the webserver's GraphQL API. With HUBSCOPE_UPDATE_SCREENSHOTS=1 it refreshes docs/screenshots/."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from orchestration.warehouse import ROOT, Warehouse
from tests.ops.conftest import Home, require_tool

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "docs" / "screenshots"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=15000"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(base: str, query: str) -> dict:
    request = urllib.request.Request(f"{base}/graphql", json.dumps({"query": query}).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


def _pids_serving(port: int) -> list[int]:
    """Processes whose command line names this test's port: the UI it started, nothing else."""
    marks = (f"-p {port}", f"--port {port}")
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(mark in args for mark in marks) and "pytest" not in args:
            pids.append(int(cmdline.parent.name))
    return pids


@pytest.fixture(scope="module")
def ui(cli_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`hubscope ui` (dagster dev: webserver + daemon) on the CLI home, stopped with Ctrl-C (SIGINT)."""
    port = _free_port()
    log = (tmp_path_factory.mktemp("ui") / "hubscope-ui.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "ui", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=cli_home.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"hubscope ui exited: {Path(log.name).read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(f"{base}/server_info", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the UI did not answer within 60 s"
                time.sleep(0.5)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        leftover = _pids_serving(port)
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)
        log.close()
        assert not leftover, f"Ctrl-C left UI processes running: {leftover}"


@pytest.fixture(scope="module")
def chromium() -> str:
    """Requested before ``ui``, so a machine without chromium skips before starting the UI."""
    return require_tool(CHROMIUM, "chromium", "chromium")


def _chromium(tmp_path: Path, *args: str, window: str = "1800,1400") -> subprocess.CompletedProcess[str]:
    """Chromium on one page. The lineage draws only the nodes in view: a tall ``window`` holds them all."""
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--window-size={window}", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=90)


def _text(dom: str) -> str:
    dom = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom)))


def test_the_asset_graph_and_an_asset_page_show_assets_and_latest_materializations(chromium: str, ui: str, tmp_path: Path,
                                                                                  cli_home: Home):
    data = _graphql(ui, """{ assetNodes { assetKey { path } groupName owners { ... on TeamAssetOwner { team } }
        assetMaterializations(limit: 1) { timestamp metadataEntries { label ... on IntMetadataEntry { intValue } } } } }""")
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert {"raw/commits", "core/families", "core/labelled_commits", "out/sync_rq2_patterns"} <= set(nodes)
    assert {n["groupName"] for n in nodes.values()} >= {"ingest", "label", "sync", "gems"}
    families = nodes["core/families"]
    assert families["assetMaterializations"], "the CLI's materialization is in the instance the UI reads"
    rows = {e["label"]: e.get("intValue") for e in families["assetMaterializations"][0]["metadataEntries"]}
    n_families = Warehouse(database=str(cli_home.database)).query("select count(*) from core.families").item()
    assert rows.get("dagster/row_count") == n_families

    # the global lineage with every group expanded (the UI keeps that state in the `expanded` query)
    groups = sorted({n["groupName"] for n in nodes.values()})
    graph_url = f"{ui}/asset-groups?expanded=" + ",".join(f"global@global:{g}" for g in groups)
    graph_png = tmp_path / "asset-graph.png"
    shot = _chromium(tmp_path, f"--screenshot={graph_png}", graph_url)
    assert graph_png.exists() and graph_png.stat().st_size > 20_000, shot.stderr[-2000:]
    graph = _text(_chromium(tmp_path, "--dump-dom", graph_url, window="2400,4000").stdout)
    for name in ("hub_models", "commits", "labelled_commits", "sync_rq2_patterns", "gem_leaderboard", *groups):
        assert name in graph, f"{name} not drawn in the asset graph"
    assert "Join the Dagster community" not in graph, "dagster.yaml turns the first-visit pop-up off (nux)"

    page = _text(_chromium(tmp_path, "--dump-dom", f"{ui}/assets/core/families").stdout)
    assert "Latest materialization" in page and f"Row count {n_families}" in page, page[:2000]
    assert "hubscope-ingest" in page, "owners are shown"
    assert "Model families" in page, "the description is shown"

    if os.environ.get("HUBSCOPE_UPDATE_SCREENSHOTS") == "1":  # refresh the docs' pictures on request
        page_png = tmp_path / "asset-page.png"
        _chromium(tmp_path, f"--screenshot={page_png}", f"{ui}/assets/core/labelled_commits")
        shutil.copyfile(graph_png, SCREENSHOTS / "asset-graph.png")
        shutil.copyfile(page_png, SCREENSHOTS / "asset-page.png")


def test_a_preview_on_the_asset_page_is_a_table_whose_cells_are_whole(chromium: str, ui: str, tmp_path: Path, cli_home: Home):
    # every family's repository name, longest first: the cells a wrapping preview used to cut ("carol/t / iny-add")
    repos = Warehouse(database=str(cli_home.database)).query(
        "select github_repo from core.families order by length(github_repo) desc, github_repo")["github_repo"].to_list()
    data = _graphql(ui, """{ assetNodes(assetKeys: [{path: ["core", "families"]}]) { assetMaterializations(limit: 1) {
        metadataEntries { label __typename ... on TableMetadataEntry { table { records schema { columns { name } } } } } } } }""")
    entries = {e["label"]: e for e in data["assetNodes"][0]["assetMaterializations"][0]["metadataEntries"]}
    preview = entries["preview"]
    assert preview["__typename"] == "TableMetadataEntry", "a real table, not Markdown behind a link"
    shown = [json.loads(r)["github_repo"] for r in preview["table"]["records"]]
    assert len(repos) <= 10 and sorted(shown) == sorted(repos), "the sample's families fit in the preview's 10 rows"

    dom = _chromium(tmp_path, "--dump-dom", f"{ui}/assets/core/families").stdout
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td\b[^>]*>(.*?)</td>", dom, flags=re.S)]
    for repo in repos[:3]:
        assert repo in cells, f"{repo!r} is not one whole cell of the preview table on the asset page: {cells[:40]}"


def test_the_pattern_plot_is_one_click_from_its_asset_page(chromium: str, ui: str, tmp_path: Path, cli_home: Home):
    """The RQ2 plot: a real picture in the latest materialization, behind one "[Show Markdown]" on the page."""
    data = _graphql(ui, """{ assetNodes(assetKeys: [{path: ["out", "sync_rq2_patterns"]}]) { assetMaterializations(limit: 1) {
        metadataEntries { label __typename ... on MarkdownMetadataEntry { mdStr } } } } }""")
    entries = {e["label"]: e for e in data["assetNodes"][0]["assetMaterializations"][0]["metadataEntries"]}
    plot = entries["distribution"]
    assert plot["__typename"] == "MarkdownMetadataEntry"
    png = base64.b64decode(re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", plot["mdStr"]).group(1))
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    colours = np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert image.shape[0] > 200 and image.shape[1] > 400 and len(colours) > 20, "a drawn chart, not a blank image"
    page = _text(_chromium(tmp_path, "--dump-dom", f"{ui}/assets/out/sync_rq2_patterns").stdout)
    assert "distribution" in page and "Show Markdown" in page, page[:2000]
