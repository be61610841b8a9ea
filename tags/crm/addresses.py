"""Decide whether an endpoint URL may be called: http(s) only, no private addresses.

In production mode (``CRM_ALLOW_PRIVATE_ADDRESSES`` off) a URL whose host
resolves to a private, loopback, link-local or otherwise non-public address
is refused, when it is saved and again before every send (a DNS answer can
change in between).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL = 2048


class AddressRefused(ValueError):
    """The URL is malformed or points where Hudong must not send."""


def check_form(url: str) -> str:
    """Return the URL's host if ``url`` is an absolute http(s) URL; else raise."""
    if len(url) > MAX_URL:
        raise AddressRefused(f"最长 {MAX_URL} 个字符")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        raise AddressRefused("地址格式不正确") from exc
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("只支持 http 或 https 地址")
    if not host or parts.username or parts.password:
        raise AddressRefused("地址需要主机名，且不能包含用户名或密码")
    return host


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_destination(url: str, allow_private: bool) -> None:
    """Raise ``AddressRefused`` unless ``url`` may be called now."""
    host = check_form(url)
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"无法解析主机名 {host}") from exc
    refused = sorted({info[4][0] for info in infos if not _public(info[4][0])})
    if refused:
        raise AddressRefused(f"不能发送到内网或本机地址（{', '.join(refused)}）")
