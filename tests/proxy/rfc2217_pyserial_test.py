#!/usr/bin/env python3
"""pyserial's rfc2217:// client against the proxy (via hub_harness).

port_settings = "virtual" (the default): clients that set their own port
parameters, as DSMR-reader's datalogger does (9600 baud, XON/XOFF), open the
port, read whole telegrams and may change the baud rate; a query (value 0)
still reports the meter's real 115200.
port_settings = "fixed": such an open is refused, the real settings work, and
SET-BAUDRATE 9600 is answered with the real 115200.
Usage: rfc2217_pyserial_test.py HUB_HARNESS TELEGRAM_FILE
"""
import contextlib
import socket
import subprocess
import sys
import time

import serial

IAC, SB, SE = b"\xff", b"\xfa", b"\xf0"
COM_PORT = b"\x2c"


@contextlib.contextmanager
def harness(path, telegram_file, port_settings):
    proc = subprocess.Popen([path, "rfc2217", telegram_file, "100", "60", port_settings],
                            stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("PORT "), line
        yield int(line.split()[1])
    finally:
        proc.kill()
        proc.wait()


def read_telegram(port, expected):
    buf = b""
    deadline = time.monotonic() + 10
    while expected not in buf and time.monotonic() < deadline:
        buf += port.read(4096)
    assert expected in buf, "no whole telegram within 10 s: %r" % buf[:200]


def com_port_reply(tcp_port, request, reply):
    """Sends one COM-PORT-OPTION subnegotiation on a raw socket and waits for `reply`."""
    sock = socket.create_connection(("127.0.0.1", tcp_port), timeout=5)
    sock.sendall(IAC + SB + COM_PORT + request + IAC + SE)
    want = IAC + SB + COM_PORT + reply + IAC + SE
    got = b""
    deadline = time.monotonic() + 5
    while want not in got and time.monotonic() < deadline:
        chunk = sock.recv(4096)
        if not chunk:
            break
        got += chunk
    sock.close()
    return want in got


def test_virtual(path, telegram_file, expected):
    with harness(path, telegram_file, "virtual") as tcp_port:
        url = "rfc2217://127.0.0.1:%d" % tcp_port
        # DSMR-reader's datalogger: 9600 baud (pyserial's default) with XON/XOFF.
        port = serial.serial_for_url(url, baudrate=9600, xonxoff=True, timeout=1)
        read_telegram(port, expected)
        port.baudrate = 115200  # a change on an open port is accepted too
        port.baudrate = 9600
        read_telegram(port, expected)
        port.close()
        for kwargs in [dict(baudrate=115200, rtscts=True),
                       dict(baudrate=9600, bytesize=serial.SEVENBITS, parity=serial.PARITY_EVEN,
                            stopbits=serial.STOPBITS_ONE)]:
            port = serial.serial_for_url(url, timeout=1, **kwargs)
            read_telegram(port, expected)
            port.close()
            print("virtual port opened and read with", kwargs)
        # A query reports the meter's real rate, whatever clients set.
        assert com_port_reply(tcp_port, b"\x01\x00\x00\x00\x00", b"\x65\x00\x01\xc2\x00"), \
            "SET-BAUDRATE 0 (query) not answered with 115200"
        assert com_port_reply(tcp_port, b"\x01\x00\x00\x25\x80", b"\x65\x00\x00\x25\x80"), \
            "SET-BAUDRATE 9600 not echoed"


def test_fixed(path, telegram_file, expected):
    with harness(path, telegram_file, "fixed") as tcp_port:
        url = "rfc2217://127.0.0.1:%d" % tcp_port
        try:
            serial.serial_for_url(url, baudrate=9600, xonxoff=True, timeout=1).close()
            raise AssertionError("open at 9600 with xonxoff was accepted")
        except (ValueError, serial.SerialException) as e:
            print("open at 9600/xonxoff refused as expected:", e)

        port = serial.serial_for_url(url, baudrate=115200, timeout=1)
        read_telegram(port, expected)
        try:
            port.baudrate = 9600
            raise AssertionError("baud change to 9600 was accepted")
        except (ValueError, serial.SerialException) as e:
            print("refused as expected:", e)
        port.close()

        assert com_port_reply(tcp_port, b"\x01\x00\x00\x25\x80", b"\x65\x00\x01\xc2\x00"), \
            "SET-BAUDRATE 9600 not answered with 115200"


def main():
    path, telegram_file = sys.argv[1], sys.argv[2]
    expected = open(telegram_file, "rb").read()
    test_virtual(path, telegram_file, expected)
    test_fixed(path, telegram_file, expected)
    print("ok")


if __name__ == "__main__":
    main()
