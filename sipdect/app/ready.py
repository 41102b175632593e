"""The ready file: what a running `sipdect up` tells the programs beside it (README "What
`make up` starts").

It holds the endpoints, the initial passwords and the control API's URL and token, so it is
created readable by its owner only (0600) and never exists with wider rights, not even for
a moment. `sipdect ctl` finds the running system through it; this module is the one place
that knows where it lives and how it is read and written. Kept free of heavy imports: `sipdect
ctl` loads it on every call.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DEFAULT_DATA_DIR = Path("data")
"""`sipdect up --data-dir` when none is given (relative to the working directory)."""
READY_FILE_NAME = "ready.json"
"""The ready file's name inside the data directory when no --ready-file is given."""
READY_FILE_ENV = "SIPDECT_READY_FILE"
"""Environment variable naming the ready file for `sipdect ctl` (after --ready-file)."""
READY_FILE_MODE = 0o600
"""The ready file carries secrets: owner read/write only."""
TOKEN_HEADER = "X-Sipdect-Token"
"""The request header carrying the control API's token (`Authorization: Bearer` works too)."""


def default_path(data_dir: Path = DEFAULT_DATA_DIR) -> Path:
    """Where `sipdect up` writes the ready file when not told otherwise."""
    return data_dir / READY_FILE_NAME


def write(path: Path, info: dict[str, Any]) -> None:
    """Write `info` as JSON to `path` atomically, created 0600 (whatever the umask) so the
    secrets in it are never readable by others; OSError says why it could not."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags, READY_FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), READY_FILE_MODE)  # a umask may have taken the owner's bits
            out.write(json.dumps(info, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read(path: Path) -> dict[str, Any]:
    """The ready file's content; OSError or ValueError when it is missing or not one."""
    data = json.loads(path.read_text("utf-8"))
    if not isinstance(data, dict):
        raise ValueError("not a sipdect ready file")
    return data
