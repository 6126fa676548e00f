#!/usr/bin/env python3
"""An SMTP sink on 127.0.0.1 for the mail tests: PyPI aiosmtpd's SMTP server, keeping each message
it accepts as two files in --dir: NNNNNN.eml (the DATA, as received) and NNNNNN.json (the envelope:
mail_from, rcpt_tos). A real `sendmail` (msmtp) relays to it.

It is stricter than a bare aiosmtpd sink, as a receiving MTA and a mail reader are:
  - a DATA line longer than 998 bytes (RFC 5321, 4.5.3.1.6) is refused with 500;
  - a header section with 8-bit bytes (SMTPUTF8 is not offered: headers must be ASCII, other text
    RFC 2047 encoded) is refused with 554;
  - a message without From or Date (RFC 5322, 3.6: both required), with more than one Subject,
    with a header the email package finds a defect in, or whose body is not valid UTF-8 while it
    says charset=UTF-8, is refused with 554;
  - a recipient that is not a syntactically plain address (local@domain) is refused with 553.
What it still does not do: no TLS, no AUTH, no size limit, no DKIM/SPF; it never bounces.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import signal

from aiosmtpd.smtp import SMTP

ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+$")


class Keeper:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not ADDRESS.match(address):
            return "553 5.1.3 not a plain address: " + address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        for line in data.split(b"\r\n"):
            if len(line) > 998:
                return "500 5.5.6 line longer than 998 bytes"
        head = data.split(b"\r\n\r\n", 1)[0]
        if any(byte > 127 for byte in head):
            # Without SMTPUTF8 (not offered here), headers are ASCII: other text is RFC 2047 encoded.
            return "554 5.6.7 8-bit header without SMTPUTF8"
        message = email.message_from_bytes(data, policy=email.policy.default)
        for required in ("From", "Date"):
            if message.get(required) is None:
                return f"554 5.6.0 no {required} header"
        if len(message.get_all("Subject") or []) > 1:
            return "554 5.6.0 more than one Subject"
        problems = list(message.defects)
        for name, value in message.items():
            problems += list(getattr(value, "defects", []))
        if problems:
            return "554 5.6.0 header defects: " + "; ".join(type(p).__name__ for p in problems)
        if (message.get_content_charset() or "").lower() == "utf-8":
            try:
                message.get_payload(decode=True).decode("utf-8")
            except UnicodeDecodeError:
                return "554 5.6.0 the body is not UTF-8 as it says"
        self.count += 1
        stem = os.path.join(self.folder, f"{self.count:06d}")
        with open(stem + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(stem + ".eml.tmp", "wb") as f:
            f.write(data)
        # The .eml appears last and whole: a reader polling the folder never sees half a message.
        os.rename(stem + ".json.tmp", stem + ".json")
        os.rename(stem + ".eml.tmp", stem + ".eml")
        return "250 2.0.0 kept"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    keeper = Keeper(args.dir)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(keeper, hostname="sink.test", decode_data=False, enable_SMTPUTF8=False),
        host="127.0.0.1", port=0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
