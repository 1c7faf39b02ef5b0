"""Runs a command with the kernel key syscalls refused (EPERM), as Docker's default seccomp
profile refuses them inside containers: `no-keyctl.py <command> [args...]`. Needs Debian's
python3-seccomp (libseccomp's bindings), so it runs under /usr/bin/python3."""
import errno
import os
import sys

import seccomp

rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for call in ("keyctl", "add_key", "request_key"):
    rules.add_rule(seccomp.ERRNO(errno.EPERM), call)
rules.load()
os.execvp(sys.argv[1], sys.argv[1:])
