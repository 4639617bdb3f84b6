"""How configuration keys are compared wherever they come from: case- and separator-insensitively, as Spring's
relaxed binding does (`SPRING_DATASOURCE_URL` == `spring.datasource.url` == `springDatasourceUrl`)."""

from __future__ import annotations

import re

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def flat_key(key: str) -> str:
    """`ORDERS_URL`, `orders.url` and `ordersUrl` → `ordersurl`."""
    return _NOT_ALNUM.sub("", key.lower())
