"""GET /limits: the org's allocations and what is left of them."""

from __future__ import annotations

from typing import Any

from emulator.rest.context import RestRequest, RestResponse, ok


def _pair(maximum: int, remaining: int) -> dict[str, int]:
    return {"Max": maximum, "Remaining": max(remaining, 0)}


def limits_body(request: RestRequest) -> dict[str, Any]:
    usage = request.org.api_usage
    delivered_used, delivered_max = 0, 10_000
    if request.org.delivery_usage is not None:
        delivered_used, delivered_max = request.org.delivery_usage()
    return {
        "DailyApiRequests": _pair(usage.limit, usage.limit - usage.used()),
        "DailyBulkApiBatches": _pair(15_000, 15_000),
        "DailyBulkV2QueryJobs": _pair(10_000, 10_000),
        "DailyBulkV2QueryFileStorageMB": _pair(976_562, 976_562),
        "DailyDeliveredPlatformEvents": _pair(delivered_max, delivered_max - delivered_used),
        "DailyStreamingApiEvents": _pair(10_000, 10_000),
        "HourlyPublishedPlatformEvents": _pair(50_000, 50_000),
        "MonthlyPlatformEventsUsageEntitlement": _pair(0, 0),
        "StreamingApiConcurrentClients": _pair(20, 20),
        "DataStorageMB": _pair(5, 5),
        "FileStorageMB": _pair(20, 20),
    }


def limits_handler(request: RestRequest) -> RestResponse:
    return ok(limits_body(request))
