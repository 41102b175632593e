"""Debian's chromium driven by Playwright: the browser of the web UI tests and `sipdect bench web`.

Never a downloaded browser (`playwright install` is not run): Playwright's driver starts
the system's chromium (the `chromium` Debian package, `make peers` installs it). Headless,
without the sandbox (CI runs as root) and without /dev/shm (small in containers).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
"""Where Debian (and Ubuntu) put the browser's wrapper script."""
CHROMIUM_ENV = "SIPDECT_CHROMIUM"
"""Names another chromium executable."""
LAUNCH_ARGS = ("--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu")
ARTIFACTS_ENV = "SIPDECT_ARTIFACTS"
"""Where tests write their artefacts (screenshots); default test-artifacts/ in the cwd."""


class BrowserMissing(RuntimeError):
    """No chromium or no Playwright here; the text says what to install."""


def chromium_path() -> str:
    """The system chromium, or BrowserMissing naming the package to install."""
    named = os.environ.get(CHROMIUM_ENV)
    for candidate in ((named,) if named else ()) + CHROMIUM_CANDIDATES:
        if candidate and (shutil.which(candidate) or Path(candidate).is_file()):
            return candidate
    raise BrowserMissing("no chromium: install Debian's (apt-get install chromium, or `make "
                         f"peers`), or name one in {CHROMIUM_ENV}")


async def launch(playwright: Playwright) -> Browser:
    """A headless chromium (the system's) under a running Playwright."""
    return await playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                            args=list(LAUNCH_ARGS))


def artifacts_dir(*parts: str) -> Path:
    """A directory for test artefacts (made if missing)."""
    base = Path(os.environ.get(ARTIFACTS_ENV) or "test-artifacts")
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
