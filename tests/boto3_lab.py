"""boto3 (botocore's parsers, as the AWS CLI uses) against `ssmdeck lab serve`.

Run by scripts/test with the environment the lab printed (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) of
`ssmdeck lab serve --fleet small --accounts 3 --regions us-east-1,eu-west-1
--aws-config-dir DIR`, and SSMDECK_LAB_AWS_DIR=DIR. The `small` fleet has
24 nodes in the first tenant. Responses of STS, Organizations and the SSM
Explorer calls are checked strictly against botocore's model
(tests/model_shapes.py).
"""

import json
import os
import sys

import boto3
import botocore.exceptions

import model_shapes

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
    ssm, rec = strict("ssm")
    ids = []
    for page in ssm.get_paginator("describe_instance_information").paginate(
        PaginationConfig={"PageSize": 5}
    ):
        body = rec.bodies["DescribeInstanceInformation"]
        model_shapes.check_response(ssm, "DescribeInstanceInformation", body)
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
        ssm.describe_available_patches()
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


def strict(service, region=None, session_=None):
    """A client whose raw responses are recorded for the model checks."""
    client = (session_ or session()).client(service, region_name=region)
    return client, model_shapes.Recorder(client)


def call(client, rec, operation, method, **kwargs):
    """Calls `method`, checks its raw answer against the model, returns the parsed one."""
    out = getattr(client, method)(**kwargs)
    model_shapes.check_response(client, operation, rec.bodies[operation])
    return out


def refused(client, operation, method, **kwargs):
    """Calls `method`, which must fail with a code the model lists; returns the code."""
    try:
        getattr(client, method)(**kwargs)
    except botocore.exceptions.ClientError as e:
        return model_shapes.check_error(client, operation, e)
    raise AssertionError(f"{operation} {kwargs} succeeded")


def sts_shapes():
    sts, rec = strict("sts")
    ident = call(sts, rec, "GetCallerIdentity", "get_caller_identity")
    out = call(
        sts,
        rec,
        "AssumeRole",
        "assume_role",
        RoleArn=f"arn:aws:iam::{accounts()[1]}:role/ssmdeck-operator",
        RoleSessionName="boto3-check",
        DurationSeconds=900,
    )
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert hasattr(out["Credentials"]["Expiration"], "year")
    assert ident["Account"] == accounts()[0]
    code = refused(
        sts,
        "AssumeRole",
        "assume_role",
        RoleArn="arn:aws:iam::999999999999:role/x",
        RoleSessionName="boto3-check",
    )
    assert code == "AccessDenied", code
    code = refused(
        sts,
        "AssumeRole",
        "assume_role",
        RoleArn=f"arn:aws:iam::{accounts()[1]}:role/x",
        RoleSessionName="boto3-check",
        DurationSeconds=43201,
    )
    assert code == "ValidationError", code


def accounts():
    org, rec = strict("organizations", "us-east-1")
    ids = []
    for page in org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2}):
        model_shapes.check_response(org, "ListAccounts", rec.bodies["ListAccounts"])
        ids += [a["Id"] for a in page["Accounts"]]
    mgmt = org.describe_organization()["Organization"]["MasterAccountId"]
    return [mgmt] + sorted(i for i in ids if i != mgmt)


def organizations_shapes():
    org, rec = strict("organizations", "us-east-1")
    ids = accounts()
    assert len(ids) == 3, ids
    o = call(org, rec, "DescribeOrganization", "describe_organization")["Organization"]
    assert o["MasterAccountId"] == "123456789012", o
    d = call(org, rec, "ListDelegatedAdministrators", "list_delegated_administrators")
    assert [a["Id"] for a in d["DelegatedAdministrators"]] == [ids[1]], d
    code = refused(org, "ListAccounts", "list_accounts", NextToken="bogus")
    assert code == "InvalidInputException", code
    member = boto3.session.Session(profile_name="lab-2")
    morg, _ = strict("organizations", "us-east-1", member)
    code = refused(morg, "ListAccounts", "list_accounts")
    assert code == "AccessDeniedException", code


