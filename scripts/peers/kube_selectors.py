"""Label and field selectors for the test API server (scripts/peers/kube_emulator.py)."""
from typing import Any, Callable


def parse_selector(text: str) -> list[Callable[[dict], bool]]:
    """Equality, inequality, existence and set-based label requirements, comma-separated."""
    tests = []
    for raw in filter(None, (part.strip() for part in split_selector(text))):
        if " notin " in raw or " in " in raw:
            negate = " notin " in raw
            key, values = raw.split(" notin " if negate else " in ", 1)
            allowed = {v.strip() for v in values.strip().strip("()").split(",")}
            tests.append(lambda labels, k=key.strip(), a=allowed, n=negate: (labels.get(k) in a) != n)
        elif "!=" in raw:
            key, value = raw.split("!=", 1)
            tests.append(lambda labels, k=key.strip(), v=value.strip(): labels.get(k) != v)
        elif "=" in raw:
            key, value = raw.replace("==", "=").split("=", 1)
            tests.append(lambda labels, k=key.strip(), v=value.strip(): labels.get(k) == v)
        elif raw.startswith("!"):
            tests.append(lambda labels, k=raw[1:].strip(): k not in labels)
        else:
            tests.append(lambda labels, k=raw: k in labels)
    return tests


def split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]


def field_value(obj: dict, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part, {}) if isinstance(obj, dict) else {}
    return obj if obj != {} else None
