"""Network helpers for room mode: the address participants' phones can reach, a free port.

Nothing here sends a packet: the address comes from name resolution of this host and, failing
that, from what the ``ip`` tool reports about the local interfaces.
"""

from __future__ import annotations

import ipaddress
import socket
import subprocess

LOOPBACK = "127.0.0.1"

# Interfaces that belong to containers and virtual machines on this computer: phones in the
# room cannot reach them, so their addresses come last.
_VIRTUAL = ("docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "lxc", "lxd", "cni", "flannel")


def _usable(address: str) -> bool:
    """A unicast IPv4 address other devices on the network could reach."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return not (
        ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved
    )


def parse_ip_addr(text: str) -> list[str]:
    """The global-scope IPv4 addresses in ``ip -4 -o addr show`` output, best first.

    A line looks like ``2: eth0    inet 192.168.1.20/24 brd 192.168.1.255 scope global eth0``.
    Loopback, link-local and host-scoped addresses are left out, and so is anything that is
    not a valid address; addresses of container and VM bridges (docker0, br-…, virbr0 …) come
    after the others; each address appears once.
    """
    real: list[str] = []
    virtual: list[str] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[2] != "inet":
            continue
        name = fields[1]
        address = fields[3].split("/")[0]
        if "scope" in fields:
            at = fields.index("scope")
            if at + 1 < len(fields) and fields[at + 1] != "global":
                continue
        if not _usable(address) or address in real or address in virtual:
            continue
        (virtual if name.startswith(_VIRTUAL) else real).append(address)
    return real + virtual


def _from_hostname() -> str | None:
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except (OSError, UnicodeError):
        return None
    for info in infos:
        address = info[4][0]
        if _usable(address):
            return address
    return None


def _from_ip_tool() -> str | None:
    try:
        result = subprocess.run(
            ["ip", "-4", "-o", "addr", "show"],
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    addresses = parse_ip_addr(result.stdout)
    return addresses[0] if addresses else None


def lan_address() -> str:
    """This machine's IPv4 address on the local network, or ``127.0.0.1`` if none is found."""
    return _from_hostname() or _from_ip_tool() or LOOPBACK


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port on ``host`` that is free right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
