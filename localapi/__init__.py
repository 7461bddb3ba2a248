"""A local server that speaks the real HTTP APIs of the Hugging Face Hub, GitHub and OpenAI.

hubscope's clients are the real libraries (huggingface_hub, PyGithub, git, openai); tests and the
offline demo point them at this server on 127.0.0.1 instead of the internet. Its data is a folder
of JSON files in the platforms' real response shapes (see ``localapi/README.md``).
"""

from localapi.server import LocalAPI

__all__ = ["LocalAPI"]
