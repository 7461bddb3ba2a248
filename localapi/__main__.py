"""Run the local API server standalone: ``python -m localapi --data DIR --port N``.

Builds the bundled sample into DIR first when DIR is empty or holds an older sample (a folder with
other files is refused: ``--no-sample`` serves it as it is), prints the
environment variables that point the real clients at it, and serves until interrupted.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from localapi.sample import build_sample
from localapi.server import LocalAPI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localapi", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/localapi"), help="data dir (default data/localapi)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-sample", action="store_true", help="serve DIR as it is")
    args = parser.parse_args(argv)
    if not args.no_sample:
        try:
            build_sample(args.data)
        except FileExistsError as exc:
            parser.error(str(exc))
    api = LocalAPI(args.data)
    api.start(args.host, args.port)
    print(f"serving {args.data} at {api.base_url}")
    print(f"export HF_ENDPOINT={api.hf_endpoint}")
    print(f"export GITHUB_API_URL={api.github_api}")
    print(f"export GITHUB_SERVER_URL={api.github_git}")
    print(f"export OPENAI_BASE_URL={api.openai_base}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        api.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
