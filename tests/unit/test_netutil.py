"""Finding the room-mode address without network traffic, and a free port."""

from __future__ import annotations

import socket

from actionlab import netutil
from actionlab.netutil import free_port, lan_address, parse_ip_addr

LOOPBACK_ONLY = (
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
)

ONE_ETH = (
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 10.20.30.40/24 brd 10.20.30.255 scope global dynamic eth0\\"
    "       valid_lft 86000sec preferred_lft 86000sec\n"
)

DOCKER_AND_WLAN = (
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "3: docker0    inet 172.17.0.1/16 brd 172.17.255.255 scope global docker0\\"
    "       valid_lft forever preferred_lft forever\n"
    "4: wlan0    inet 192.168.31.57/24 brd 192.168.31.255 scope global dynamic noprefixroute"
    " wlan0\\       valid_lft 7000sec preferred_lft 7000sec\n"
    "5: br-1a2b3c4d    inet 172.18.0.1/16 brd 172.18.255.255 scope global br-1a2b3c4d\\"
    "       valid_lft forever preferred_lft forever\n"
    "6: wlan1    inet 169.254.10.10/16 brd 169.254.255.255 scope link wlan1\\"
    "       valid_lft forever preferred_lft forever\n"
)


def test_loopback_only_gives_nothing():
    assert parse_ip_addr(LOOPBACK_ONLY) == []


def test_one_ethernet_address():
    assert parse_ip_addr(ONE_ETH) == ["10.20.30.40"]


def test_wlan_comes_before_container_bridges():
    assert parse_ip_addr(DOCKER_AND_WLAN) == ["192.168.31.57", "172.17.0.1", "172.18.0.1"]


def test_garbage_and_empty_text():
    assert parse_ip_addr("") == []
    assert parse_ip_addr("not ip output\n2: eth0 inet 999.1.1.1/24 scope global eth0\n") == []


def test_lan_address_falls_back_to_ip_tool(monkeypatch):
    monkeypatch.setattr(netutil, "_from_hostname", lambda: None)
    monkeypatch.setattr(netutil, "_from_ip_tool", lambda: "192.168.31.57")
    assert lan_address() == "192.168.31.57"


def test_lan_address_falls_back_to_loopback(monkeypatch):
    monkeypatch.setattr(netutil, "_from_hostname", lambda: None)
    monkeypatch.setattr(netutil, "_from_ip_tool", lambda: None)
    assert lan_address() == "127.0.0.1"


def test_hostname_loopback_is_skipped(monkeypatch):
    infos = [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.1.1", 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.3.4", 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 0)),
    ]
    monkeypatch.setattr(netutil.socket, "getaddrinfo", lambda *a, **k: infos)
    assert lan_address() == "10.1.2.3"


def test_missing_ip_tool_is_ignored(monkeypatch):
    def no_tool(*args, **kwargs):
        raise FileNotFoundError("ip")

    monkeypatch.setattr(netutil.subprocess, "run", no_tool)
    assert netutil._from_ip_tool() is None


def test_lan_address_is_an_ipv4_string():
    parts = lan_address().split(".")
    assert len(parts) == 4 and all(0 <= int(p) <= 255 for p in parts)


def test_free_port_can_be_bound():
    port = free_port()
    assert 0 < port < 65536
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
