"""The Caderno kernel against the real other side: jupyter_client starts it from its installed
spec and speaks the messaging protocol to it; nbclient re-executes a notebook Caderno exported."""
import json
import os
import re
import subprocess
import time
import xml.etree.ElementTree as ElementTree
from queue import Empty

import nbformat
import pytest
from jupyter_client import BlockingKernelClient
from jupyter_client.connect import write_connection_file
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session
from nbclient import NotebookClient

from conftest import BINARY, caderno, displays, run, texts

TINY = "load mnist limit=500 test-limit=200\nnormalize\nbuild mlp 784-16-10\ncompile lr=0.1"


def test_the_spec_is_found_by_jupyter_and_removed(jupyter_path, tmp_path):
    listed = subprocess.run([os.path.dirname(os.sys.executable) + "/jupyter", "kernelspec", "list", "--json"],
                            capture_output=True, text=True, check=True)
    spec = json.loads(listed.stdout)["kernelspecs"]["caderno"]["spec"]
    assert spec["argv"] == [os.path.realpath(BINARY), "kernel", "-f", "{connection_file}"]
    assert (spec["display_name"], spec["language"], spec["interrupt_mode"]) == ("Caderno", "caderno", "signal")

    # --user goes to the Jupyter data folder (JUPYTER_DATA_DIR when set), and uninstall takes it away.
    env = dict(os.environ, JUPYTER_DATA_DIR=str(tmp_path / "data"))
    assert caderno("kernel", "install", "--user", env=env).returncode == 0
    assert (tmp_path / "data" / "kernels" / "caderno" / "kernel.json").exists()
    ElementTree.parse(tmp_path / "data" / "kernels" / "caderno" / "logo-svg.svg")
    assert caderno("kernel", "uninstall", env=env).returncode == 0
    assert not (tmp_path / "data" / "kernels" / "caderno").exists()
    again = caderno("kernel", "uninstall", env=env)
    assert again.returncode != 0 and "no Caderno kernel spec" in again.stderr
    both = caderno("kernel", "install", "--user", "--prefix", str(tmp_path))
    assert both.returncode != 0 and "--user and --prefix" in both.stderr


def test_kernel_info(kernel):
    _, client = kernel
    client.kernel_info()
    info = client.get_shell_msg(timeout=10)["content"]
    assert info["status"] == "ok" and info["implementation"] == "caderno"
    assert info["language_info"]["name"] == "caderno" and info["language_info"]["file_extension"] == ".nb"
    assert info["language_info"]["pygments_lexer"] == "text"   # jupyter console finds a lexer, and does not warn
    assert info["protocol_version"].startswith("5.")
    assert "help" in info["banner"]
    assert all(link["url"].startswith("https://") for link in info["help_links"])


def test_a_cell_trains_a_tiny_model_and_draws_its_loss_as_svg(kernel):
    _, client = kernel
    reply, messages = run(client, TINY + "\ntrain epochs=2\nplot loss")
    assert reply["status"] == "ok" and reply["execution_count"] == 1
    assert [m["content"]["execution_state"] for m in messages if m["msg_type"] == "status"] == ["busy", "idle"]
    assert messages[1]["msg_type"] == "execute_input" and messages[1]["content"]["code"].startswith("load mnist")
    shown = texts(messages)
    assert any(t.startswith("Epoch 1/2 ·") for t in shown) and any(t.startswith("Epoch 2/2 ·") for t in shown)
    svg = [d["data"]["image/svg+xml"] for d in displays(messages) if "image/svg+xml" in d["data"]]
    assert len(svg) == 1
    assert ElementTree.fromstring(svg[0].split("?>", 1)[-1]).tag.endswith("svg")

    # Live progress: one display, updated in place, left empty when training ends.
    progress = [m for m in messages if m["content"].get("transient", {}).get("display_id")]
    ids = {m["content"]["transient"]["display_id"] for m in progress}
    assert len(ids) == 1 and progress[0]["msg_type"] == "display_data"
    assert any(m["msg_type"] == "update_display_data" for m in progress)
    assert "<progress" in progress[0]["content"]["data"]["text/html"]
    assert progress[-1]["content"]["data"] == {"text/plain": ""}
    # Throttled: 2 epochs of 16 batches would be 34 messages unthrottled; a quick epoch shows its
    # first batch, its last, and the emptied bar (one more for each 250 ms it lasts).
    assert len(progress) < 16


