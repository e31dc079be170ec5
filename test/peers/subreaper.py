"""Test peer: `subreaper.py CMD...` starts CMD under an intermediate parent, so that a test can SIGKILL that
parent (as systemd or `docker stop` ends `ros2 launch`) and watch the orphan. This process is a child
subreaper (Linux prctl PR_SET_CHILD_SUBREAPER), so the orphan is re-parented to it, not to init, and its
exit status can be read: it prints `parent PID`, `child PID`, then `exited PID CODE` for each process
that ends, and exits once none is left."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36
MIDDLE = "import subprocess, sys; p = subprocess.Popen(sys.argv[1:]); print('child', p.pid, flush=True); p.wait()"


def main() -> None:
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit(f"prctl(PR_SET_CHILD_SUBREAPER): errno {ctypes.get_errno()}")
    parent = subprocess.Popen([sys.executable, "-c", MIDDLE, *sys.argv[1:]])
    print("parent", parent.pid, flush=True)
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return
        print("exited", pid, os.waitstatus_to_exitcode(status), flush=True)


if __name__ == "__main__":
    main()
