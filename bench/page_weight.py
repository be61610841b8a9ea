"""Measure the bytes a phone downloads, gzipped, before it can play."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

BUDGET_KB = 150


class AssetParser(HTMLParser):
    """Collect what a page loads before play: scripts, stylesheets, preloads, icons, images."""

    def __init__(self):
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        """Note the asset a script or stylesheet tag loads."""
        attr = dict(attrs)
        if tag == "script" and attr.get("src"):
            self.assets.append(attr["src"])
        if tag == "img" and attr.get("src") and not attr["src"].startswith("data:"):
            self.assets.append(attr["src"])
        rels = (attr.get("rel") or "").lower().split()
        wanted = {"stylesheet", "preload", "icon"}
        if tag == "link" and wanted & set(rels) and attr.get("href"):
            self.assets.append(attr["href"])


@dataclass(frozen=True)
class PageWeight:
    """The gzipped bytes of a page and its assets."""

    total_bytes: int
    assets: dict[str, int]  # URL -> gzipped bytes, the page itself first

    @property
    def kb(self) -> float:
        """Return the total in KB (1 KB = 1024 bytes)."""
        return self.total_bytes / 1024


def wire_bytes(http: requests.Session, url: str) -> tuple[int, bytes]:
    """Return the gzipped size of ``url`` (as served, or gzip -9) and its raw body."""
    resp = http.get(url, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=30)
    resp.raise_for_status()
    raw = resp.raw.read(decode_content=False)
    if resp.headers.get("Content-Encoding", "").lower() == "gzip":
        return len(raw), gzip.decompress(raw)
    return len(gzip.compress(raw, compresslevel=9)), raw


def measure(base_url: str, path: str) -> PageWeight:
    """Fetch the page at ``path`` and every script and stylesheet it loads."""
    with requests.Session() as http:
        page_url = base_url + path
        size, html = wire_bytes(http, page_url)
        parser = AssetParser()
        parser.feed(html.decode("utf-8"))
        sizes = {page_url: size}
        for src in dict.fromkeys(parser.assets):  # each file once, as a browser fetches it
            url = urljoin(page_url, src)
            sizes[url] = wire_bytes(http, url)[0]
    return PageWeight(sum(sizes.values()), sizes)
