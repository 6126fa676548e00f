#!/usr/bin/env python3
"""Records what `aws eks get-token` (PyPI awscli) prints for fixed credentials at a fixed instant.

The Kubernetes tests compare fargate-cron's native EKS token with this output, byte for byte.
botocore and awscli read the clock through `get_current_datetime`; this wrapper replaces both
with a frozen instant, gives awscli only the fixed credentials (no files, no metadata service),
and runs the real `aws eks get-token` entry point.

    scripts/eks-token-fixture.py > Tests/KubernetesTests/Fixtures/aws-eks-get-token.json
"""
import datetime
import os
import sys

FROZEN = datetime.datetime(2026, 3, 8, 7, 30, 15, tzinfo=datetime.timezone.utc)


def frozen_now(remove_tzinfo=True):
    return FROZEN.replace(tzinfo=None) if remove_tzinfo else FROZEN


def main() -> int:
    env = {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE/session+token==",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for key in [k for k in os.environ if k.startswith("AWS_") or k == "KUBERNETES_EXEC_INFO"]:
        del os.environ[key]
    os.environ.update(env)

    import awscli.compat
    import botocore.auth
    import botocore.compat
    import awscli.customizations.eks.get_token as get_token

    botocore.compat.get_current_datetime = frozen_now
    botocore.auth.get_current_datetime = frozen_now
    awscli.compat.get_current_datetime = frozen_now
    get_token.get_current_datetime = frozen_now

    from awscli.clidriver import create_clidriver
    return create_clidriver().main(["eks", "get-token", "--cluster-name", "nightly-batch", "--region", "ap-northeast-1",
                     "--output", "json"])


if __name__ == "__main__":
    sys.exit(main())
