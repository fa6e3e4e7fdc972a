#!/usr/bin/env python3
"""Runs the four operations with the Python clients that openapi-generator made from our specs,
against the embedded fake server, and checks the answers: proof that the specs are usable by
other generators, not just accepted by them.

Usage: python3 .ci/python_client_smoke.py http://127.0.0.1:PORT
"""

import sys

import dataarts_security as da
import projectman_v4 as pm

PROJECT = "0833a5737480d53b2f25c010dc1a7b88"
PSET = "fea96c90024711b8bf8d6886407b814b"
WORKSPACE = "dd97167b873d4a79b2aad54d4370a3bc"
CODEARTS = "526cefde62004de2b62b5e8dd2c2b3af"


def main(endpoint: str) -> None:
    dconf = da.Configuration(host=endpoint, api_key={"iamToken": "python-token"})
    api = da.PermissionSetsApi(da.ApiClient(dconf))
    body = da.BatchCreatePermissionSetMembersRequestBody(
        members=[da.PermissionSetMemberCreate(member_id=f"py{i}", member_name=f"python_user_{i}",
                                              member_type=da.MemberType.USER) for i in range(3)],
        auto_sync=False,
    )
    api.batch_create_security_permission_set_members(PROJECT, PSET, WORKSPACE, body)
    page = api.list_security_permission_set_members(
        PROJECT, PSET, WORKSPACE, limit=2, offset=0, member_name="python_user",
        member_type=da.MemberType.USER, order_by=da.MemberOrderBy.MEMBER_NAME, order_by_asc=True)
    assert page.total == 3, page
    assert [m.member_name for m in page.permission_set_members] == ["python_user_0", "python_user_1"], page
    updated = api.update_security_permission_set(
        PROJECT, PSET, WORKSPACE,
        da.UpdatePermissionSetRequestBody(name="from_python", type=da.PermissionSetType.COMMON))
    assert updated.name == "from_python", updated
    try:
        api.list_security_permission_set_members(PROJECT, "no-such-set", WORKSPACE)
        raise AssertionError("an unknown permission set must fail")
    except da.ApiException as e:
        assert e.status == 400 and "DLS.1004" in e.body, e

    pconf = pm.Configuration(host=endpoint, api_key={"iamToken": "python-token"})
    members = pm.ProjectMembersApi(pm.ApiClient(pconf))
    members.batch_add_members_v4(CODEARTS, pm.BatchAddMembersV4RequestBody(
        users=[pm.BatchAddMemberRequestV4(user_id="665b542eb4c14b53a15ead449f28b0ba", role_id=pm.RoleId.NUMBER_5)]))
    print("generated Python clients ran the four operations against the fake: ok")


if __name__ == "__main__":
    main(sys.argv[1])
