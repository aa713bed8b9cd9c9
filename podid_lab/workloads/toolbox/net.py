"""`curl` and busybox `wget`, whose only reachable address is IMDS (this pod's NMI endpoint)."""

from __future__ import annotations

import http.client
import ipaddress
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .shell import Session

IMDS_HOST = "169.254.169.254"
CURL_VERSION = "8.11.1"
CURL_HELP = "curl: try 'curl --help' or 'curl --manual' for more information\n"
CURL_SUPPORTED = "-s -S -f -H -X -d -o -w -v --max-time (and their long names)"
# The lab's HTTP server adds this header; NMI (a Go net/http server) does not send it.
_LAB_ONLY_HEADERS = {"server"}


@dataclass
class Reply:
    """An HTTP answer as the client received it."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


class Unreachable(Exception):
    """The request never got an answer: `what` is resolve, connect or timeout."""

    def __init__(self, what: str, host: str, port: int) -> None:
        super().__init__(what)
        self.what, self.host, self.port = what, host, port


@dataclass
class Request:
    """One HTTP request a toolbox command makes."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    timeout: float | None = None

    @property
    def parts(self) -> tuple[str, str, int, str]:
        """(scheme, host, port, path with query) as the client would send them."""
        split = urlsplit(self.url if "://" in self.url else f"http://{self.url}")
        scheme = split.scheme.lower()
        port = split.port or (443 if scheme == "https" else 80)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        return scheme, split.hostname or "", port, target


def send(session: Session, request: Request, extra: list[tuple[str, str]]) -> Reply:
    """Send a request from the pod: 169.254.169.254:80 reaches NMI; other names do not answer."""
    scheme, host, port, target = request.parts
    if host != IMDS_HOST or scheme != "http" or port != 80:
        known = _is_ip(host) or session.pod.resolve_name(host) is not None
        # The toolbox reaches nothing but IMDS, so every other address refuses the connection.
        raise Unreachable("connect" if known else "resolve", host, port)
    nmi = urlsplit(session.pod.imds)
    path = nmi.path.rstrip("/") + target
    if nmi.query:
        path += ("&" if "?" in path else "?") + nmi.query
    connection = http.client.HTTPConnection(
        nmi.hostname or "127.0.0.1", nmi.port or 80, timeout=request.timeout
    )
    try:
        connection.putrequest(request.method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in [("Host", IMDS_HOST), *extra, *request.headers]:
            connection.putheader(name, value)
        connection.endheaders(request.body)
        response = connection.getresponse()
        body = response.read()
    except TimeoutError:
        raise Unreachable("timeout", host, port) from None
    finally:
        connection.close()
    headers = [
        ("-".join(p.capitalize() for p in k.split("-")), v)
        for k, v in response.getheaders()
        if k.lower() not in _LAB_ONLY_HEADERS
    ]
    return Reply(response.status, response.reason, headers, body)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# -- curl -----------------------------------------------------------------------------------------

_CURL_FLAGS = {"s": "silent", "S": "show-error", "f": "fail", "v": "verbose"}
_CURL_VALUES = {"H": "header", "X": "request", "d": "data", "o": "output", "w": "write-out"}
_CURL_LONG_VALUES = {*_CURL_VALUES.values(), "max-time", "data-raw"}


@dataclass
class CurlOptions:
    """What a curl command line asked for."""

    flags: set[str] = field(default_factory=set)
    headers: list[tuple[str, str]] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)


