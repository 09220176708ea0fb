"""A real SMTP server process for spoolgate's end-to-end tests: Debian's
python3-aiosmtpd, writing each message it accepts, byte for byte, into a
folder. Usage: sink.py OUTDIR PORT. Prints "READY" once it listens on
127.0.0.1:PORT, and runs until killed."""
import asyncio
import json
import os
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        qid = "SINK%06d" % self.n
        base = os.path.join(self.outdir, qid)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos,
                       "mail_options": envelope.mail_options}, f)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Ok: queued as " + qid


def main():
    outdir, port = sys.argv[1], int(sys.argv[2])
    controller = Controller(Handler(outdir), hostname="127.0.0.1", port=port,
                            decode_data=False, enable_SMTPUTF8=True)
    controller.start()
    print("READY", flush=True)
    try:
        asyncio.new_event_loop().run_forever()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
