"""Strict checks of lab responses against botocore's service models.

botocore's parsers are lenient: a member the model does not have is dropped,
a missing required member is simply absent. These checks are not: given the
raw body of a response (JSON for SSM and Organizations, XML for STS), every
member must be one the output shape names, every required member must be
there, and every value must have the model's type, enum, length/range and
(where Python's `re` can read it) pattern. Error codes must be ones the
operation's model lists (an error shape's `error.code`, else its name) or a
common error of the protocol.

Used by tests/boto3_lab.py: `Recorder(client)` keeps the raw body of every
response; `check_response(client, op, body)` raises AssertionError naming the
path of the first mismatch.
"""

import base64
import datetime
import json
import re
import xml.etree.ElementTree as ET

# Errors any JSON service (SSM, Organizations) may answer besides the
# operation's own, and those of the query protocol (STS).
COMMON_JSON = {
    "ValidationException",
    "AccessDeniedException",
    "ThrottlingException",
    "InternalFailure",
    "ServiceUnavailable",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "UnrecognizedClientException",
    "InvalidSignatureException",
}
COMMON_QUERY = {
    "AccessDenied",
    "ValidationError",
    "InvalidAction",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "Throttling",
    "InternalFailure",
    "ServiceUnavailable",
}


class Recorder:
    """Keeps the raw body of the last response of `client`, per operation."""

    def __init__(self, client):
        self.bodies = {}
        client.meta.events.register("after-call", self._keep)

    def _keep(self, http_response, model, **_):
        self.bodies[model.name] = http_response.content


def _pattern_ok(pattern, text):
    if "\\p" in pattern or "\\u" in pattern:
        return True  # Java-only classes; Python's re cannot read them
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def _scalar(shape, value, path, from_xml):
    t = shape.type_name
    meta = shape.metadata
    if t == "string":
        assert isinstance(value, str), f"{path}: {value!r} is not a string"
        enum = shape.enum
        if enum:
            assert value in enum, f"{path}: {value!r} is not one of {enum}"
        if "min" in meta:
            assert len(value) >= meta["min"], f"{path}: shorter than {meta['min']}"
        if "max" in meta:
            assert len(value) <= meta["max"], f"{path}: longer than {meta['max']}"
        if "pattern" in meta:
            assert _pattern_ok(meta["pattern"], value), f"{path}: {value!r} !~ {meta['pattern']}"
    elif t in ("integer", "long"):
        if from_xml:
            assert re.fullmatch(r"-?\d+", value), f"{path}: {value!r} is not an integer"
            value = int(value)
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: {value!r} is not an integer"
        if "min" in meta:
            assert value >= meta["min"], f"{path}: {value} < {meta['min']}"
        if "max" in meta:
            assert value <= meta["max"], f"{path}: {value} > {meta['max']}"
    elif t in ("float", "double"):
        if from_xml:
            value = float(value)
        assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{path}: {value!r}"
    elif t == "boolean":
        if from_xml:
            assert value in ("true", "false"), f"{path}: {value!r} is not a boolean"
        else:
            assert isinstance(value, bool), f"{path}: {value!r} is not a boolean"
    elif t == "timestamp":
        if from_xml:
            datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (
                f"{path}: {value!r} is not epoch seconds"
            )
    elif t == "blob":
        assert isinstance(value, str), f"{path}: blob {value!r}"
        base64.b64decode(value, validate=True)
    else:
        raise AssertionError(f"{path}: shape type {t} not handled")


def check_json(shape, value, path="$"):
    """`value` (decoded JSON) has exactly the form of `shape`."""
    t = shape.type_name
    if t == "structure":
        assert isinstance(value, dict), f"{path}: {type(value).__name__} is not an object"
        members = shape.members
        for k in shape.required_members:
            assert k in value, f"{path}: required member {k} missing"
        for k, v in value.items():
            assert k in members, f"{path}: member {k} is not in {shape.name} ({sorted(members)})"
            check_json(members[k], v, f"{path}.{k}")
        if shape.is_tagged_union:
            assert len(value) == 1, f"{path}: a union has exactly one member"
    elif t == "list":
        assert isinstance(value, list), f"{path}: not a list"
        _bounds(shape, len(value), path)
        for i, v in enumerate(value):
            check_json(shape.member, v, f"{path}[{i}]")
    elif t == "map":
        assert isinstance(value, dict), f"{path}: not a map"
        _bounds(shape, len(value), path)
        for k, v in value.items():
            _scalar(shape.key, k, f"{path} key {k!r}", False)
            check_json(shape.value, v, f"{path}[{k!r}]")
    else:
        _scalar(shape, value, path, False)


def _bounds(shape, n, path):
    meta = shape.metadata
    if "min" in meta:
        assert n >= meta["min"], f"{path}: {n} entries, fewer than {meta['min']}"
    if "max" in meta:
        assert n <= meta["max"], f"{path}: {n} entries, more than {meta['max']}"


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def check_xml(shape, elem, path="$"):
    """`elem` (an XML element of a query-protocol answer) has the form of `shape`."""
    t = shape.type_name
    if t == "structure":
        members = shape.members
        names = {(_local(c.tag)) for c in elem}
        for k in shape.required_members:
            assert k in names, f"{path}: required member {k} missing"
        for c in elem:
            k = _local(c.tag)
            assert k in members, f"{path}: member {k} is not in {shape.name} ({sorted(members)})"
            check_xml(members[k], c, f"{path}.{k}")
    elif t == "list":
        kids = list(elem)
        assert all(_local(c.tag) == "member" for c in kids), f"{path}: list entries must be <member>"
        _bounds(shape, len(kids), path)
        for i, c in enumerate(kids):
            check_xml(shape.member, c, f"{path}[{i}]")
    else:
        assert len(elem) == 0, f"{path}: a scalar has no child elements"
        _scalar(shape, elem.text or "", path, True)


def check_response(client, operation, body):
    """The raw `body` of `operation` (e.g. "ListNodes") has the model's output shape."""
    op = client.meta.service_model.operation_model(operation)
    shape = op.output_shape
    protocol = client.meta.service_model.protocol
    if protocol == "query":
        root = ET.fromstring(body)
        assert _local(root.tag) == f"{operation}Response", f"root {_local(root.tag)}"
        results = [c for c in root if _local(c.tag) == f"{operation}Result"]
        assert len(results) == 1, f"{operation}: one <{operation}Result>"
        check_xml(shape, results[0], f"{operation}Result")
        others = {_local(c.tag) for c in root} - {f"{operation}Result", "ResponseMetadata"}
        assert not others, f"{operation}: unexpected elements {others}"
    else:
        check_json(shape, json.loads(body or b"{}"), operation)


def check_error(client, operation, error):
    """A ClientError of `operation` carries a code the model lists for it (or a common one)."""
    service = client.meta.service_model
    op = service.operation_model(operation)
    listed = {s.metadata.get("error", {}).get("code", s.name) for s in op.error_shapes}
    common = COMMON_QUERY if service.protocol == "query" else COMMON_JSON
    code = error.response["Error"]["Code"]
    assert code in listed or code in common, f"{operation}: {code} is not in {sorted(listed)} nor common"
    return code