def parse_curl(args: list[str]) -> CurlOptions | str:
    """The options, or curl's message for an option it does not know (or the lab lacks)."""
    options = CurlOptions()
    queue = list(args)
    while queue:
        arg = queue.pop(0)
        pairs: list[tuple[str, str | None]] = []
        if arg.startswith("--"):
            name, eq, inline = arg[2:].partition("=")
            if name in _CURL_FLAGS.values():
                pairs.append((name, None))
            elif name in _CURL_LONG_VALUES:
                pairs.append((name, inline if eq else None))
            else:
                return f"curl: option {arg}: is unknown\n"
        elif arg.startswith("-") and len(arg) > 1:
            for i, letter in enumerate(arg[1:], start=1):
                if letter in _CURL_FLAGS:
                    pairs.append((_CURL_FLAGS[letter], None))
                elif letter in _CURL_VALUES:
                    pairs.append((_CURL_VALUES[letter], arg[i + 1 :] or None))
                    break
                else:
                    return f"curl: option -{letter}: is unknown\n"
        else:
            options.urls.append(arg)
            continue
        for name, value in pairs:
            if name in _CURL_FLAGS.values():
                options.flags.add(name)
                continue
            if value is None:
                if not queue:
                    return f"curl: option {arg}: requires parameter\n"
                value = queue.pop(0)
            if name == "header":
                key, _, val = value.partition(":")
                options.headers.append((key.strip(), val.strip()))
            else:
                options.values["data" if name == "data-raw" else name] = value
    return options


def curl(session: Session, args: list[str]) -> int:
    """curl with -s -S -f -H -X -d -o -w -v --max-time."""
    parsed = parse_curl(args)
    if isinstance(parsed, str):
        session.err(parsed + f"curl: the podid lab's curl supports {CURL_SUPPORTED}\n" + CURL_HELP)
        return 2
    if not parsed.urls:
        session.err("curl: no URL specified\n" + CURL_HELP)
        return 2
    status = 0
    for url in parsed.urls:
        status = _curl_one(session, parsed, url)
    return status


def _curl_one(session: Session, options: CurlOptions, url: str) -> int:
    flags, values = options.flags, options.values
    silent, verbose = "silent" in flags, "verbose" in flags
    show_errors = not silent or "show-error" in flags
    output = values.get("output", "-")
    if output not in ("-", "/dev/null"):
        session.err(
            f"curl: (23) the podid lab's toolbox writes no files: -o takes - or /dev/null, "
            f"not {output}\n"
        )
        return 23
    body = values.get("data")
    if body is not None and body.startswith("@"):
        data = session.pod.read(body[1:])
        body = None if data is None else data.decode("utf-8", "replace")
    method = values.get("request") or ("POST" if body is not None else "GET")
    extra = [("User-Agent", f"curl/{CURL_VERSION}"), ("Accept", "*/*")]
    if body is not None:
        extra.append(("Content-Type", "application/x-www-form-urlencoded"))
        extra.append(("Content-Length", str(len(body.encode()))))
    try:
        timeout = float(values["max-time"]) if "max-time" in values else None
    except ValueError:
        session.err(f"curl: option --max-time: expected a proper numerical parameter\n{CURL_HELP}")
        return 2
    request = Request(method, url, options.headers, body.encode() if body else None, timeout)
    _scheme, host, port, target = request.parts
    started = time.monotonic()
    if verbose:
        session.err(f"*   Trying {host}:{port}...\n")
    try:
        reply = send(session, request, extra)
    except Unreachable as failure:
        if show_errors:
            session.err(_curl_failure(failure, started))
        return {"resolve": 6, "connect": 7, "timeout": 28}[failure.what]
    if verbose:
        lines = [f"* Connected to {host} ({host}) port {port}", f"> {method} {target} HTTP/1.1"]
        lines += [f"> {k}: {v}" for k, v in [("Host", host), *extra[:2]]]
        lines += [f"> {k}:{v}" for k, v in options.headers] + [">", "* Request completely sent off"]
        lines.append(f"< HTTP/1.1 {reply.status} {reply.reason}")
        lines += [f"< {k}: {v}" for k, v in reply.headers] + ["<"]
        session.err("".join(line + "\n" for line in lines))
    if "fail" in flags and reply.status >= 400:
        if show_errors:
            session.err(f"curl: (22) The requested URL returned error: {reply.status}\n")
        return 22
    if output == "-":
        session.out(reply.body)
    if not silent and not verbose and not session.stdout.isatty():
        session.err(_progress(len(reply.body), time.monotonic() - started))
    if verbose:
        session.err(f"* Connection #0 to host {host} left intact\n")
    if "write-out" in values:
        session.out(_write_out(values["write-out"], reply, url))
    return 0


