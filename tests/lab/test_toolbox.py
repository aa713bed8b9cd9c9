"""The curl and busybox toolbox images; kubectl exec, attach and run -it with stock kubectl."""

from __future__ import annotations

import base64
import json
import os
import pty
import select
import subprocess
import time
from pathlib import Path

import jwt
import pytest

from .aks_steps import wait_for
from .host_processes import alive, parent_of, pod_pids
from .test_pod_identity import NS, POD_IDENTITY, World, apply_demo, delete_pod, pod_log
from .test_pod_identity import world as world

TOKEN_URL = (
    "http://169.254.169.254/metadata/identity/oauth2/token"
    "?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F"
)
SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def run_pod(world: World, name: str, image: str, *command: str, labelled: bool = True) -> None:
    """`kubectl run` a pod of a toolbox image (labelled for the pod identity, or not)."""
    args = ["run", name, "-n", NS, f"--image={image}", "--restart=Never"]
    if labelled:
        args.append(f"--labels=aadpodidbinding={POD_IDENTITY}")
    result = world.kubectl(*args, "--", *command)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"pod/{name} created\n"


def _appid(reply: dict[str, str]) -> str:
    """The client ID an NMI token reply is for (NMI's msiResponse carries none of its own)."""
    claims = jwt.decode(reply["access_token"], options={"verify_signature": False})
    return str(claims["appid"])


def running(world: World, name: str) -> None:
    wait_for(lambda: world.core.read_namespaced_pod(name, NS).status.phase == "Running")


@pytest.fixture(scope="module")
def toolbox(world: World) -> str:
    """A labelled busybox pod that sleeps, to exec into."""
    run_pod(world, "toolbox", "busybox", "sleep", "3600")
    running(world, "toolbox")
    return "toolbox"


