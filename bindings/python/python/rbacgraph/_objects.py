"""Python objects to Kubernetes JSON for ``Graph.from_objects``.

Accepted, per object:

- a dict in the API's own shape (camelCase keys), as ``yaml.safe_load_all``,
  ``json.load``, ``kubectl get -o json`` or the official client's
  ``ApiClient().sanitize_for_serialization(obj)`` give;
- a dict from the official ``kubernetes`` client's ``obj.to_dict()``
  (snake_case attribute names such as ``api_version``, ``role_ref``,
  ``non_resource_ur_ls``), recognised by its ``api_version`` key;
- a model object of that client (``V1Role``, ``V1Pod``, …), converted through
  its own ``attribute_map`` exactly as the client serialises it.

Dates and times become ISO 8601 strings. Nothing here knows about RBAC: the
core's loader decodes and validates the JSON like any file.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, Iterable, List

# Attribute names of the official client whose JSON name is not the plain
# camelCase of the snake_case name (generated from acronyms).
_IRREGULAR = {
    "non_resource_ur_ls": "nonResourceURLs",
    "host_pid": "hostPID",
    "host_ipc": "hostIPC",
    "open_apiv3_schema": "openAPIV3Schema",
    "pod_ip": "podIP",
    "pod_i_ps": "podIPs",
    "host_ip": "hostIP",
    "host_i_ps": "hostIPs",
}

# Maps whose keys are data (label keys, annotation keys, Secret keys): never renamed.
_FREE_FORM = frozenset(
    {
        "labels",
        "annotations",
        "match_labels",
        "matchLabels",
        "node_selector",
        "nodeSelector",
        "data",
        "string_data",
        "stringData",
        "binary_data",
        "binaryData",
    }
)


def _camel(name: str) -> str:
    if name in _IRREGULAR:
        return _IRREGULAR[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _plain(value: Any) -> Any:
    """JSON-compatible data from API-shaped dicts, client model objects, dates."""
    openapi_types = getattr(value, "openapi_types", None)
    attribute_map = getattr(value, "attribute_map", None)
    if isinstance(openapi_types, dict) and isinstance(attribute_map, dict):
        out: Dict[str, Any] = {}
        for attr in openapi_types:
            v = getattr(value, attr, None)
            if v is not None:
                out[str(attribute_map.get(attr, attr))] = _plain(v)
        return out
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def _from_snake(value: Any) -> Any:
    """Renames ``to_dict()`` keys to the API's JSON names, drops ``None``."""
    if isinstance(value, dict):
        out: Dict[str, Any] = {}
        for k, v in value.items():
            if v is None:
                continue
            key = _camel(k) if isinstance(k, str) else k
            out[key] = v if k in _FREE_FORM else _from_snake(v)
        return out
    if isinstance(value, list):
        return [_from_snake(v) for v in value]
    return value


def to_documents(objects: Iterable[Any]) -> str:
    """The objects as concatenated JSON documents, one per line, so that
    document ``i`` in sources and diagnostics is the ``i``-th object
    (``None`` entries, which ``yaml.safe_load_all`` gives for empty
    documents, are left out)."""
    lines: List[str] = []
    for obj in objects:
        if obj is None:
            continue
        plain = _plain(obj)
        if isinstance(plain, dict) and "api_version" in plain and "apiVersion" not in plain:
            plain = _from_snake(plain)
        if not isinstance(plain, dict):
            raise TypeError(
                f"from_objects takes Kubernetes objects as dicts or client models, "
                f"not {type(obj).__name__}"
            )
        lines.append(json.dumps(plain, separators=(",", ":")))
    return "\n".join(lines)
