"""RBAC for the test API server (kube_emulator.py): the daemon's requests are held to the shipped Role.

The emulator is given a file with a `rbac.authorization.k8s.io/v1` Role (and its RoleBinding), such as
deploy/kubernetes/rbac.yaml, and treats it as bound in every namespace, which is what the README tells a
user to do per namespace. Who is held to it:

* requests whose bearer token starts with `system:` are cluster components or the test harness
  (`system:kube-controller-manager`, `system:kube-scheduler`, `system:admin`): not restricted, as the
  controllers' own ClusterRoles allow them far more;
* everything else (the daemon's tokens, anonymous requests, client certificates) is the RoleBinding's
  subject and may do only what the Role's rules allow, in a namespace; cluster-scoped requests are
  refused, since a Role cannot grant them.

A refusal is the API server's 403 Forbidden Status, with its text.
"""
import yaml


class Role:
    def __init__(self, path: str) -> None:
        with open(path) as file:
            documents = [d for d in yaml.safe_load_all(file) if d]
        roles = [d for d in documents if d.get("kind") == "Role"]
        if len(roles) != 1:
            raise ValueError(f"{path}: expected exactly one Role, found {len(roles)}")
        self.name = roles[0]["metadata"]["name"]
        self.rules = roles[0].get("rules") or []
        bindings = [d for d in documents if d.get("kind") == "RoleBinding"]
        subjects = (bindings[0].get("subjects") if bindings else None) or [{"kind": "User", "name": "fargate-cron"}]
        # The user's name in messages: a User subject's name, or a member of the Group subject.
        self.user = subjects[0]["name"]

    def allows(self, verb: str, group: str, resource: str, name: str | None) -> bool:
        for rule in self.rules:
            if verb not in rule.get("verbs", []) and "*" not in rule.get("verbs", []):
                continue
            if group not in rule.get("apiGroups", []) and "*" not in rule.get("apiGroups", []):
                continue
            if resource not in rule.get("resources", []) and "*" not in rule.get("resources", []):
                continue
            names = rule.get("resourceNames")
            if names and name not in names:
                continue
            return True
        return False


def verb_of(method: str, name: str | None, watch: bool) -> str:
    """The RBAC verb of a request, as the API server's request-info resolver finds it."""
    if watch:
        return "watch"
    if method == "GET":
        return "get" if name else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if name else "deletecollection"
    return method.lower()


def is_unrestricted(authorization: str) -> bool:
    return authorization.startswith("Bearer system:")


def forbidden_message(user: str, verb: str, group: str, resource: str, name: str | None, namespace: str | None) -> str:
    plural = resource.split("/")[0]
    what = f"{plural}.{group}" if group else plural
    subject = f'{what} "{name}"' if name else what
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return (f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}"'
            f"{where}")
