"""What a real kube-apiserver refuses in a batch/v1 Job, for the test API server (kube_emulator.py).

Each rule is the API server's own (k8s.io/apimachinery validation, pkg/apis/batch/validation and the
Job strategy's selector generation), with its message text and field path, so that a test sees the
same 422 `Invalid` Status a cluster sends: one cause per error, the message "Job.batch "NAME" is
invalid: ERR" or "[ERR, ERR]". Quantities that do not parse are refused before validation, as the
API server's decoder does, with 400 BadRequest.

Not modelled (a real server checks them too): most of PodSpec (volumes, probes, security contexts,
affinity), annotation size limits, Indexed completion mode, pod failure policies.
"""
import re

DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = DNS1123_LABEL + r"(\." + DNS1123_LABEL + r")*"
QUALIFIED_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE = r"(" + QUALIFIED_NAME + r")?"
ENV_VAR_NAME = r"[-._a-zA-Z][-._a-zA-Z0-9]*"
QUANTITY = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
QUANTITY_MESSAGE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

SUBDOMAIN_MESSAGE = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                     f"validation is '{DNS1123_SUBDOMAIN}')")
LABEL_MESSAGE = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                 f"start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                 f"validation is '{DNS1123_LABEL}')")
NAME_PART_MESSAGE = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                     "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                     f"validation is '{QUALIFIED_NAME}')")
LABEL_VALUE_MESSAGE = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                       "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
                       f"or '12345', regex used for validation is '{LABEL_VALUE}')")
ENV_MESSAGE = ("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
               f"and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex "
               f"used for validation is '{ENV_VAR_NAME}')")

# The labels the Job controller owns (batch.LegacyJobNameLabel and friends).
JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")
CONTROLLER_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


class BadQuantity(Exception):
    """A quantity the decoder refuses: 400 BadRequest, before any validation."""


def go_value(value) -> str:
    """A value as the API server quotes it in `Invalid value: ...`."""
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(value.items())) + "]"
    return str(value)


