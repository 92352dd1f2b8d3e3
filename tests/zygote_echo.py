"""What a forked child was given, on its stdout: tests/integration/test_zygote.py."""

import os
import sys

print(os.getuid(), os.getgid(), os.getcwd(), sys.argv[1:], sys.stdin.read())
print("to stderr", file=sys.stderr)
sys.exit(3)