def exec_(
    world: World,
    *command: str,
    pod: str = "toolbox",
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    flags = ["-i"] if stdin is not None else []
    full = {
        **os.environ,
        "KUBECONFIG": str(world.kubeconfig),
        "HOME": str(world.kube_home),
        **(env or {}),
    }
    return subprocess.run(
        ["kubectl", "exec", *flags, pod, "-n", NS, "--", *command],
        env=full,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


# -- the "done when" ------------------------------------------------------------------


def test_a_labelled_curl_pod_logs_a_token_and_an_unlabelled_one_nmi_404(world: World) -> None:
    run_pod(world, "curl-ok", "curlimages/curl", "curl", "-s", "-H", "Metadata:true", TOKEN_URL)
    run_pod(
        world,
        "curl-nolabel",
        "curlimages/curl",
        "-s",
        "-H",
        "Metadata:true",
        TOKEN_URL,
        labelled=False,
    )
    token = json.loads(pod_log(world, "curl-ok", NS, "access_token"))
    assert _appid(token) == world.identity.client_id
    assert token["resource"] == "https://management.azure.com/"
    # The entrypoint put curl in front of the options; NMI answers 404 for an unlabelled pod.
    text = pod_log(world, "curl-nolabel", NS, "no azure identity found")
    assert "no azure identity found for request clientID" in text
    for name in ("curl-ok", "curl-nolabel"):
        wait_for(lambda n=name: world.core.read_namespaced_pod(n, NS).status.phase == "Succeeded")
        delete_pod(world, name)


def test_exec_wget_against_imds_in_a_busybox_pod(world: World, toolbox: str) -> None:
    result = exec_(world, "wget", "-q", "-O", "-", "--header", "Metadata: true", TOKEN_URL)
    assert result.returncode == 0, result.stderr
    assert _appid(json.loads(result.stdout)) == world.identity.client_id


def test_run_it_rm_gives_an_interactive_shell(world: World) -> None:
    out, code = in_terminal(
        world,
        ["run", "-it", "--rm", "shell", "-n", NS, "--image=busybox", "--restart=Never", "--", "sh"],
        ["hostname", "echo $HOSTNAME-$?", "exit 0"],
    )
    assert "If you don't see a command prompt, try pressing enter." in out
    assert "/ # hostname\r\nshell\r\n" in out
    assert "shell-0" in out
    assert 'pod "shell" deleted' in out
    assert code == 0


def test_command_and_args_replace_entrypoint_and_cmd(world: World, tmp_path: Path) -> None:
    manifest = tmp_path / "command.json"
    container = {
        "name": "c",
        "image": "curlimages/curl",
        "command": ["sh", "-c"],
        "args": ["echo $GREETING from $(hostname); nosuch; exit 3"],
        "env": [{"name": "GREETING", "value": "hello"}],
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "command", "namespace": NS},
        "spec": {"containers": [container], "restartPolicy": "Never"},
    }
    manifest.write_text(json.dumps(pod))
    assert world.kubectl("apply", "-f", str(manifest)).returncode == 0
    wait_for(lambda: world.core.read_namespaced_pod("command", NS).status.phase == "Failed")
    status = world.core.read_namespaced_pod("command", NS).status.container_statuses[0]
    assert status.state.terminated.exit_code == 2  # $(...) is not supported: sh says so
    log = world.kubectl("logs", "command", "-n", NS).stdout
    assert "command substitution is not supported" in log
    delete_pod(world, "command")
    container["args"] = ["echo $GREETING; nosuch; exit 3"]
    manifest.write_text(json.dumps(pod))
    assert world.kubectl("apply", "-f", str(manifest)).returncode == 0
    wait_for(lambda: world.core.read_namespaced_pod("command", NS).status.phase == "Failed")
    status = world.core.read_namespaced_pod("command", NS).status.container_statuses[0]
    assert status.state.terminated.exit_code == 3
    assert world.kubectl("logs", "command", "-n", NS).stdout == "hello\nsh: nosuch: not found\n"
    delete_pod(world, "command")


def test_a_container_command_the_image_lacks(world: World) -> None:
    run_pod(world, "lacking", "busybox", "curl", "-s", TOKEN_URL)
    wait_for(lambda: world.core.read_namespaced_pod("lacking", NS).status.phase == "Failed")
    status = world.core.read_namespaced_pod("lacking", NS).status.container_statuses[0]
    assert status.state.terminated.exit_code == 128
    log = world.kubectl("logs", "lacking", "-n", NS).stdout
    assert log == 'exec: "curl": executable file not found in $PATH\n'
    delete_pod(world, "lacking")


# -- exec ---------------------------------------------------------------------------------------


def test_exec_over_v4_with_the_python_client(world: World, toolbox: str) -> None:
    from kubernetes.stream import stream

    ws = stream(
        world.core.connect_get_namespaced_pod_exec,
        "toolbox",
        NS,
        command=["sh", "-c", "echo out; cat /nowhere; exit 7"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    ws.run_forever(timeout=30)
    assert ws.read_stdout() == "out\n"
    assert ws.read_stderr() == "cat: can't open '/nowhere': No such file or directory\n"
    assert ws.returncode == 7
    ws.close()


def test_exec_exit_codes_and_shell_operators(world: World, toolbox: str) -> None:
    result = exec_(world, "sh", "-c", "false || echo one; true && echo two; nope; echo $?; exit 3")
    assert result.stdout == "one\ntwo\n127\n"
    assert result.stderr == "sh: nope: not found\ncommand terminated with exit code 3\n"
    assert result.returncode == 3


def test_an_exec_ends_with_its_client_and_with_its_pod(world: World) -> None:
    run_pod(world, "short-lived", "busybox", "sleep", "3600")
    running(world, "short-lived")
    full = {**os.environ, "KUBECONFIG": str(world.kubeconfig), "HOME": str(world.kube_home)}
    command = ["kubectl", "exec", "short-lived", "-n", NS, "--", "sleep", "600"]
    left = subprocess.Popen(command, env=full)
    wait_for(lambda: len(_toolbox_processes("short-lived")) == 2)
    left.terminate()  # the client goes away: its command ends
    left.wait(10)
    wait_for(lambda: len(_toolbox_processes("short-lived")) == 1)
    stays = subprocess.Popen(command, env=full, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(_toolbox_processes("short-lived")) == 2)
    delete_pod(world, "short-lived")  # the pod goes: every process in it ends
    wait_for(lambda: not _toolbox_processes("short-lived"))
    assert stays.wait(20) != 0


def test_exec_stdin(world: World, toolbox: str) -> None:
    assert exec_(world, "cat", stdin="hello\nworld\n").stdout == "hello\nworld\n"
    script = exec_(world, "sh", stdin="echo from stdin\nexit 5\n")
    assert (script.stdout, script.returncode) == ("from stdin\n", 5)


def test_exec_of_a_command_the_image_lacks(world: World, toolbox: str) -> None:
    result = exec_(world, "curl", "-s", TOKEN_URL)  # busybox has wget, not curl
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: Internal error occurred: error executing command in container: failed to exec "
        'in container: failed to start exec "'
    )
    assert result.stderr.endswith(
        'OCI runtime exec failed: exec failed: unable to start container process: exec: "curl": '
        "executable file not found in $PATH: unknown\n"
    )


def test_exec_into_the_distroless_demo_fails_as_on_a_node(world: World, tmp_path: Path) -> None:
    apply_demo(world, tmp_path, name="exec-demo")
    running(world, "exec-demo")
    result = exec_(world, "curl", "-s", TOKEN_URL, pod="exec-demo")
    assert result.returncode == 1
    assert 'exec: "curl": executable file not found in $PATH: unknown' in result.stderr
    delete_pod(world, "exec-demo")


def test_exec_needs_the_clusters_credentials(world: World, toolbox: str) -> None:
    import websocket
    import yaml

    config = yaml.safe_load(world.kubeconfig.read_text())
    server = config["clusters"][0]["cluster"]["server"].replace("https://", "wss://")
    url = f"{server}/api/v1/namespaces/{NS}/pods/toolbox/exec?command=env&stdout=true"
    ca = world.az.home.ca_cert
    for header in ([], ["Authorization: Bearer not-the-token"]):
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(
                url, header=header, subprotocols=["v5.channel.k8s.io"], sslopt={"ca_certs": str(ca)}
            )
        assert refused.value.status_code == 401
        assert json.loads(refused.value.resp_body)["reason"] == "Unauthorized"


KUBECTLS = Path("/usr/lib/google-cloud-sdk/bin")


@pytest.mark.parametrize("version", ["1.29", "1.30", "1.31", "1.32", "1.33"])
def test_what_each_kubectl_negotiates(world: World, toolbox: str, version: str) -> None:
    binary = KUBECTLS / f"kubectl.{version}"
    if not binary.exists():
        pytest.skip(f"no kubectl {version} here")
    env = {"PATH": os.environ["PATH"], "KUBECONFIG": str(world.kubeconfig)}
    env["HOME"] = str(world.kube_home)
    done = subprocess.run(
        [str(binary), "exec", "toolbox", "-n", NS, "-v=4", "--", "echo", "hi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if version == "1.29":  # WebSockets were alpha (off): SPDY only, which the lab refuses
        assert done.returncode == 1
        assert "use kubectl 1.30 or newer" in done.stderr
    else:
        assert (done.stdout, done.returncode) == ("hi\n", 0), done.stderr
        assert "The subprotocol is v5.channel.k8s.io" in done.stderr


def test_spdy_gets_a_status_naming_the_kubectl_needed(world: World, toolbox: str) -> None:
    result = exec_(world, "echo", "hi", env={"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"})
    assert result.returncode == 1
    assert "use kubectl 1.30 or newer" in result.stderr
    assert "KUBECTL_REMOTE_COMMAND_WEBSOCKETS" in result.stderr


# -- what the toolbox can do -------------------------------------------------------------------


def test_projected_files_are_where_the_pod_has_them(world: World, toolbox: str) -> None:
    assert exec_(world, "ls", SA).stdout == "ca.crt\nnamespace\ntoken\n"
    assert exec_(world, "cat", f"{SA}/namespace").stdout == NS
    assert exec_(world, "cat", f"{SA}/ca.crt").stdout.startswith("-----BEGIN CERTIFICATE-----")
    token = exec_(world, "cat", f"{SA}/token").stdout
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["sub"] == f"system:serviceaccount:{NS}:default"
    assert claims["kubernetes.io"]["pod"]["name"] == "toolbox"


def test_a_workload_identity_token_is_where_the_webhook_mounts_it(
    world: World, tmp_path: Path
) -> None:
    # The volume and mount the Workload ID webhook adds, written by hand here.
    volume = {
        "name": "azure-identity-token",
        "projected": {
            "sources": [
                {
                    "serviceAccountToken": {
                        "audience": "api://AzureADTokenExchange",
                        "expirationSeconds": 3600,
                        "path": "azure-identity-token",
                    }
                }
            ]
        },
    }
    mount = {"name": "azure-identity-token", "mountPath": "/var/run/secrets/azure/tokens"}
    container = {"name": "c", "image": "busybox", "args": ["sleep", "3600"]}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "wi-files", "namespace": NS},
        "spec": {"containers": [{**container, "volumeMounts": [mount]}], "volumes": [volume]},
    }
    manifest = tmp_path / "wi.json"
    manifest.write_text(json.dumps(pod))
    assert world.kubectl("apply", "-f", str(manifest)).returncode == 0
    running(world, "wi-files")
    path = "/var/run/secrets/azure/tokens/azure-identity-token"
    assert exec_(world, "ls", "/var/run/secrets/azure/tokens", pod="wi-files").stdout == (
        "azure-identity-token\n"
    )
    token = exec_(world, "cat", path, pod="wi-files").stdout
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["aud"] == ["api://AzureADTokenExchange"]
    assert exec_(world, "ls", "/var/run/secrets", pod="wi-files").stdout == (
        "azure\nkubernetes.io\n"
    )
    delete_pod(world, "wi-files")


def test_env_shows_the_container_environment_only(world: World, toolbox: str) -> None:
    env = dict(line.split("=", 1) for line in exec_(world, "env").stdout.splitlines())
    assert env["HOSTNAME"] == "toolbox"
    assert env["KUBERNETES_SERVICE_HOST"] == "10.0.0.1"
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert not [k for k in env if k.startswith(("PODID", "PYTHON", "AZURE_POD_IDENTITY"))]


def test_nslookup_of_cluster_names(world: World, toolbox: str) -> None:
    found = exec_(world, "nslookup", "kubernetes.default")
    assert found.stdout == (
        "Server:\t\t10.0.0.10\nAddress:\t10.0.0.10:53\n\n"
        "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.0.0.1\n\n"
    )
    missing = exec_(world, "nslookup", "nowhere")
    assert missing.returncode == 1
    assert "** server can't find nowhere: NXDOMAIN" in missing.stdout


def test_curl_flags(world: World) -> None:
    run_pod(world, "curlbox", "curlimages/curl", "sleep", "3600", labelled=False)
    running(world, "curlbox")

    def curl(*args: str) -> subprocess.CompletedProcess[str]:
        return exec_(world, "curl", *args, pod="curlbox")

    ok = curl("-sS", "-H", "Metadata: true", "-o", "/dev/null", "-w", "%{http_code}\\n", TOKEN_URL)
    assert (ok.stdout, ok.returncode) == ("404\n", 0)  # NMI: no binding for this pod
    no_header = curl("-s", "-w", " %{http_code}", TOKEN_URL)
    assert no_header.stdout.endswith(" 400")
    failed = curl("-sSf", "-H", "Metadata:true", TOKEN_URL)
    assert failed.returncode == 22
    assert "curl: (22) The requested URL returned error: 404" in failed.stderr
    verbose = curl("-s", "-v", "-X", "GET", "--max-time", "5", "-H", "Metadata:true", TOKEN_URL)
    assert "> GET /metadata/identity/oauth2/token?api-version=2018-02-01" in verbose.stderr
    assert "> Host: 169.254.169.254" in verbose.stderr
    assert "< HTTP/1.1 404 Not Found" in verbose.stderr
    assert "uvicorn" not in verbose.stderr and "127.0.0.1" not in verbose.stderr
    posted = curl("-s", "-d", "x=1", "-w", "%{http_code}", TOKEN_URL)
    assert posted.stdout.endswith("405") or posted.stdout.endswith("404")
    unknown = curl("-k", TOKEN_URL)
    assert unknown.returncode == 2
    assert "curl: option -k: is unknown" in unknown.stderr
    assert "supports -s -S -f -H -X -d -o -w -v --max-time" in unknown.stderr
    elsewhere = curl("-sS", "http://example.com/")
    assert (elsewhere.returncode, elsewhere.stderr) == (
        6,
        "curl: (6) Could not resolve host: example.com\ncommand terminated with exit code 6\n",
    )
    delete_pod(world, "curlbox")


def test_wget_flags(world: World, toolbox: str) -> None:
    loud = exec_(world, "wget", "-T", "5", "-O", "-", "--header", "Metadata: true", TOKEN_URL)
    assert loud.stderr.startswith("Connecting to 169.254.169.254 (169.254.169.254:80)\n")
    refused = exec_(world, "wget", "-q", "-O", "-", TOKEN_URL)
    assert refused.returncode == 1
    assert "wget: server returned error: HTTP/1.1 400 Bad Request" in refused.stderr
    bad = exec_(world, "wget", "-S", TOKEN_URL)
    assert "supports -q -O --header -T" in bad.stderr


def test_the_toolbox_never_touches_the_host(world: World, toolbox: str) -> None:
    for path in ("/etc/passwd", f"{SA}/../../../../../etc/passwd", "/proc/self/environ"):
        result = exec_(world, "cat", path)
        assert result.returncode == 1
        assert "No such file or directory" in result.stderr
    assert exec_(world, "ls", "/").stdout == "etc\nvar\n"
    for script in ("ls | cat", "echo $(id)", "echo `id`", "cat < /etc/passwd", "sleep 1 &"):
        result = exec_(world, "sh", "-c", script)
        assert result.returncode == 2
        assert "is not supported by the podid lab's toolbox shell" in result.stderr
    # While `sh -c sleep` runs, no toolbox workload has a child: every command runs inside it.
    full = {**os.environ, "KUBECONFIG": str(world.kubeconfig), "HOME": str(world.kube_home)}
    running_exec = subprocess.Popen(
        ["kubectl", "exec", "toolbox", "-n", NS, "--", "sh", "-c", "sleep 3; echo done"],
        env=full,
        stdout=subprocess.PIPE,
        text=True,
    )

    def each_supervisor_runs_its_workload() -> tuple[set[int], set[int], set[int]] | None:
        # The exec's supervisor shows before it has forked its workload: wait for both.
        supervisors = _toolbox_processes()
        everything = set(pod_pids(NS, "toolbox", "toolbox"))
        try:
            workloads = {pid for pid in everything if parent_of(pid) in supervisors}
        except OSError:  # a process ended between the two looks: look again
            return None
        if len(supervisors) >= 2 and len(workloads) == len(supervisors):
            return supervisors, workloads, everything
        return None

    supervisors, workloads, everything = wait_for(each_supervisor_runs_its_workload)
    assert everything == supervisors | workloads
    assert not [pid for pid, parent in _parents().items() if parent in workloads]
    assert running_exec.communicate(timeout=20)[0] == "done\n"


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = parent_of(int(entry))
            except OSError:
                continue
    return parents


def _toolbox_processes(pod: str = "toolbox") -> set[int]:
    """The supervisors of a toolbox pod's processes (its container's and each exec's)."""
    pids = [pid for pid in pod_pids(NS, pod, pod) if alive(pid)]
    found = set()
    for pid in pids:
        try:
            if parent_of(pid) not in pids:
                found.add(pid)
        except OSError:
            continue  # it ended while we looked
    return found


def test_nothing_in_the_toolbox_shows_the_pods_nmi_secret(world: World, toolbox: str) -> None:
    endpoint = world.endpoint("toolbox")
    secret, port = endpoint.rsplit("/", 1)[-1], world.imds_origin.rsplit(":", 1)[-1]
    seen = [
        exec_(world, "env"),
        exec_(world, "wget", "-O", "-", "--header", "Metadata: true", TOKEN_URL),
        exec_(world, "wget", "-O", "-", "http://169.254.169.254/nowhere"),
        exec_(world, "sh", "-c", "echo $AZURE_POD_IDENTITY_AUTHORITY_HOST $PODID_LAB_MOUNTS"),
        exec_(world, "ls", "/var/run/secrets/kubernetes.io/serviceaccount/.."),
    ]
    for result in seen:
        text = result.stdout + result.stderr
        assert secret not in text and f":{port}" not in text and "/pod/" not in text, text
    assert seen[3].stdout == " \n"  # lab plumbing is not in the container's environment


# -- attach and TTY -----------------------------------------------------------------------------


def test_attach_with_stdin(world: World, tmp_path: Path) -> None:
    manifest = tmp_path / "attach.json"
    manifest.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "attach-me", "namespace": NS},
                "spec": {
                    "containers": [
                        {"name": "sh", "image": "busybox", "stdin": True, "stdinOnce": True}
                    ],
                    "restartPolicy": "Never",
                },
            }
        )
    )
    assert world.kubectl("apply", "-f", str(manifest)).returncode == 0
    running(world, "attach-me")
    full = {**os.environ, "KUBECONFIG": str(world.kubeconfig), "HOME": str(world.kube_home)}
    result = subprocess.run(
        ["kubectl", "attach", "-i", "attach-me", "-n", NS],
        env=full,
        input="echo attached $HOSTNAME\nexit 0\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "attached attach-me\n" in result.stdout
    wait_for(lambda: world.core.read_namespaced_pod("attach-me", NS).status.phase == "Succeeded")
    assert "attached attach-me" in world.kubectl("logs", "attach-me", "-n", NS).stdout
    delete_pod(world, "attach-me")


def test_exec_with_a_tty(world: World, toolbox: str) -> None:
    out, code = in_terminal(
        world, ["exec", "-it", "toolbox", "-n", NS, "--", "sh"], ["echo tty", "exit 4"]
    )
    assert "/ # echo tty\r\ntty\r\n/ # " in out
    assert code == 4


def test_ctrl_c_on_a_tty_interrupts_the_command_not_the_shell(world: World, toolbox: str) -> None:
    started = time.monotonic()
    out, code = in_terminal(
        world,
        ["exec", "-it", "toolbox", "-n", NS, "--", "sh"],
        ["sleep 20", "echo $?", "exit"],
        interrupt="sleep 20",
    )
    assert "/ # echo $?\r\n130\r\n/ # " in out
    assert code == 0
    assert time.monotonic() - started < 15


def in_terminal(
    world: World,
    args: list[str],
    lines: list[str],
    timeout: float = 30,
    interrupt: str | None = None,
) -> tuple[str, int]:
    """Run kubectl on a pseudo-terminal, typing each line after a prompt (and Ctrl-C a second
    after the `interrupt` line); (output, exit code)."""
    env = {**os.environ, "KUBECONFIG": str(world.kubeconfig), "HOME": str(world.kube_home)}
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("kubectl", ["kubectl", *args], env)
    output = b""
    pending = list(lines)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip().endswith((b"#", b"$")):
                line = pending.pop(0)
                os.write(fd, line.encode() + b"\r")
                if line == interrupt:
                    time.sleep(1.0)
                    os.write(fd, b"\x03")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return output.decode("utf-8", "replace"), os.waitstatus_to_exitcode(status)


def test_a_crashed_containers_back_off_ends_with_its_pod(world: World) -> None:
    # The container exits 1, so the kubelet waits 10 s before it restarts it; a new pod of the
    # same name (what `kubectl delete pod` + `kubectl apply` gives) owes nothing to that wait.
    run_crashing = [
        "run",
        "crasher",
        "-n",
        NS,
        "--image=busybox",
        "--",
        "sh",
        "-c",
        "echo up; exit 1",
    ]

    def waiting_reason() -> str | None:
        statuses = world.core.read_namespaced_pod("crasher", NS).status.container_statuses or []
        return statuses[0].state.waiting.reason if statuses and statuses[0].state.waiting else None

    assert world.kubectl(*run_crashing).returncode == 0
    wait_for(lambda: waiting_reason() == "CrashLoopBackOff")
    status = world.core.read_namespaced_pod("crasher", NS).status.container_statuses[0]
    assert status.restart_count == 1
    assert status.state.waiting.message.startswith("back-off 10s restarting failed container=")
    delete_pod(world, "crasher")
    started = time.monotonic()
    assert world.kubectl(*run_crashing).returncode == 0
    pod_log(world, "crasher", NS, "up")
    assert time.monotonic() - started < 8, "the new pod waited out the old pod's back-off"
    delete_pod(world, "crasher")