def test_an_error_stops_the_cell_and_keeps_the_session(kernel):
    _, client = kernel
    reply, messages = run(client, "load mnist limit=100 test-limit=100\ntrian epochs=3\nbuild mlp 784-10")
    assert reply["status"] == "error" and reply["ename"] == "CommandError"
    assert "unknown command 'trian'" in reply["evalue"] and "did you mean 'train'" in reply["evalue"]
    assert reply["traceback"][1:] == ["  trian epochs=3", "  ^~~~~"]
    error = [m["content"] for m in messages if m["msg_type"] == "error"]
    assert error and error[0]["evalue"] == reply["evalue"]
    # The line after the error did not run; the one before did.
    reply, _ = run(client, "summary")
    assert reply["status"] == "error" and "no model yet" in reply["evalue"]
    reply, messages = run(client, "history commands")
    assert reply["status"] == "ok" and "load mnist limit=100" in "\n".join(texts(messages))


def test_completion_and_inspection(kernel, tmp_path):
    _, client = kernel
    client.complete("tra", 3)
    content = client.get_shell_msg(timeout=10)["content"]
    assert content["matches"] == ["trace", "train"] and (content["cursor_start"], content["cursor_end"]) == (0, 3)
    code = "normalize\ntrain ep"
    client.complete(code, len(code))
    content = client.get_shell_msg(timeout=10)["content"]
    assert content["matches"] == ["epochs="] and content["cursor_start"] == len(code) - 2
    client.complete("compile optimizer=a", 19)
    assert client.get_shell_msg(timeout=10)["content"]["matches"] == ["optimizer=adam"]
    # Paths, from the kernel's working folder (Jupyter starts it in the notebook's).
    (tmp_path / "mlp.safetensors").write_bytes(b"")
    (tmp_path / "runs").mkdir()
    client.complete("load model ", 11)
    assert client.get_shell_msg(timeout=10)["content"]["matches"] == ["mlp.safetensors", "runs/"]

    client.inspect("train epochs=3", 2)
    content = client.get_shell_msg(timeout=10)["content"]
    assert content["found"] and content["data"]["text/plain"].startswith("train — ") and "usage:" in content["data"]["text/plain"]
    client.inspect("normalize\nplot loss", 14)   # on 'loss': the line's command
    assert client.get_shell_msg(timeout=10)["content"]["data"]["text/plain"].startswith("plot — ")
    client.inspect("nothing here", 3)
    assert client.get_shell_msg(timeout=10)["content"]["found"] is False

    client.is_complete("train epochs=3")
    assert client.get_shell_msg(timeout=10)["content"]["status"] == "complete"
    client.is_complete("train epochs=three")
    assert client.get_shell_msg(timeout=10)["content"]["status"] == "invalid"


def test_history_and_comm_info(kernel):
    _, client = kernel
    run(client, "seed 7")
    run(client, "help seed")
    client.history(hist_access_type="tail", n=10)
    assert client.get_shell_msg(timeout=10)["content"]["history"] == [[0, 1, "seed 7"], [0, 2, "help seed"]]
    client.history(hist_access_type="search", pattern="seed*")
    assert [entry[2] for entry in client.get_shell_msg(timeout=10)["content"]["history"]] == ["seed 7"]
    client.comm_info()
    assert client.get_shell_msg(timeout=10)["content"] == {"status": "ok", "comms": {}}


def test_quit_asks_a_terminal_console_to_leave_and_the_kernel_stays(kernel):
    manager, client = kernel
    reply, messages = run(client, "quit\nseed 5")
    assert reply["status"] == "ok" and reply["payload"] == [{"source": "ask_exit", "keepkernel": False}]
    assert texts(messages)[0].startswith("In a notebook, the kernel stops or starts afresh")
    assert texts(messages)[1].startswith("Seed 5")
    assert manager.is_alive()


def test_an_interrupt_stops_training_and_keeps_kernel_and_model(kernel):
    manager, client = kernel
    run(client, "load mnist limit=20000 test-limit=500\nnormalize\nbuild mlp 784-64-10\ncompile lr=0.1")
    msg_id = client.execute("train epochs=200\nsummary")
    messages = []
    while True:   # training has begun once its progress shows
        messages.append(client.get_iopub_msg(timeout=60))
        if messages[-1]["parent_header"].get("msg_id") == msg_id and messages[-1]["content"].get("transient", {}).get("display_id"):
            break
    started = time.monotonic()
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=60)["content"]
    assert reply["status"] == "ok" and time.monotonic() - started < 10
    while messages[-1]["msg_type"] != "status" or messages[-1]["content"]["execution_state"] != "idle":
        messages.append(client.get_iopub_msg(timeout=10))
    shown = "\n".join(texts([m for m in messages if m["parent_header"].get("msg_id") == msg_id]))
    assert "Interrupted in epoch 1, after batch" in shown and "the model keeps every step it took" in shown
    assert "Layer (type)" in shown   # the cell's next line still ran: the interrupt stops training only
    assert manager.is_alive()
    reply, messages = run(client, "evaluate")
    assert reply["status"] == "ok" and "accuracy" in "\n".join(texts(messages)).lower()

    # The same by message (interrupt_request on the control channel), as a front end may send it.
    msg_id = client.execute("train epochs=200")
    while not client.get_iopub_msg(timeout=60)["content"].get("transient", {}).get("display_id"):
        pass
    client.control_channel.send(client.session.msg("interrupt_request", {}))
    assert client.control_channel.get_msg(timeout=10)["content"] == {"status": "ok"}
    reply = client.get_shell_msg(timeout=60)
    assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"


