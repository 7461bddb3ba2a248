"""Plots as markdown images for the Dagster UI, shared by every stage that draws one.

The UI renders markdown metadata, including images given as ``data:image/png;base64`` URIs, so a
plot travels inside the materialization event with no file server. Figures are saved small
(about 100 dpi) to keep the event log light; matplotlib runs on the headless Agg backend.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def png_markdown(fig: plt.Figure, alt: str) -> str:
    """The figure as a markdown image with an inline PNG; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return f"![{alt}](data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()})"
