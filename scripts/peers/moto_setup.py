#!/usr/bin/env python3
"""Prepares a fresh moto_server (started with INITIAL_NO_AUTH_ACTION_COUNT=3) for the ECS tests.

Spends the three unchecked actions on an IAM user, its access key and an allow-all inline policy;
from then on moto checks every request's SigV4 signature against that key. Sets moto's ECS task
transitions to manual, so that moto's own status stays put while scripts/peers/moto_ecs_front.py
drives each task's lifecycle. Prints the key as KEY=VALUE lines for $PEER_ENV.

Usage: moto_setup.py --endpoint http://127.0.0.1:PORT --region us-east-1
"""
import argparse
import json
import urllib.request

import botocore.session


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--region", required=True)
    args = parser.parse_args()
    session = botocore.session.get_session()
    # Any key will do for the unchecked actions.
    iam = session.create_client("iam", endpoint_url=args.endpoint, region_name=args.region,
                                aws_access_key_id="AKIAFARGATECRONSETUP", aws_secret_access_key="setup")
    iam.create_user(UserName="fargate-cron-tests")
    key = iam.create_access_key(UserName="fargate-cron-tests")["AccessKey"]
    iam.put_user_policy(UserName="fargate-cron-tests", PolicyName="all", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }))
    request = urllib.request.Request(
        f"{args.endpoint}/moto-api/state-manager/set-transition", method="POST",
        data=json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1_000_000_000}}).encode())
    with urllib.request.urlopen(request) as response:
        response.read()
    print(f"FARGATE_CRON_TEST_MOTO_ACCESS_KEY_ID={key['AccessKeyId']}")
    print(f"FARGATE_CRON_TEST_MOTO_SECRET_ACCESS_KEY={key['SecretAccessKey']}")


if __name__ == "__main__":
    main()