def _curl_failure(failure: Unreachable, started: float) -> str:
    elapsed = int((time.monotonic() - started) * 1000)
    if failure.what == "resolve":
        return f"curl: (6) Could not resolve host: {failure.host}\n"
    if failure.what == "connect":
        return (
            f"curl: (7) Failed to connect to {failure.host} port {failure.port} after "
            f"{elapsed} ms: Couldn't connect to server\n"
        )
    return f"curl: (28) Operation timed out after {elapsed} milliseconds with 0 bytes received\n"


def _progress(size: int, seconds: float) -> str:
    speed = int(size / seconds) if seconds > 0 else size
    return (
        "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"
        "                                 Dload  Upload   Total   Spent    Left  Speed\n"
        f"100 {size:>5}  100 {size:>5}    0     0  {speed:>5}      0 --:--:-- --:--:-- "
        f"--:--:-- {speed:>5}\n"
    )


def _write_out(template: str, reply: Reply, url: str) -> str:
    content_type = next((v for k, v in reply.headers if k.lower() == "content-type"), "")
    variables = {
        "http_code": f"{reply.status:03d}",
        "response_code": f"{reply.status:03d}",
        "size_download": str(len(reply.body)),
        "content_type": content_type,
        "url_effective": url,
    }
    text = template.replace("\\n", "\n").replace("\\t", "\t")
    for name, value in variables.items():
        text = text.replace(f"%{{{name}}}", value)
    return text


# -- wget (busybox) -------------------------------------------------------------------------------


def _wget_option(arg: str, queue: list[str]) -> tuple[str, str | None] | None:
    """(option, value) for -O, -T and --header, attached or separate; None for others."""
    for name in ("--header", "-O", "-T"):
        if arg == name:
            return name, queue.pop(0) if queue else None
        attached = name + "=" if name.startswith("--") else name
        if arg.startswith(attached):
            return name, arg[len(attached) :]
    return None


def wget(session: Session, args: list[str]) -> int:
    """busybox wget with -q -O --header -T."""
    quiet, output, timeout = False, None, None
    headers: list[tuple[str, str]] = []
    urls: list[str] = []
    queue = list(args)
    while queue:
        arg = queue.pop(0)
        if arg == "-q":
            quiet = True
        elif (option := _wget_option(arg, queue)) is not None:
            name, value = option
            if value is None:
                session.err(f"wget: option requires an argument -- '{arg.lstrip('-')}'\n")
                return 1
            if name == "-O":
                output = value
            elif name == "-T":
                timeout = float(value)
            else:
                key, _, val = value.partition(":")
                headers.append((key.strip(), val.strip()))
        elif arg.startswith("-"):
            session.err(
                f"wget: unrecognized option '{arg}'\n"
                "wget: the podid lab's wget supports -q -O --header -T\n"
            )
            return 1
        else:
            urls.append(arg)
    if len(urls) != 1:
        session.err("BusyBox wget: the podid lab's wget fetches one URL: wget [-q] -O - URL\n")
        return 1
    if output not in ("-", "/dev/null"):
        session.err("wget: the podid lab's toolbox writes no files: use -O - (standard output)\n")
        return 1
    request = Request("GET", urls[0], headers, None, timeout)
    _scheme, host, port, _target = request.parts
    if not quiet:
        session.err(f"Connecting to {host} ({host}:{port})\n")
    try:
        reply = send(session, request, [("User-Agent", "Wget"), ("Connection", "close")])
    except Unreachable as failure:
        message = {
            "resolve": f"wget: bad address '{host}'\n",
            "connect": f"wget: can't connect to remote host ({host}): Connection refused\n",
            "timeout": "wget: download timed out\n",
        }[failure.what]
        session.err(message)
        return 1
    if reply.status >= 400:
        session.err(f"wget: server returned error: HTTP/1.1 {reply.status} {reply.reason}\n")
        return 1
    if output == "-":
        if not quiet:
            session.err("writing to stdout\n")
        session.out(reply.body)
        if not quiet:
            session.err("written to stdout\n")
    return 0
