"""Terminal chat with a running Dana over the REST channel.

Buttons are listed with numbers; typing the number sends the button's payload.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.request
import uuid


def send(url: str, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/rest/webhook")
    args = parser.parse_args()
    sender = f"cli-{uuid.uuid4().hex[:8]}"
    buttons: list[dict] = []
    print("Жазыңыз / Пишите (Ctrl-D — шығу / выход)")
    while True:
        try:
            text = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not text:
            continue
        if text.isdigit() and 0 < int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        buttons = []
        try:
            replies = send(args.url, sender, text)
        except OSError as error:
            print(f"[Dana is not reachable: {error}]", file=sys.stderr)
            continue
        for reply in replies:
            if reply.get("text"):
                print(f"Дана: {reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"   [{len(buttons)}] {button['title']}")


if __name__ == "__main__":
    sys.exit(main())