class Errors:
    """field.ErrorList: each error renders as the API server's text and as a Status cause."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, str]] = []  # (reason, field, message without the field)

    def invalid(self, field: str, value, detail: str) -> None:
        self.items.append(("FieldValueInvalid", field, f"Invalid value: {go_value(value)}: {detail}"))

    def required(self, field: str, detail: str = "") -> None:
        self.items.append(("FieldValueRequired", field, "Required value" + (f": {detail}" if detail else "")))

    def unsupported(self, field: str, value, supported: list[str]) -> None:
        self.items.append(("FieldValueNotSupported", field, f"Unsupported value: {go_value(value)}: supported values: "
                           + ", ".join(f'"{s}"' for s in supported)))

    def duplicate(self, field: str, value) -> None:
        self.items.append(("FieldValueDuplicate", field, f"Duplicate value: {go_value(value)}"))

    def too_long(self, field: str, value, limit: int) -> None:
        self.items.append(("FieldValueTooLong", field, f"Too long: may not be more than {limit} bytes"))

    def status(self, kind: str, group: str, name: str) -> dict:
        texts = [f"{field}: {message}" for _, field, message in self.items]
        joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        qualified = f"{kind}.{group}" if group else kind
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": f'{qualified} "{name}" is invalid: {joined}', "reason": "Invalid",
                "details": {"name": name, "group": group, "kind": kind,
                            "causes": [{"reason": reason, "message": message, "field": field}
                                       for reason, field, message in self.items]},
                "code": 422}


def full_match(pattern: str, text) -> bool:
    return isinstance(text, str) and re.fullmatch(pattern, text) is not None


def validate_qualified_name(errors: Errors, field: str, key: str) -> None:
    parts = key.split("/")
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.invalid(field, key, "prefix part must be non-empty")
        elif len(prefix) > 253 or not full_match(DNS1123_SUBDOMAIN, prefix):
            errors.invalid(field, key, "prefix part " + SUBDOMAIN_MESSAGE)
    elif len(parts) == 1:
        name = parts[0]
    else:
        errors.invalid(field, key, "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
                       "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                       "'123-abc', regex used for validation is '" + QUALIFIED_NAME + "') with an optional DNS "
                       "subdomain prefix and '/' (e.g. 'example.com/MyName')")
        return
    if not name:
        errors.invalid(field, key, "name part must be non-empty")
    elif len(name) > 63:
        errors.invalid(field, key, "name part must be no more than 63 characters")
    elif not full_match(QUALIFIED_NAME, name):
        errors.invalid(field, key, NAME_PART_MESSAGE)


def validate_labels(errors: Errors, field: str, labels) -> None:
    if labels is None:
        return
    if not isinstance(labels, dict):
        errors.invalid(field, labels, "must be a map of strings")
        return
    for key, value in labels.items():
        validate_qualified_name(errors, field, key)
        if not isinstance(value, str):
            errors.invalid(f"{field}", value, "label values must be strings")
        elif len(value) > 63:
            errors.invalid(field, value, "must be no more than 63 characters")
        elif not full_match(LABEL_VALUE, value):
            errors.invalid(field, value, LABEL_VALUE_MESSAGE)


def validate_object_meta(errors: Errors, meta: dict, field: str = "metadata", name_required: bool = True) -> None:
    name = meta.get("name")
    if name_required and not name and not meta.get("generateName"):
        errors.required(f"{field}.name", "name or generateName is required")
    elif name and (len(name) > 253 or not full_match(DNS1123_SUBDOMAIN, name)):
        errors.invalid(f"{field}.name", name, SUBDOMAIN_MESSAGE)
    validate_labels(errors, f"{field}.labels", meta.get("labels"))
    annotations = meta.get("annotations") or {}
    for key in annotations:
        validate_qualified_name(errors, f"{field}.annotations", key.lower())


def parse_quantity(text) -> float:
    """The value of a quantity (numbers are accepted as JSON numbers, as the decoder does)."""
    if isinstance(text, bool) or text is None:
        raise BadQuantity(QUANTITY_MESSAGE)
    if isinstance(text, (int, float)):
        return float(text)
    match = QUANTITY.match(str(text))
    if not match:
        raise BadQuantity(QUANTITY_MESSAGE)
    number, suffix = match.groups()
    try:
        value = float(number)
    except ValueError:
        raise BadQuantity(QUANTITY_MESSAGE) from None
    binary = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
    decimal = {"": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
    if suffix in binary:
        return value * binary[suffix]
    if suffix in decimal:
        return value * decimal[suffix]
    if suffix[:1] in "eE" and re.fullmatch(r"[eE][-+]?[0-9]+", suffix):
        return value * 10 ** int(suffix[1:])
    raise BadQuantity(QUANTITY_MESSAGE)


def check_quantities(obj: dict) -> None:
    """Raises BadQuantity for any container resource that does not decode."""
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        resources = (container or {}).get("resources") or {}
        for section in ("requests", "limits"):
            for value in (resources.get(section) or {}).values():
                parse_quantity(value)


def validate_container(errors: Errors, container, field: str, names: set) -> None:
    if not isinstance(container, dict):
        errors.invalid(field, container, "must be an object")
        return
    name = container.get("name")
    if not name:
        errors.required(f"{field}.name")
    elif not full_match(DNS1123_LABEL, name) or len(name) > 63:
        errors.invalid(f"{field}.name", name, LABEL_MESSAGE)
    elif name in names:
        errors.duplicate(f"{field}.name", name)
    else:
        names.add(name)
    if not container.get("image"):
        errors.required(f"{field}.image")
    for index, env in enumerate(container.get("env") or []):
        env_name = (env or {}).get("name")
        if not env_name:
            errors.required(f"{field}.env[{index}].name")
        elif not full_match(ENV_VAR_NAME, env_name):
            errors.invalid(f"{field}.env[{index}].name", env_name, ENV_MESSAGE)
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    for section, values in (("requests", requests), ("limits", limits)):
        for key, value in values.items():
            if parse_quantity(value) < 0:
                errors.invalid(f"{field}.resources.{section}[{key}]", value, "must be greater than or equal to 0")
    for key, value in requests.items():
        if key in limits and parse_quantity(value) > parse_quantity(limits[key]):
            errors.invalid(f"{field}.resources.requests", value, f"must be less than or equal to {key} limit of {limits[key]}")


def selector_matches(selector: dict, labels: dict) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if operator == "In" and (not present or labels[key] not in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def prepare_and_validate_job(job: dict) -> Errors:
    """The Job strategy's PrepareForCreate (selector and labels generated, status cleared), then validation.

    `job` must already carry metadata.name (after generateName) and metadata.uid; it is changed in place
    as the API server changes what it stores.
    """
    errors = Errors()
    meta = job.setdefault("metadata", {})
    validate_object_meta(errors, meta)
    job.pop("status", None)
    spec = job.get("spec")
    if not isinstance(spec, dict):
        errors.required("spec")
        return errors
    template = spec.get("template")
    if not isinstance(template, dict):
        errors.required("spec.template")
        return errors
    template_meta = template.setdefault("metadata", {})
    validate_labels(errors, "spec.template.metadata.labels", template_meta.get("labels"))
    manual = spec.get("manualSelector") is True
    if not manual:
        # generateSelector: the Job's own labels on its pods, and a selector of its uid.
        labels = template_meta.setdefault("labels", {}) if template_meta.get("labels") is not None else None
        if labels is None:
            labels = template_meta["labels"] = {}
        for key in JOB_NAME_LABELS:
            labels.setdefault(key, meta.get("name", ""))
        for key in CONTROLLER_UID_LABELS:
            labels.setdefault(key, meta.get("uid", ""))
        selector = spec.setdefault("selector", {})
        selector.setdefault("matchLabels", {}).setdefault("batch.kubernetes.io/controller-uid", meta.get("uid", ""))
        # validateGeneratedSelector
        expected = {}
        for key, value in ((CONTROLLER_UID_LABELS[0], meta.get("uid")), (JOB_NAME_LABELS[0], meta.get("name")),
                           (CONTROLLER_UID_LABELS[1], meta.get("uid")), (JOB_NAME_LABELS[1], meta.get("name"))):
            actual = labels.get(key)
            if actual != value:
                errors.invalid(f"spec.template.metadata.labels[{key}]", actual, f"must be '{value}'")
            expected[key] = value
        if not selector_matches(selector, expected):
            errors.invalid("spec.selector", selector, "`selector` not auto-generated")
        # The job-name label value is the Job's name: a name over 63 characters fails here.
        for key in JOB_NAME_LABELS:
            value = labels.get(key, "")
            if len(value) > 63:
                errors.invalid("spec.template.labels", value, "must be no more than 63 characters")
                break
    else:
        selector = spec.get("selector")
        if not selector:
            errors.required("spec.selector")
        elif not selector_matches(selector, template_meta.get("labels") or {}):
            errors.invalid("spec.template.metadata.labels", template_meta.get("labels") or {},
                           "`selector` does not match template `labels`")
    pod = template.get("spec")
    if not isinstance(pod, dict):
        errors.required("spec.template.spec")
        return errors
    containers = pod.get("containers")
    names: set = set()
    if not containers:
        errors.required("spec.template.spec.containers")
    for index, container in enumerate(pod.get("initContainers") or []):
        validate_container(errors, container, f"spec.template.spec.initContainers[{index}]", names)
    for index, container in enumerate(containers or []):
        validate_container(errors, container, f"spec.template.spec.containers[{index}]", names)
    policy = pod.get("restartPolicy") or "Always"  # the pod default, which a Job refuses
    if policy not in ("OnFailure", "Never"):
        errors.unsupported("spec.template.spec.restartPolicy", policy, ["OnFailure", "Never"])
    account = pod.get("serviceAccountName")
    if account and not full_match(DNS1123_SUBDOMAIN, account):
        errors.invalid("spec.template.spec.serviceAccountName", account, SUBDOMAIN_MESSAGE)
    for field, minimum in (("backoffLimit", 0), ("parallelism", 0), ("completions", 0), ("activeDeadlineSeconds", 1)):
        value = spec.get(field)
        if value is not None and (not isinstance(value, int) or value < minimum):
            detail = "must be greater than or equal to 0" if minimum == 0 else "must be greater than 0"
            errors.invalid(f"spec.{field}", value, detail)
    return errors
