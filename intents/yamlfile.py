"""Reading the shipped YAML files (catalog, replies, FAQ, intents) with libyaml's parser.

Every start of the server reads them, and parsing them was a third of a start's CPU with
PyYAML's pure-Python parser; libyaml's (in PyYAML's wheels) takes a third of that. Its
errors give the line and column without the quoted line. Text an operator uploads is
parsed where it is checked, with the pure-Python parser's fuller messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The YAML document in `path` (safe types only); OSError or yaml.YAMLError otherwise."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