def profile_lab_1_reaches_account_1():
    # AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE from `--aws-config-dir`.
    ids = accounts()
    mine = {n["InstanceId"] for p in session().client("ssm").get_paginator(
        "describe_instance_information").paginate() for n in p["InstanceInformationList"]}
    for k, account in enumerate(ids):
        s = boto3.session.Session(profile_name=f"lab-{k}")
        assert s.region_name == "us-east-1", s.region_name
        assert s.client("sts").get_caller_identity()["Account"] == account
        nodes = [
            n
            for p in s.client("ssm").get_paginator("list_nodes").paginate()
            for n in p["Nodes"]
        ]
        assert nodes and all(n["Owner"]["AccountId"] == account for n in nodes), account
        ids_k = {n["Id"] for n in nodes}
        assert (ids_k == mine) == (k == 0), f"lab-{k} sees its own account's nodes"


def explorer_shapes():
    ssm, rec = strict("ssm")
    total = 0
    for page in ssm.get_paginator("list_nodes").paginate(PaginationConfig={"PageSize": 7}):
        model_shapes.check_response(ssm, "ListNodes", rec.bodies["ListNodes"])
        total += len(page["Nodes"])
    assert total == 24, total
    synced = 0
    for page in ssm.get_paginator("list_nodes").paginate(SyncName="AWS-QuickSetup-ManagedNode"):
        model_shapes.check_response(ssm, "ListNodes", rec.bodies["ListNodes"])
        synced += len(page["Nodes"])
    assert synced > total, (synced, total)
    for attribute in ["AgentVersion", "PlatformName", "PlatformType", "PlatformVersion", "Region", "ResourceType"]:
        out = call(
            ssm,
            rec,
            "ListNodesSummary",
            "list_nodes_summary",
            SyncName="AWS-QuickSetup-ManagedNode",
            Aggregators=[{
                "AggregatorType": "Count",
                "TypeName": "Instance",
                "AttributeName": attribute,
                "Aggregators": [{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "PlatformType"}],
            }],
        )
        assert out["Summary"] and all("Count" in s and attribute in s for s in out["Summary"]), out
    n = sum(
        int(s["Count"])
        for p in ssm.get_paginator("list_nodes_summary").paginate(
            Aggregators=[{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "Region"}],
            PaginationConfig={"PageSize": 1},
        )
        for s in p["Summary"]
    )
    assert n == 24, n
    for attribute in ["Status", "Severity"]:
        for sync in [None, "AWS-QuickSetup-ManagedNode"]:
            kwargs = {"SyncName": sync} if sync else {}
            out = call(
                ssm,
                rec,
                "GetOpsSummary",
                "get_ops_summary",
                Aggregators=[{"AggregatorType": "count", "TypeName": "AWS:OpsItem", "AttributeName": attribute}],
                **kwargs,
            )
            assert out["Entities"], out
    codes = [
        refused(ssm, "ListNodes", "list_nodes", SyncName="no-such-sync"),
        refused(ssm, "ListNodes", "list_nodes", NextToken="bogus"),
        refused(
            ssm,
            "ListNodesSummary",
            "list_nodes_summary",
            SyncName="no-such-sync",
            Aggregators=[{"AggregatorType": "Count", "TypeName": "Instance", "AttributeName": "Region"}],
        ),
        refused(
            ssm,
            "GetOpsSummary",
            "get_ops_summary",
            SyncName="no-such-sync",
            Aggregators=[{"AggregatorType": "count", "TypeName": "AWS:OpsItem", "AttributeName": "Status"}],
        ),
        refused(
            ssm,
            "GetOpsSummary",
            "get_ops_summary",
            Aggregators=[{"AggregatorType": "count", "TypeName": "AWS:Nope", "AttributeName": "Status"}],
        ),
    ]
    assert codes == [
        "ResourceDataSyncNotFoundException",
        "InvalidNextToken",
        "ResourceDataSyncNotFoundException",
        "ResourceDataSyncNotFoundException",
        "InvalidTypeNameException",
    ], codes


