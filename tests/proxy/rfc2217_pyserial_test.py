#!/usr/bin/env python3
"""pyserial's rfc2217:// client against the proxy (via hub_harness).

Opens the port at the meter's real settings and reads a whole telegram,
checks that a baud change is refused (pyserial raises) and that the server
answers SET-BAUDRATE 9600 with the real 115200 on a raw socket.
Usage: rfc2217_pyserial_test.py HUB_HARNESS TELEGRAM_FILE
"""
import socket
import subprocess
import sys
import time

import serial

IAC, SB, SE = b"\xff", b"\xfa", b"\xf0"
COM_PORT = b"\x2c"


def main():
    harness, telegram_file = sys.argv[1], sys.argv[2]
    expected = open(telegram_file, "rb").read()
    proc = subprocess.Popen([harness, "rfc2217", telegram_file, "100", "60"],
                            stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        url = "rfc2217://127.0.0.1:%d" % int(line.split()[1])

        port = serial.serial_for_url(url, baudrate=115200, timeout=1)
        buf = b""
        deadline = time.monotonic() + 10
        while expected not in buf and time.monotonic() < deadline:
            buf += port.read(4096)
        assert expected in buf, "no whole telegram within 10 s: %r" % buf[:200]

        try:
            port.baudrate = 9600
            raise AssertionError("baud change to 9600 was accepted")
        except (ValueError, serial.SerialException) as e:
            print("refused as expected:", e)
        port.close()

        try:
            serial.serial_for_url(url, baudrate=9600, timeout=1).close()
            raise AssertionError("open at 9600 was accepted")
        except (ValueError, serial.SerialException) as e:
            print("open at 9600 refused as expected:", e)

        sock = socket.create_connection(("127.0.0.1", int(line.split()[1])), timeout=5)
        sock.sendall(IAC + SB + COM_PORT + b"\x01\x00\x00\x25\x80" + IAC + SE)
        reply = IAC + SB + COM_PORT + b"\x65\x00\x01\xc2\x00" + IAC + SE  # 115200
        got = b""
        deadline = time.monotonic() + 5
        while reply not in got and time.monotonic() < deadline:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
        sock.close()
        assert reply in got, "SET-BAUDRATE not answered with 115200"
        print("ok")
    finally:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    main()
