"""The development SMTP sink starts in exactly one of several processes (backend workers): a file lock."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

from autogestion.adapters.mail_sink import start_sink_once, stop_owned_sink

CHILD = textwrap.dedent(
    """
    import sys, time
    from autogestion.adapters.mail_sink import start_sink_once, stop_owned_sink
    port, data = int(sys.argv[1]), sys.argv[2]
    sink = start_sink_once("127.0.0.1", port, data + "/mail", data + "/smtp-sink.lock")
    print("started" if sink else "skipped", flush=True)
    sys.stdin.read()  # hold until the test closes stdin
    if sink:
        stop_owned_sink(sink)
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def smtp_banner(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        return sock.recv(200)


def test_exactly_one_of_several_processes_starts_the_sink(tmp_path):
    port = free_port()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(port), str(tmp_path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    try:
        answers = sorted(child.stdout.readline().strip() for child in children)
        assert answers == ["skipped", "skipped", "skipped", "started"]
        assert smtp_banner(port).startswith(b"220")
    finally:
        outputs = [child.communicate(input="", timeout=30) for child in children]
    assert all(child.returncode == 0 for child in children)
    assert all("Error" not in err and "Traceback" not in err for _, err in outputs), outputs


def test_the_lock_is_released_when_the_holder_stops_or_dies(tmp_path):
    port, lock = free_port(), tmp_path / "smtp-sink.lock"
    first = start_sink_once("127.0.0.1", port, tmp_path / "mail", lock)
    assert first is not None
    assert start_sink_once("127.0.0.1", port, tmp_path / "mail", lock) is None  # same process, second try
    stop_owned_sink(first)

    holder = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(port), str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "started"
    holder.kill()  # no clean stop: the kernel drops the lock with the process
    holder.wait(timeout=10)
    holder.stdout.close()
    holder.stdin.close()
    for _ in range(50):  # the killed process's listening socket may take a moment to close
        try:
            again = start_sink_once("127.0.0.1", port, tmp_path / "mail", lock)
            break
        except OSError:
            time.sleep(0.1)
    assert again is not None
    stop_owned_sink(again)