def model_checks_catch_mismatches():
    """The strict checks fail on bodies that botocore would parse silently."""
    ssm, rec = strict("ssm")
    call(ssm, rec, "ListNodes", "list_nodes", MaxResults=1)
    good = rec.bodies["ListNodes"]
    node = json.loads(good)["Nodes"][0]
    bad_bodies = {
        "unknown member": {"Nodes": [dict(node, Colour="red")]},
        "enum": {"Nodes": [dict(node, NodeType={"Instance": dict(node["NodeType"]["Instance"], PlatformType="Solaris")})]},
        "timestamp as text": {"Nodes": [dict(node, CaptureTime="yesterday")]},
        "two union members": {"Nodes": [dict(node, NodeType=dict(node["NodeType"], Other={}))]},
    }
    for what, body in bad_bodies.items():
        try:
            model_shapes.check_response(ssm, "ListNodes", json.dumps(body).encode())
        except AssertionError:
            continue
        raise AssertionError(f"ListNodes with a wrong {what} passed the model check")
    sts, srec = strict("sts")
    call(sts, srec, "GetCallerIdentity", "get_caller_identity")
    xml = srec.bodies["GetCallerIdentity"].decode()
    for what, body in {
        "unknown element": xml.replace("<Account>", "<Colour>x</Colour><Account>"),
        "wrong result element": xml.replace("GetCallerIdentityResult>", "Result>"),
    }.items():
        try:
            model_shapes.check_response(sts, "GetCallerIdentity", body.encode())
        except AssertionError:
            continue
        raise AssertionError(f"GetCallerIdentity with a {what} passed the model check")


def maintenance_windows_and_calendars():
    """The maintenance window reads the console makes, and the change
    calendars, parsed by botocore and checked strictly against its model;
    every page of the windows; errors with the codes the model lists."""
    ssm, rec = strict("ssm")
    windows = []
    for page in ssm.get_paginator("describe_maintenance_windows").paginate(
        PaginationConfig={"PageSize": 10}
    ):
        model_shapes.check_response(ssm, "DescribeMaintenanceWindows", rec.bodies["DescribeMaintenanceWindows"])
        windows += page["WindowIdentities"]
    names = sorted(w["Name"] for w in windows)
    assert names == ["canary-check", "dev-cleanup", "prod-patching", "staging-restart"], names
    by = {w["Name"]: w for w in windows}
    assert "NextExecutionTime" not in by["dev-cleanup"], "a disabled window has no next run"
    assert by["prod-patching"]["ScheduleTimezone"] == "Asia/Tokyo"
    wid = by["staging-restart"]["WindowId"]
    call(ssm, rec, "DescribeMaintenanceWindowTargets", "describe_maintenance_window_targets", WindowId=wid)
    tasks = call(ssm, rec, "DescribeMaintenanceWindowTasks", "describe_maintenance_window_tasks", WindowId=wid)
    assert tasks["Tasks"][0]["Type"] == "RUN_COMMAND"
    runs = call(ssm, rec, "DescribeMaintenanceWindowExecutions", "describe_maintenance_window_executions", WindowId=wid)
    statuses = {x["Status"] for x in runs["WindowExecutions"]}
    assert {"SUCCESS", "FAILED", "CANCELLED"} <= statuses, statuses
    failed = next(x for x in runs["WindowExecutions"] if x["Status"] == "FAILED")
    tasks = call(
        ssm, rec, "DescribeMaintenanceWindowExecutionTasks", "describe_maintenance_window_execution_tasks",
        WindowExecutionId=failed["WindowExecutionId"],
    )
    task = tasks["WindowExecutionTaskIdentities"][0]
    call(
        ssm, rec, "DescribeMaintenanceWindowExecutionTaskInvocations",
        "describe_maintenance_window_execution_task_invocations",
        WindowExecutionId=failed["WindowExecutionId"], TaskId=task["TaskExecutionId"],
    )
    sched = call(ssm, rec, "DescribeMaintenanceWindowSchedule", "describe_maintenance_window_schedule", WindowId=wid)
    assert sched["ScheduledWindowExecutions"][0]["ExecutionTime"] == by["staging-restart"]["NextExecutionTime"]
    cals = call(
        ssm, rec, "ListDocuments", "list_documents",
        Filters=[{"Key": "DocumentType", "Values": ["ChangeCalendar"]}],
    )
    cal_names = sorted(d["Name"] for d in cals["DocumentIdentifiers"])
    assert cal_names == ["prod-change-freeze", "weekend-change-window"], cal_names
    state = call(ssm, rec, "GetCalendarState", "get_calendar_state", CalendarNames=["prod-change-freeze"])
    assert state["State"] == "CLOSED", state
    text = call(ssm, rec, "GetDocument", "get_document", Name="prod-change-freeze", DocumentFormat="TEXT")
    assert "BEGIN:VCALENDAR" in text["Content"]
    assert refused(ssm, "GetMaintenanceWindow", "get_maintenance_window", WindowId="mw-0123456789abcdef0") == "DoesNotExistException"
    assert refused(ssm, "GetCalendarState", "get_calendar_state", CalendarNames=["no-such-calendar"])


