"""The OpenAPI document describes every route, the online sale's included."""

from __future__ import annotations

from appliance.protocol import API_PREFIX
from appliance.server.openapi import OPERATIONS


def _routes(tmp_path) -> set[tuple[str, str]]:
    """Every API route the server serves (its app's, not a list kept here)."""
    from appliance.server.app import create_app
    from appliance.server.bootstrap import init_data_dir
    from appliance.server.config import ServerConfig

    init_data_dir(tmp_path / "server")
    app = create_app(ServerConfig(data=tmp_path / "server", mdns=False))
    try:
        paths = app.openapi()["paths"]  # made from the app's routes, every router's
        return {
            (method, path.removeprefix(API_PREFIX))
            for path, methods in paths.items()
            if path.startswith(API_PREFIX) and not path.endswith("/openapi.json")
            for method in methods
        }
    finally:
        app.state.shop.close()


def test_every_route_is_described_and_nothing_else(tmp_path):
    routes = _routes(tmp_path)
    assert ("put", "/tables/{table_id}") in routes  # the app's routers, each of them
    assert routes - set(OPERATIONS) == set(), "describe it in appliance/server/openapi.py"
    assert set(OPERATIONS) - routes == set(), "no such route any more"


def test_the_online_sale_answered_before_fastapi_is_described(tmp_path):
    from appliance.server.app import create_app
    from appliance.server.bootstrap import init_data_dir
    from appliance.server.config import ServerConfig

    init_data_dir(tmp_path / "server")
    app = create_app(ServerConfig(data=tmp_path / "server", mdns=False))
    try:
        doc = app.openapi()
        put = doc["paths"]["/api/v1/sales/{sale_id}"]["put"]
        assert put["security"] == [{"till": []}]
        body = put["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/SaleRecord"}
        assert {"200", "201", "409", "422", "401", "403", "413"} <= set(put["responses"])
        record = doc["components"]["schemas"]["SaleRecord"]
        assert {"sale_id", "seq", "hash", "prev_hash", "lines"} <= set(record["required"])
        # every reference resolves
        refs = {r.split("/")[-1] for r in _refs(doc)}
        assert refs <= set(doc["components"]["schemas"])
        assert doc["components"]["securitySchemes"].keys() == {"till", "admin"}
    finally:
        app.state.shop.close()


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)
