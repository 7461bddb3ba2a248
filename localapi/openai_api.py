"""An OpenAI-compatible ``POST /v1/chat/completions`` answering scripted labelling completions.

It reads the labelling prompt's user message (a JSON list of commits with ``id``, ``platform``,
``text`` and ``files``) and answers each commit with the rules labeller's category, so the
offline demo gets LLM-shaped labels. The *model name* selects misbehaviour, so tests and demos
script it through configuration alone (combine with the server's fault injection for HTTP
errors, delays and ``Retry-After``):

- ``...html...``: 200 with an HTML page instead of JSON
- ``...prose...``: a chat answer that is not JSON
- ``...fenced...``: valid JSON inside a markdown code fence
- ``...wrong-ids...``: labels for ids that were not sent
- ``...too-few...``: labels for the first half of the commits only
- ``...unknown-category...``: a label outside the taxonomy
- ``...conflict...``: two different categories for each commit
- ``...flaky...``: the first answer to a given request is prose, the repeat is correct
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any

from localapi.server import Request, Response, Router, json_response


def _rules_category(item: dict[str, Any]) -> str:
    from assets.label.commit_text import commit_text
    from assets.label.rules import label_commit

    text = str(item.get("text") or "")
    row = {"platform": item.get("platform"), "title": text.split("\n", 1)[0], "message": text,
           "files": item.get("files") or []}
    return label_commit(commit_text(row)).category


def router(data_dir: Path) -> Router:
    """The chat-completions route under ``/openai`` (``data_dir`` is unused: answers are computed)."""
    api = Router("/openai")
    seen: dict[str, int] = {}
    lock = threading.Lock()

    @api.post(r"/v1/chat/completions", "openai.chat")
    def chat(req: Request) -> Response:
        try:
            body = req.json()
            model, messages = body["model"], body["messages"]
            prompt = "\n".join(str(m.get("content") or "") for m in messages)
            items = json.loads(messages[-1]["content"])
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            return json_response({"error": {"message": f"bad request: {exc}", "type": "invalid_request_error"}}, 400)
        if "html" in model:
            return Response(200, "<html><body><h1>Welcome to nginx!</h1></body></html>",
                            {"Content-Type": "text/html"}, etag=False)
        key = hashlib.sha1(req.body).hexdigest()
        with lock:
            seen[key] = seen.get(key, 0) + 1
            first = seen[key] == 1
        labels = [{"id": it["id"], "category": _rules_category(it), "confidence": 0.9, "rationale": "scripted"}
                  for it in items]
        if "wrong-ids" in model:
            labels = [{**lab, "id": f"x{n}"} for n, lab in enumerate(labels)]
        if "too-few" in model:
            labels = labels[: len(labels) // 2]
        if "unknown-category" in model:
            labels = [{**lab, "category": "documentation"} for lab in labels]
        if "conflict" in model:
            labels = labels + [{**lab, "category": "bug_fix" if lab["category"] != "bug_fix" else "unclear"}
                               for lab in labels]
        content = json.dumps({"labels": labels})
        if "prose" in model or ("flaky" in model and first):
            content = "These commits mostly update documentation and configuration."
        if "fenced" in model:
            content = f"```json\n{content}\n```"
        return json_response({
            "id": f"chatcmpl-{key[:12]}", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": len(prompt) // 4 + len(content) // 4},
        })

    return api