def automation_and_documents():
    """The Automation reads and writes the console makes, and the documents
    browser's reads, parsed by botocore and checked strictly against its
    model; errors with the codes the model lists."""
    ssm, rec = strict("ssm")
    seen = []
    for page in ssm.get_paginator("describe_automation_executions").paginate(
        PaginationConfig={"PageSize": 5}
    ):
        model_shapes.check_response(ssm, "DescribeAutomationExecutions", rec.bodies["DescribeAutomationExecutions"])
        seen += page["AutomationExecutionMetadataList"]
    statuses = {e["AutomationExecutionStatus"] for e in seen}
    assert {"Success", "Failed"} <= statuses, statuses
    node = next(
        n["InstanceId"]
        for n in ssm.describe_instance_information()["InstanceInformationList"]
        if n["InstanceId"].startswith("i-")
    )
    started = call(
        ssm, rec, "StartAutomationExecution", "start_automation_execution",
        DocumentName="AWS-RestartEC2Instance", Parameters={"InstanceId": [node]},
    )
    xid = started["AutomationExecutionId"]
    got = call(ssm, rec, "GetAutomationExecution", "get_automation_execution", AutomationExecutionId=xid)
    assert got["AutomationExecution"]["DocumentName"] == "AWS-RestartEC2Instance"
    call(ssm, rec, "DescribeAutomationStepExecutions", "describe_automation_step_executions", AutomationExecutionId=xid)
    call(ssm, rec, "StopAutomationExecution", "stop_automation_execution", AutomationExecutionId=xid, Type="Cancel")
    assert refused(
        ssm, "GetAutomationExecution", "get_automation_execution",
        AutomationExecutionId="00000000-0000-4000-8000-000000000000",
    ) == "AutomationExecutionNotFoundException"
    assert refused(
        ssm, "StartAutomationExecution", "start_automation_execution",
        DocumentName="AWS-RestartEC2Instance", Parameters={"Nope": ["x"]},
    ) == "InvalidAutomationExecutionParametersException"
    versions = call(ssm, rec, "ListDocumentVersions", "list_document_versions", Name="Lab-CollectDiagnostics")
    got = sorted(v["DocumentVersion"] for v in versions["DocumentVersions"])
    assert got == ["1", "2", "3"], got
    # Lab-CollectDiagnostics declares Integer and Boolean parameters, which
    # the model's DocumentParameterType (String, StringList) does not name:
    # the strict check reads a runbook whose parameters it does.
    desc = call(ssm, rec, "DescribeDocument", "describe_document", Name="AWS-RestartEC2Instance")
    assert desc["Document"]["DocumentType"] == "Automation", desc["Document"]
    lab = ssm.describe_document(Name="Lab-CollectDiagnostics")
    assert lab["Document"]["DefaultVersion"] == "2", lab["Document"]
    yaml = call(ssm, rec, "GetDocument", "get_document", Name="Lab-CollectDiagnostics", DocumentFormat="YAML")
    assert "mainSteps" in yaml["Content"]
    pkg = call(
        ssm, rec, "ListDocuments", "list_documents",
        Filters=[{"Key": "DocumentType", "Values": ["Package"]}],
    )
    assert {"AmazonCloudWatchAgent", "AWSCodeDeployAgent"} <= {d["Name"] for d in pkg["DocumentIdentifiers"]}



