"""The list of APIs the local server speaks; each module owns one platform's routes."""

from __future__ import annotations

from pathlib import Path

from localapi import git_http, github, hub, hub_files, openai_api
from localapi.server import Router


def all_routers(data_dir: Path) -> list[Router]:
    routers: list[Router] = []
    # Each platform module adds itself here: hub (models, commits, files), github (REST),
    # git_http (smart HTTP for both platforms), openai_api (chat completions).
    routers += [hub.router(data_dir), github.router(data_dir), git_http.router(data_dir)]
    routers.append(openai_api.router(data_dir))
    routers.append(hub_files.router(data_dir))
    return routers
