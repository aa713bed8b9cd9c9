"""busybox `nslookup` of cluster names (the cluster's built-in services)."""

from __future__ import annotations

from .context import DNS_SERVICE_IP, SERVICES
from .shell import Session


def nslookup(session: Session, args: list[str]) -> int:
    """`nslookup NAME`: the answer of the cluster's DNS (kube-dns at 10.0.0.10)."""
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 1 or len(names) != len(args):
        session.err("nslookup: the podid lab's nslookup takes one name: nslookup NAME\n")
        return 1
    name = names[0]
    session.out(f"Server:\t\t{DNS_SERVICE_IP}\nAddress:\t{DNS_SERVICE_IP}:53\n\n")
    found = session.pod.resolve_name(name)
    if found is None:
        # busybox asks for A and AAAA records; each gets its own NXDOMAIN line.
        session.out(f"** server can't find {name}: NXDOMAIN\n\n" * 2)
        return 1
    session.out(f"Name:\t{found}\nAddress: {SERVICES[found]}\n\n")
    return 0