def patches_and_compliance():
    """The patch reads and the compliance lists, paged by botocore's
    paginators, each raw page checked strictly against the model; errors
    with the codes the model lists."""
    ssm, rec = strict("ssm")
    ids = [n["InstanceId"] for n in ssm.describe_instance_information(MaxResults=50)["InstanceInformationList"]]
    states = call(ssm, rec, "DescribeInstancePatchStates", "describe_instance_patch_states", InstanceIds=ids, MaxResults=50)
    scanned = [s for s in states["InstancePatchStates"] if s["MissingCount"] + s["InstalledCount"] > 0]
    assert scanned, "the small fleet has scanned nodes"
    node = scanned[0]
    patches = []
    for page in ssm.get_paginator("describe_instance_patches").paginate(
        InstanceId=node["InstanceId"], PaginationConfig={"PageSize": 10}
    ):
        model_shapes.check_response(ssm, "DescribeInstancePatches", rec.bodies["DescribeInstancePatches"])
        patches += page["Patches"]
    installed = sum(1 for p in patches if p["State"] == "INSTALLED")
    assert installed == node["InstalledCount"], (installed, node["InstalledCount"])
    assert len([p for p in patches if p["State"] == "MISSING"]) == node["MissingCount"]
    assert hasattr(patches[0]["InstalledTime"], "year"), "timestamps parse as datetimes"
    summaries = []
    for page in ssm.get_paginator("list_resource_compliance_summaries").paginate(
        Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
        PaginationConfig={"PageSize": 5},
    ):
        model_shapes.check_response(
            ssm, "ListResourceComplianceSummaries", rec.bodies["ListResourceComplianceSummaries"]
        )
        summaries += page["ResourceComplianceSummaryItems"]
    assert len(summaries) == len(scanned), (len(summaries), len(scanned))
    mine = next(x for x in summaries if x["ResourceId"] == node["InstanceId"])
    bad = node["MissingCount"] + node["FailedCount"] + node["InstalledPendingRebootCount"]
    assert mine["NonCompliantSummary"]["NonCompliantCount"] == bad, (mine, node)
    call(ssm, rec, "ListComplianceSummaries", "list_compliance_summaries")
    call(ssm, rec, "GetPatchBaseline", "get_patch_baseline", BaselineId=node["BaselineId"])
    call(ssm, rec, "DescribePatchBaselines", "describe_patch_baselines")
    assert refused(
        ssm, "GetPatchBaseline", "get_patch_baseline", BaselineId="pb-0123456789abcdef0"
    ) == "DoesNotExistException"
    assert refused(
        ssm, "DescribeInstancePatches", "describe_instance_patches", InstanceId="i-0123456789abcdef0"
    ) == "InvalidInstanceId"
    assert refused(
        ssm, "ListComplianceItems", "list_compliance_items",
        Filters=[{"Key": "Colour", "Values": ["red"], "Type": "EQUAL"}],
    ) == "InvalidFilter"


def state_manager_associations():
    """State Manager: the seeded associations read page by page, their
    executions and targets, a node's statuses, an apply now and errors
    with the codes the model lists, each answer strict against botocore's
    model."""
    ssm, rec = strict("ssm")
    seen = []
    for page in ssm.get_paginator("list_associations").paginate(PaginationConfig={"PageSize": 1}):
        model_shapes.check_response(ssm, "ListAssociations", rec.bodies["ListAssociations"])
        seen += page["Associations"]
    names = [a["Name"] for a in seen]
    assert {"AWS-GatherSoftwareInventory", "AWS-UpdateSSMAgent", "AWS-ConfigureAWSPackage"} <= set(names), names
    cw = next(a for a in seen if a["Name"] == "AWS-ConfigureAWSPackage")
    assert cw["Overview"]["Status"] == "Failed", cw["Overview"]
    runs = []
    for page in ssm.get_paginator("describe_association_executions").paginate(
        AssociationId=cw["AssociationId"], PaginationConfig={"PageSize": 1}
    ):
        model_shapes.check_response(ssm, "DescribeAssociationExecutions", rec.bodies["DescribeAssociationExecutions"])
        runs += page["AssociationExecutions"]
    assert len(runs) == 3 and runs[0]["ResourceCountByStatus"].startswith("{"), runs
    targets = call(
        ssm, rec, "DescribeAssociationExecutionTargets", "describe_association_execution_targets",
        AssociationId=cw["AssociationId"], ExecutionId=runs[0]["ExecutionId"],
    )["AssociationExecutionTargets"]
    assert all(t["OutputSource"]["OutputSourceType"] == "RunCommand" for t in targets), targets
    failed = next(t["ResourceId"] for t in targets if t["Status"] == "Failed")
    st = call(
        ssm, rec, "DescribeInstanceAssociationsStatus", "describe_instance_associations_status",
        InstanceId=failed,
    )["InstanceAssociationStatusInfos"]
    assert any(s["Status"] == "Failed" and "failed to install" in s["ExecutionSummary"] for s in st), st
    call(ssm, rec, "StartAssociationsOnce", "start_associations_once", AssociationIds=[cw["AssociationId"]])
    call(ssm, rec, "DescribeAssociation", "describe_association", AssociationId=cw["AssociationId"])
    call(ssm, rec, "ListAssociationVersions", "list_association_versions", AssociationId=cw["AssociationId"])
    missing = "00000000-0000-4000-8000-000000000000"
    assert refused(ssm, "StartAssociationsOnce", "start_associations_once", AssociationIds=[missing]) == "InvalidAssociation"
    assert refused(ssm, "DescribeAssociation", "describe_association", AssociationId=missing) == "AssociationDoesNotExist"
    assert refused(
        ssm, "CreateAssociation", "create_association", Name="AWS-RunShellScript",
        Targets=[{"Key": "tag:Env", "Values": ["prod"]}], Parameters={"commands": ["true"]},
        ScheduleExpression="rate(1 minute)",
    ) == "InvalidSchedule"


