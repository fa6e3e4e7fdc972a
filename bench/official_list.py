#!/usr/bin/env python3
"""N sequential list-members calls with the official Huawei Cloud Python SDK (AK/SK), against
an endpoint; prints the elapsed seconds. The baseline side of bench/compare_official.sh."""

import sys
import time

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdataartsstudio.v1 import DataArtsStudioClient, ListSecurityPermissionSetMembersRequest

PROJECT = "0833a5737480d53b2f25c010dc1a7b88"
PSET = "fea96c90024711b8bf8d6886407b814b"


def main(endpoint: str, count: int) -> None:
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    client = (DataArtsStudioClient.new_builder()
              .with_credentials(BasicCredentials("BENCHAK0123456789", "bench-secret-key", PROJECT))
              .with_endpoints([endpoint])
              .with_http_config(config)
              .build())
    started = time.perf_counter()
    for _ in range(count):
        request = ListSecurityPermissionSetMembersRequest(
            workspace="ws-bench", permission_set_id=PSET, limit=10, offset=0)
        client.list_security_permission_set_members(request)
    print(f"{time.perf_counter() - started:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
