"""``/api/docs`` serves Swagger UI from our own files: no CDN, no inline script."""

from __future__ import annotations

import re


def test_docs_page_loads_only_local_files(client):
    page = client.get("/api/docs").get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert "<script>" not in page  # every script is a file (a CSP without 'unsafe-inline')
    assert 'data-spec-url="/api/openapi.json"' in page
    for src in sources:
        resp = client.get(src)
        assert resp.status_code == 200 and len(resp.data) > 100, src
        resp.close()
    bundle = client.get("/api/docs/dist/swagger-ui-bundle.js")
    assert b"SwaggerUIBundle" in bundle.data and bundle.cache_control.max_age >= 86400
    bundle.close()
    assert client.get("/api/docs/dist/../../../../etc/passwd").status_code == 404