def inventory_activations_and_properties():
    """Issue 15: GetInventory and ListInventoryEntries every page,
    GetInventorySchema, the activations and DescribeInstanceProperties,
    parsed by botocore and checked strictly against its model; errors
    with the codes the model lists."""
    ssm, rec = strict("ssm")
    ids = []
    for page in ssm.get_paginator("get_inventory").paginate(
        Filters=[{"Key": "AWS:InstanceInformation.PlatformType", "Values": ["Linux", "Windows"], "Type": "Equal"}],
        PaginationConfig={"PageSize": 5},
    ):
        model_shapes.check_response(ssm, "GetInventory", rec.bodies["GetInventory"])
        ids += [e["Id"] for e in page["Entities"]]
    assert 15 < len(ids) <= 24 and len(set(ids)) == len(ids), ids
    linux = next(
        i for i in ids
        if ssm.list_inventory_entries(InstanceId=i, TypeName="AWS:InstanceInformation")["Entries"][0]["PlatformType"] == "Linux"
    )
    entries, token = [], {}
    while True:  # botocore has no paginator for ListInventoryEntries
        page = call(
            ssm, rec, "ListInventoryEntries", "list_inventory_entries",
            InstanceId=linux, TypeName="AWS:Application", MaxResults=10, **token,
        )
        entries += page["Entries"]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert 30 <= len(entries) <= 60 and any(e["Name"] == "openssl" for e in entries), len(entries)
    call(ssm, rec, "GetInventorySchema", "get_inventory_schema")
    assert refused(ssm, "GetInventory", "get_inventory", Filters=[{"Key": "Name", "Values": ["x"]}]) == "InvalidFilter"
    assert refused(
        ssm, "ListInventoryEntries", "list_inventory_entries", InstanceId=linux, TypeName="AWS:Nope"
    ) == "InvalidTypeNameException"
    made = call(ssm, rec, "CreateActivation", "create_activation", IamRole="SSMServiceRole", RegistrationLimit=3)
    assert len(made["ActivationCode"]) == 20
    acts = []
    for page in ssm.get_paginator("describe_activations").paginate(PaginationConfig={"PageSize": 1}):
        model_shapes.check_response(ssm, "DescribeActivations", rec.bodies["DescribeActivations"])
        acts += page["ActivationList"]
    assert made["ActivationId"] in {a["ActivationId"] for a in acts} and any(a["Expired"] for a in acts)
    call(ssm, rec, "DeleteActivation", "delete_activation", ActivationId=made["ActivationId"])
    assert refused(ssm, "DeleteActivation", "delete_activation", ActivationId=made["ActivationId"]) == "InvalidActivation"
    props = []
    for page in ssm.get_paginator("describe_instance_properties").paginate(PaginationConfig={"PageSize": 5}):
        model_shapes.check_response(ssm, "DescribeInstanceProperties", rec.bodies["DescribeInstanceProperties"])
        props += page["InstanceProperties"]
    assert len(props) == 24, len(props)
    assert refused(
        ssm, "DescribeInstanceProperties", "describe_instance_properties",
        FiltersWithOperator=[{"Key": "Colour", "Values": ["red"]}],
    ) == "InvalidFilterKey"


