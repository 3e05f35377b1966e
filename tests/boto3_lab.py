"""boto3 (botocore's parsers, as the AWS CLI uses) against `ssmdeck lab serve`.

Run by scripts/test with the environment the lab printed (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). The `small` fleet has
24 nodes.
"""

import os
import sys

import boto3
import botocore.exceptions

FAILURES = []
PASSED = 0


def check(name, fn):
    global PASSED
    try:
        fn()
        PASSED += 1
        print(f"ok   {name}")
    except Exception as e:  # noqa: BLE001 - report every failure
        FAILURES.append(name)
        print(f"FAIL {name}: {e!r}")


def session():
    return boto3.session.Session(region_name=os.environ["AWS_REGION"])


def describe_instance_information_pages():
    ssm = session().client("ssm")
    ids = []
    for page in ssm.get_paginator("describe_instance_information").paginate(
        PaginationConfig={"PageSize": 5}
    ):
        ids += [i["InstanceId"] for i in page["InstanceInformationList"]]
    assert len(ids) == 24, len(ids)
    assert len(set(ids)) == 24
    assert all(i.startswith(("i-", "mi-")) for i in ids)


def list_tags_for_hybrid_node():
    ssm = session().client("ssm")
    nodes = ssm.describe_instance_information(MaxResults=50)["InstanceInformationList"]
    hybrid = [n for n in nodes if n["InstanceId"].startswith("mi-")]
    assert hybrid, "the small fleet has hybrid nodes"
    tags = ssm.list_tags_for_resource(
        ResourceType="ManagedInstance", ResourceId=hybrid[0]["InstanceId"]
    )["TagList"]
    assert {"Name", "Env", "Role", "Team"} <= {t["Key"] for t in tags}, tags


def ec2_describe_instances():
    ec2 = session().client("ec2")
    found = []
    for page in ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": ["running", "stopped"]}],
        PaginationConfig={"PageSize": 5},
    ):
        for r in page["Reservations"]:
            for i in r["Instances"]:
                assert i["InstanceId"].startswith("i-")
                assert i["State"]["Name"] in ("running", "stopped")
                assert any(t["Key"] == "Name" for t in i["Tags"])
                found.append(i["InstanceId"])
    assert found


def sts_caller_identity():
    ident = session().client("sts").get_caller_identity()
    assert ident["Account"] == "123456789012", ident


def wrong_secret_is_refused():
    bad = boto3.session.Session(
        region_name=os.environ["AWS_REGION"],
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key="wrong",
    ).client("ssm")
    try:
        bad.describe_instance_information()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "SignatureDoesNotMatch", e.response
    else:
        raise AssertionError("a wrongly signed request was accepted")


def unknown_action_is_aws_error():
    ssm = session().client("ssm")
    try:
        ssm.describe_maintenance_windows()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "UnknownOperationException", e.response
    else:
        raise AssertionError("unknown action answered as success")


def opscenter_round_trip():
    ssm = session().client("ssm")
    items = []
    for page in ssm.get_paginator("describe_ops_items").paginate(
        OpsItemFilters=[{"Key": "Status", "Values": ["Open", "InProgress"], "Operator": "Equal"}],
        PaginationConfig={"PageSize": 5},
    ):
        items += page["OpsItemSummaries"]
    assert items, "the small preset seeds open OpsItems"
    assert all(i["Status"] in ("Open", "InProgress") for i in items)
    oid = items[0]["OpsItemId"]
    ssm.update_ops_item(
        OpsItemId=oid,
        Status="InProgress",
        OperationalData={"note:boto3": {"Value": "from boto3", "Type": "String"}},
    )
    item = ssm.get_ops_item(OpsItemId=oid)["OpsItem"]
    assert item["Status"] == "InProgress", item
    assert item["OperationalData"]["note:boto3"]["Value"] == "from boto3"
    assert hasattr(item["LastModifiedTime"], "year"), "timestamps parse as datetimes"
    events = ssm.list_ops_item_events(
        Filters=[{"Key": "OpsItemId", "Values": [oid], "Operator": "Equal"}]
    )["Summaries"]
    assert all(e["OpsItemId"] == oid for e in events)
    try:
        ssm.update_ops_item(OpsItemId=oid, Priority=9)
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ValidationException", e.response
    except botocore.exceptions.ParamValidationError:
        pass  # botocore checks the range itself before sending
    else:
        raise AssertionError("priority 9 accepted")


for name, fn in [
    ("DescribeInstanceInformation every page", describe_instance_information_pages),
    ("ListTagsForResource ManagedInstance", list_tags_for_hybrid_node),
    ("EC2 DescribeInstances pages", ec2_describe_instances),
    ("STS GetCallerIdentity", sts_caller_identity),
    ("wrong secret -> SignatureDoesNotMatch", wrong_secret_is_refused),
    ("unknown action -> UnknownOperationException", unknown_action_is_aws_error),
    ("OpsCenter describe/update/get/events", opscenter_round_trip),
]:
    check(name, fn)

print(f"boto3: {PASSED} passed, {len(FAILURES)} failed")
sys.exit(1 if FAILURES else 0)
