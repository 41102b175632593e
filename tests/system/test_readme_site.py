"""The README's library example (the handover regression of issue 13) runs as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.asyncio]

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "<!-- site example -->"


def example() -> str:
    text = README.read_text()
    block = text[text.index(MARK):].split("```python\n", 1)[1]
    return block.split("```", 1)[0]


async def test_the_readme_handover_example_runs() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(example(), f"{README}:site example", "exec"), namespace)  # noqa: S102
    await namespace["handover"]()
