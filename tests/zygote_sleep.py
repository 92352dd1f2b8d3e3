"""A process that sleeps until it is killed: tests/integration/test_zygote.py."""

import time

while True:
    time.sleep(60)