def test_a_message_with_a_wrong_signature_is_refused(kernel):
    _, client = kernel
    forger = Session(key=b"not the key", username="mallory")
    forger.send(client.shell_channel.socket, "execute_request", {"code": "seed 1", "silent": False})
    with pytest.raises(Empty):
        client.get_shell_msg(timeout=2)
    client.kernel_info()
    assert client.get_shell_msg(timeout=10)["msg_type"] == "kernel_info_reply"
    client.history(hist_access_type="tail", n=10)
    assert client.get_shell_msg(timeout=10)["content"]["history"] == []


def test_restart_gives_a_fresh_session(kernel):
    manager, client = kernel
    run(client, TINY)
    manager.restart_kernel(now=False)
    client.wait_for_ready(timeout=30)
    reply, _ = run(client, "summary")
    assert reply["status"] == "error" and "no model yet" in reply["evalue"] and reply["execution_count"] == 1


def test_shutdown_ends_the_process_with_status_zero(jupyter_path, tmp_path):
    # Started by hand, not by a manager, to see the status the kernel leaves with.
    connection = str(tmp_path / "connection.json")
    write_connection_file(connection, key=b"a key")
    process = subprocess.Popen([BINARY, "kernel", "-f", connection])
    client = BlockingKernelClient(connection_file=connection)
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=30)
        time.sleep(2.5)   # two of the heartbeat channel's one-second pings, each answered in time
        assert client.is_alive()   # a client without a manager asks the heartbeat
        client.shutdown()
        assert client.control_channel.get_msg(timeout=10)["content"] == {"status": "ok", "restart": False}
        assert process.wait(timeout=10) == 0
    finally:
        client.stop_channels()
        if process.poll() is None:
            process.kill()


def test_portuguese_when_the_locale_asks(jupyter_path):
    manager, client = start_new_kernel(kernel_name="caderno", startup_timeout=30, env=dict(os.environ, LANG="pt_BR.UTF-8"))
    try:
        reply, _ = run(client, "summary")
        assert reply["evalue"].startswith("error: ainda não há modelo — tente: build mlp"), reply["evalue"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


DURATION = re.compile(r"\b\d+(\.\d+)?(ms|s)\b|\b\d+m\d+s\b|\b[\d,]+/s\b")


def comparable(outputs):
    """Outputs as text to compare: durations and speeds blanked, spent progress displays dropped."""
    kept = []
    for output in outputs:
        if output["output_type"] == "error":
            kept.append(("error", output["evalue"]))
            continue
        data = output["data"]
        if data.get("text/plain", "") == "" and len(data) == 1:
            continue
        kept.append((DURATION.sub("T", data["text/plain"]), data.get("image/svg+xml")))
    return kept


def test_nbclient_reruns_an_exported_notebook_with_the_same_outputs(jupyter_path, tmp_path):
    commands = [*TINY.split("\n"), "train epochs=2", "plot loss", "metrics", "plot confusion", "export session.ipynb"]
    made = subprocess.run([BINARY], input="\n".join(commands) + "\n", capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert made.returncode == 0, made.stderr
    exported = nbformat.read(tmp_path / "session.ipynb", as_version=4)
    nbformat.validate(exported)
    assert exported.metadata.kernelspec.name == "caderno"

    executed = nbformat.read(tmp_path / "session.ipynb", as_version=4)
    NotebookClient(executed, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    nbformat.validate(executed)
    before = [cell for cell in exported.cells if cell.cell_type == "code"]
    after = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert len(before) == len(after) == 8
    for old, new in zip(before, after):
        assert comparable(new.outputs) == comparable(old.outputs), old.source
        assert new.execution_count == old.execution_count
    pictures = [output for cell in after for output in cell.outputs if "image/svg+xml" in output.get("data", {})]
    assert len(pictures) == 3   # the loss curve, metrics' confusion matrix, plot confusion