def run_command_output_in_s3():
    """SendCommand with OutputS3BucketName: boto3's S3 client (path-style
    against the loopback endpoint) lists and reads the whole output at the
    key the invocation's StandardOutputUrl names; S3's errors parse."""
    import time
    from urllib.parse import urlparse

    sess = session()
    ssm, s3 = sess.client("ssm"), sess.client("s3")
    node = next(
        n["InstanceId"]
        for n in ssm.describe_instance_information(MaxResults=50)["InstanceInformationList"]
        if n["PingStatus"] == "Online" and n["PlatformType"] == "Linux"
    )
    cmd = ssm.send_command(
        DocumentName="AWS-RunShellScript", InstanceIds=[node],
        Parameters={"commands": ["seq 1 20000"]},
        OutputS3BucketName="ssmdeck-lab-output", OutputS3KeyPrefix="boto3 runs",
    )["Command"]["CommandId"]
    deadline = time.monotonic() + 60
    while True:
        inv = ssm.get_command_invocation(CommandId=cmd, InstanceId=node)
        if inv["Status"] not in ("Pending", "InProgress", "Delayed"):
            break
        assert time.monotonic() < deadline, inv["Status"]
        time.sleep(0.05)
    assert inv["Status"] == "Success", inv["Status"]
    assert len(inv["StandardOutputContent"]) == 24000
    key = urlparse(inv["StandardOutputUrl"]).path.split("/", 2)[2]
    assert key == f"boto3 runs/{cmd}/{node}/awsrunShellScript/0.awsrunShellScript/stdout", key
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket="ssmdeck-lab-output", Prefix="boto3 runs/", PaginationConfig={"PageSize": 1}
        )
        for o in page.get("Contents", [])
    ]
    assert keys == [key[: -len("stdout")] + "stderr", key], keys
    body = s3.get_object(Bucket="ssmdeck-lab-output", Key=key)["Body"].read().decode()
    assert body == "".join(f"{i}\n" for i in range(1, 20001)), len(body)
    try:
        s3.get_object(Bucket="ssmdeck-lab-output", Key="no/such/key")
        raise AssertionError("a missing key was read")
    except s3.exceptions.NoSuchKey:
        pass
    try:
        s3.head_object(Bucket="ssmdeck-lab-output", Key="no/such/key")
        raise AssertionError("a missing key was found")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "404", e.response["Error"]


for name, fn in [
    ("DescribeInstanceInformation every page", describe_instance_information_pages),
    ("ListTagsForResource ManagedInstance", list_tags_for_hybrid_node),
    ("EC2 DescribeInstances pages", ec2_describe_instances),
    ("STS GetCallerIdentity", sts_caller_identity),
    ("wrong secret -> SignatureDoesNotMatch", wrong_secret_is_refused),
    ("unknown action -> UnknownOperationException", unknown_action_is_aws_error),
    ("OpsCenter describe/update/get/events", opscenter_round_trip),
    ("STS responses and errors match the model", sts_shapes),
    ("Organizations responses and errors match the model", organizations_shapes),
    ("profiles lab-0..2 from --aws-config-dir reach their accounts", profile_lab_1_reaches_account_1),
    ("ListNodes/ListNodesSummary/GetOpsSummary match the model", explorer_shapes),
    ("the model checks catch mismatches", model_checks_catch_mismatches),
    ("maintenance windows and change calendars match the model", maintenance_windows_and_calendars),
    ("automation executions, signals and documents match the model", automation_and_documents),
    ("patches, baselines and compliance match the model", patches_and_compliance),
    ("State Manager associations, executions and errors match the model", state_manager_associations),
    ("inventory, activations and instance properties match the model", inventory_activations_and_properties),
    ("Run Command output in S3: list, read, errors", run_command_output_in_s3),
]:
    check(name, fn)

print(f"boto3: {PASSED} passed, {len(FAILURES)} failed")
sys.exit(1 if FAILURES else 0)
