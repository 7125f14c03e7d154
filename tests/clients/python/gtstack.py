"""What the Python tests know of the stack tests/clients/python.sh started:
its credentials.env in the environment, root SQL on its MariaDB."""

import os
import subprocess
import time

BASE_URL = os.environ.get("BASE_URL", "")
CLIENT_KEY = os.environ.get("CLIENT_KEY", "")
CLIENT_KEY_2 = os.environ.get("CLIENT_KEY_2", "")
WORKER_KEY = os.environ.get("WORKER_KEY", "")
STACK_DIR = os.environ.get("GENTRACK_STACK_DIR", "")
SOCKET = os.environ.get("MYSQL_SOCKET", "")


def sql(query: str) -> str:
    out = subprocess.run(["mariadb", "--no-defaults", f"--socket={SOCKET}", "-uroot", "-N", "-B",
                          "gentrack", "-e", query], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def wait_for(pred, timeout=10.0, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def unique(prefix: str) -> str:
    """An entity type of its own per test: no worker of another test claims it."""
    return f"{prefix}_{os.getpid()}_{time.monotonic_ns() % 10**9}"
