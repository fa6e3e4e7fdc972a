#!/usr/bin/env python3
"""Runs the membership lifecycle of both services with the Python clients that openapi-generator
made from our specs, against the embedded fake server, and checks the answers: proof that the
specs are usable by other generators, not just accepted by them.

Usage: python3 .ci/python_client_smoke.py http://127.0.0.1:PORT
"""

import sys

import dataarts_security as da
import projectman_v4 as pm

PROJECT = "0833a5737480d53b2f25c010dc1a7b88"
WORKSPACE = "dd97167b873d4a79b2aad54d4370a3bc"
CODEARTS = "526cefde62004de2b62b5e8dd2c2b3af"
USER = "665b542eb4c14b53a15ead449f28b0ba"
OTHER = "b43927a45a514e93ba70524b28923500"


def dataarts(endpoint: str) -> None:
    conf = da.Configuration(host=endpoint, api_key={"iamToken": "python-token"})
    api = da.PermissionSetsApi(da.ApiClient(conf))

    created = api.create_security_permission_set(PROJECT, WORKSPACE, da.CreatePermissionSetRequestBody(
        name="from_python", parent_id="0", type=da.PermissionSetType.COMMON,
        manager_type=da.ManagerType.USER, manager_id=OTHER, manager_name="common_user"))
    pset = created.id
    assert created.name == "from_python", created
    assert api.show_security_permission_set(PROJECT, pset, WORKSPACE).id == pset
    sets = api.list_security_permission_sets(PROJECT, WORKSPACE, name="from_python",
                                             type_filter=da.PermissionSetTypeFilter.TOP_PERMISSION_SET)
    assert [s.id for s in sets.permission_sets] == [pset], sets

    api.batch_create_security_permission_set_members(PROJECT, pset, WORKSPACE,
        da.BatchCreatePermissionSetMembersRequestBody(members=[
            da.PermissionSetMemberCreate(member_id=f"py{i}", member_name=f"python_user_{i}",
                                         member_type=da.MemberType.USER) for i in range(3)]))
    one = api.create_security_permission_set_member(PROJECT, pset, WORKSPACE,
        da.CreatePermissionSetMemberRequestBody(member_id="group1", member_name="python_group",
                                                member_type=da.MemberType.USER_GROUP))
    page = api.list_security_permission_set_members(
        PROJECT, pset, WORKSPACE, limit=2, offset=0, member_name="python_user",
        member_type=da.MemberType.USER, order_by=da.MemberOrderBy.MEMBER_NAME, order_by_asc=True)
    assert page.total == 3, page
    assert [m.member_name for m in page.permission_set_members] == ["python_user_0", "python_user_1"], page
    api.batch_delete_security_permission_set_members(PROJECT, pset, WORKSPACE,
                                                     da.BatchDeleteRequestBody(ids=[one.id]))
    assert api.list_security_permission_set_members(PROJECT, pset, WORKSPACE).total == 3

    updated = api.update_security_permission_set(
        PROJECT, pset, WORKSPACE, da.UpdatePermissionSetRequestBody(description="via python"))
    assert updated.description == "via python", updated

    permission = api.create_security_permission_set_permission(PROJECT, pset, WORKSPACE,
        da.CreatePermissionRequestBody(datasource_type=da.DatasourceType.HIVE, database_name="default",
                                       permission_type=da.PermissionType.ALLOW,
                                       permission_actions=[da.PermissionAction.SELECT]))
    changed = api.update_security_permission_set_permission(PROJECT, pset, permission.id, WORKSPACE,
        da.UpdatePermissionRequestBody(permission_actions=[da.PermissionAction.SELECT,
                                                           da.PermissionAction.UPDATE]))
    assert changed.permission_actions == ["SELECT", "UPDATE"], changed
    appended = api.batch_create_security_permission_set_permissions(PROJECT, pset, WORKSPACE,
        da.CreatePermissionRequestBody(datasource_type=da.DatasourceType.HIVE, database_name="db1,db2",
                                       permission_actions=[da.PermissionAction.SELECT]))
    assert appended.total == 2, appended
    listed = api.list_security_permission_set_permissions(PROJECT, pset, WORKSPACE, limit=10)
    assert listed.total == 3, listed
    api.batch_delete_security_permission_set_permissions(PROJECT, pset, WORKSPACE,
        da.BatchDeleteRequestBody(ids=[p.id for p in appended.permissions]))
    assert api.list_security_permission_set_permissions(PROJECT, pset, WORKSPACE).total == 1

    configurations = api.list_security_datasource_configurations(PROJECT, WORKSPACE)
    assert configurations.configurations, configurations

    api.delete_security_permission_set(PROJECT, pset, WORKSPACE)
    try:
        api.show_security_permission_set(PROJECT, pset, WORKSPACE)
        raise AssertionError("a deleted permission set must be gone")
    except da.ApiException as e:
        assert e.status == 400 and "DLS.1004" in e.body, e


def projectman(endpoint: str) -> None:
    conf = pm.Configuration(host=endpoint, api_key={"iamToken": "python-token"})
    api = pm.ProjectMembersApi(pm.ApiClient(conf))
    api.batch_add_members_v4(CODEARTS, pm.BatchAddMembersV4RequestBody(
        users=[pm.BatchAddMemberRequestV4(user_id=USER, role_id=pm.RoleId.TEST_MANAGER)]))
    api.add_member_v4(CODEARTS, pm.AddMemberV4RequestBody(
        domain_id="0833a5736980d53b0f22c0102ffcbfc0", user_id=OTHER, role_id=pm.RoleId.DEVELOPER))
    api.update_membes_role_v4(CODEARTS, pm.UpdateMembersRoleV4RequestBody(
        role_id=pm.RoleId.VIEWER, user_ids=[OTHER]))
    listed = api.list_project_members_v4(CODEARTS, offset=0, limit=10)
    roles = {m.user_id: m.role_id for m in listed.members}
    assert roles[USER] == 5 and roles[OTHER] == 8, roles
    assert api.show_cur_user_role(CODEARTS).user_role == -1
    assert api.show_cur_user_info().user_id
    api.batch_delete_members_v4(CODEARTS, pm.BatchDeleteMembersV4RequestBody(user_ids=[USER, OTHER]))
    assert api.list_project_members_v4(CODEARTS).total == 1


def main(endpoint: str) -> None:
    dataarts(endpoint)
    projectman(endpoint)
    print("generated Python clients ran the membership lifecycle of both services against the fake: ok")


if __name__ == "__main__":
    main(sys.argv[1])
