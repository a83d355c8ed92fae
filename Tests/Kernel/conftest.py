"""The Caderno kernel, started as Jupyter starts it: its spec installed into a temporary prefix,
found through JUPYTER_PATH, launched and spoken to by jupyter_client."""
import os
import shutil
import subprocess
import tempfile

import pytest
from jupyter_client.manager import start_new_kernel

BINARY = os.environ.get("CADERNO_BINARY", "")
DATA = os.environ.get("CADERNO_DATA", "")


def caderno(*arguments, env=None):
    return subprocess.run([BINARY, *arguments], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(scope="session")
def jupyter_path():
    """A prefix holding the installed spec, named in JUPYTER_PATH for this test run."""
    if not os.access(BINARY, os.X_OK):
        pytest.fail("CADERNO_BINARY must name the built caderno (make test sets it)")
    if not os.path.isdir(os.path.join(DATA, "mnist")):
        pytest.fail("CADERNO_DATA must name the folder with mnist/ (make test sets it)")
    prefix = tempfile.mkdtemp(prefix="caderno-kernel-")
    done = caderno("kernel", "install", "--prefix", prefix)
    assert done.returncode == 0, done.stderr
    path = os.path.join(prefix, "share", "jupyter")
    os.environ["JUPYTER_PATH"] = path
    yield path
    shutil.rmtree(prefix)


@pytest.fixture
def kernel(jupyter_path, tmp_path):
    """A running kernel (in a temporary working folder) and a client whose channels are ready."""
    manager, client = start_new_kernel(kernel_name="caderno", startup_timeout=30, cwd=str(tmp_path))
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def run(client, code, timeout=120):
    """Executes `code`; returns the reply's content and the IOPub messages that belong to it."""
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=timeout)
    assert reply["parent_header"]["msg_id"] == msg_id
    messages = []
    while True:
        message = client.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
            return reply["content"], messages


def displays(messages):
    return [m["content"] for m in messages if m["msg_type"] == "display_data" and not m["content"].get("transient")]


def texts(messages):
    return [d["data"]["text/plain"] for d in displays(messages)]
