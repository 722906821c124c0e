"""The operator console: contact-centre staff in a browser (docs/console.md).

Served by every Rasa server under /webhooks/console/, so it needs no other
process and works on any server of the cluster (its state is in the database):

- GET  /                       the page (web/console/index.html), one page with
                               views for the queue, requests, outages, analytics
- GET  /static/<file>          its script, style and Chart.js (web/build.sh copies it)
- POST /api/login, /api/logout, GET /api/me
- GET  /api/events             server-sent events: the queue, suspected outages
                               and, with ?handoff=<id>, that conversation
- /api/queue, /api/handoffs/<id>[/claim|/messages|/close]
- /api/requests[/<kind>/<id>[/status]], /api/receipts/<id>
- /api/outages[/<id>/clear|/<id>/affected], /api/suspected/<id>/confirm|dismiss
- /api/analytics, /api/analytics.csv, /api/misses/label   (supervisors)

Staff log in with the accounts of ``python -m bot staff add`` (bot/office/staff.py):
the session is an HttpOnly, SameSite=Strict cookie; every POST also carries the
session's CSRF token in ``X-CSRF-Token``. Each step on a hand-off, a request,
an outage, an export or a subscriber's data is written to ``staff_actions``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import ASTANA, LANGUAGES, LIMITS
from bot.office import analytics, notices, outages, staff
from bot.office import handoff as handoffs
from bot.office import requests as office_requests
from bot.office.handoff import audit
from bot.server.operator_desk import Desk, Undeliverable
from channels.base import output_for

logger = logging.getLogger(__name__)

PAGES = Path(__file__).resolve().parent.parent / "web" / "console"
# Only these files of web/console are served, by plain name.
STATIC = {
    "console.js": "application/javascript",
    "console.css": "text/css",
    "chart.umd.js": "application/javascript",
    "dana.svg": "image/svg+xml",
}
COOKIE = "dana_console"
CSRF_HEADER = "X-CSRF-Token"
REFUSED_STATUS = {"not_found": 404, "resolved": 409, "taken": 409, "not_claimed": 409}


class Refused(Exception):
    """An API call that cannot go on: the response says why."""

    def __init__(self, status: int, reason: str, **more: Any) -> None:
        super().__init__(reason)
        self.answer = response.json({"error": reason, **more}, status=status)


class OperatorConsole(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "console"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "OperatorConsole":
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        console = Blueprint("operator_console", __name__)
        desk: Dict[str, Desk] = {}

        @console.listener("before_server_start")
        async def start(app: Any, _loop: Any) -> None:
            desk["desk"] = Desk(app, output_for)

        @console.exception(Refused)
        async def refused(_: Request, error: Refused) -> HTTPResponse:
            return error.answer

        @console.route("", methods=["GET"], strict_slashes=True)
        async def no_slash(request: Request) -> HTTPResponse:
            return response.redirect(request.path + "/")

        @console.route("/", methods=["GET"], strict_slashes=True)
        async def page(_: Request) -> HTTPResponse:
            return await response.file(PAGES / "index.html", headers=_NO_FRAMES)

        @console.route("/static/<name:str>", methods=["GET"])
        async def static(_: Request, name: str) -> HTTPResponse:
            path = PAGES / name
            if name not in STATIC or not path.is_file():
                return response.text("not found", status=404)
            return await response.file(path, mime_type=STATIC[name], headers=_NO_FRAMES)

        # --- sessions -------------------------------------------------------
        @console.route("/api/login", methods=["POST"])
        async def login(request: Request) -> HTTPResponse:
            body = _json(request)
            username, password = str(body.get("username") or ""), str(body.get("password") or "")
            language = body.get("language") if body.get("language") in LANGUAGES else None
            try:
                found = await asyncio.to_thread(staff.login, username, password, language)
            except staff.LoginRefused as no:
                until = no.until.isoformat() if no.until is not None else None
                raise Refused(423 if no.reason == "locked" else 401, no.reason, until=until) from None
            answer = response.json(_me(found))
            answer.cookies[COOKIE] = found["token"]
            cookie = answer.cookies[COOKIE]
            cookie["httponly"], cookie["samesite"], cookie["path"] = True, "Strict", "/webhooks/console"
            cookie["max-age"] = int(LIMITS.staff_session_hours * 3600)
            cookie["secure"] = request.scheme == "https"
            return answer

        @console.route("/api/logout", methods=["POST"])
        async def logout(request: Request) -> HTTPResponse:
            await _staff(request)
            await asyncio.to_thread(staff.logout, request.cookies.get(COOKIE, ""))
            answer = response.json({"status": "logged_out"})
            del answer.cookies[COOKIE]
            return answer

        @console.route("/api/me", methods=["GET"])
        async def me(request: Request) -> HTTPResponse:
            return response.json(_me(await _staff(request)))

        @console.route("/api/language", methods=["POST"])
        async def language(request: Request) -> HTTPResponse:
            await _staff(request)
            chosen = _json(request).get("language")
            if chosen not in LANGUAGES:
                raise Refused(400, "unknown_language")
            await asyncio.to_thread(staff.set_language, request.cookies.get(COOKIE, ""), chosen)
            return response.json({"language": chosen})

        # --- the queue --------------------------------------------------------
        @console.route("/api/queue", methods=["GET"])
        async def queue(request: Request) -> HTTPResponse:
            await _staff(request)
            return response.json({"handoffs": await asyncio.to_thread(handoffs.waiting)})

        @console.route("/api/handoffs/<handoff_id:int>", methods=["GET"])
        async def one(request: Request, handoff_id: int) -> HTTPResponse:
            who = await _staff(request)
            found = await asyncio.to_thread(handoffs.get, handoff_id)
            if found is None:
                raise Refused(404, "not_found")
            await asyncio.to_thread(audit, who["username"], "view", f"handoff:{handoff_id}")
            return response.json({**found, "transcript": await desk["desk"].transcript(found["conversation_id"])})

        async def step(request: Request, handoff_id: int, service: Any, then: Any) -> HTTPResponse:
            who = await _staff(request)
            try:
                changed = await asyncio.to_thread(service, handoff_id, who["username"])
            except handoffs.HandoffRefused as no:
                raise Refused(REFUSED_STATUS.get(no.reason, 409), no.reason) from None
            await then(changed["conversation_id"])
            return response.json(changed)

        @console.route("/api/handoffs/<handoff_id:int>/claim", methods=["POST"])
        async def claim(request: Request, handoff_id: int) -> HTTPResponse:
            return await step(request, handoff_id, handoffs.claim, desk["desk"].join)

        @console.route("/api/handoffs/<handoff_id:int>/close", methods=["POST"])
        async def close(request: Request, handoff_id: int) -> HTTPResponse:
            return await step(request, handoff_id, handoffs.close, desk["desk"].close)

        @console.route("/api/handoffs/<handoff_id:int>/messages", methods=["POST"])
        async def reply(request: Request, handoff_id: int) -> HTTPResponse:
            who = await _staff(request)
            said = _json(request).get("text")
            if not isinstance(said, str) or not said.strip() or len(said) > LIMITS.max_message_chars:
                raise Refused(400, "bad_text")
            try:
                taken = await asyncio.to_thread(handoffs.check_operator, handoff_id, who["username"], "reply")
                await desk["desk"].send(taken["conversation_id"], said.strip(), who["username"])
            except handoffs.HandoffRefused as no:
                raise Refused(REFUSED_STATUS.get(no.reason, 409), no.reason) from None
            except Undeliverable as no:
                raise Refused(409, no.reason) from None
            return response.json({"status": "sent"})

        @console.route("/api/events", methods=["GET"])
        async def events(request: Request) -> Any:
            """The queue, suspected outages and one conversation as they change."""
            token = request.cookies.get(COOKIE, "")
            await _staff(request)
            handoff_id = request.args.get("handoff")
            stream = await request.respond(
                content_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
            )
            sent: Dict[str, str] = {}
            checked = asyncio.get_running_loop().time()
            while True:
                for name, data in await _snapshot(desk["desk"], handoff_id):
                    encoded = json.dumps(data, ensure_ascii=False, default=str)
                    if sent.get(name) != encoded:
                        sent[name] = encoded
                        await stream.send(f"event: {name}\ndata: {encoded}\n\n")
                now = asyncio.get_running_loop().time()
                if now - checked > LIMITS.console_session_check_seconds:
                    checked = now
                    if await asyncio.to_thread(staff.session, token) is None:
                        await stream.send("event: logged_out\ndata: {}\n\n")
                        break
                    await stream.send(": still here\n\n")  # keeps proxies from closing an idle stream
                await asyncio.sleep(LIMITS.console_poll_seconds)
            await stream.eof()

        # --- requests ---------------------------------------------------------
        @console.route("/api/requests", methods=["GET"])
        async def listing(request: Request) -> HTTPResponse:
            who = await _staff(request)
            args = request.args
            found = await asyncio.to_thread(
                office_requests.listing,
                kind=args.get("kind") or None,
                status=args.get("status") or None,
                search=(args.get("q") or "").strip() or None,
                overdue_only=args.get("overdue") == "1",
            )
            if args.get("q"):
                await asyncio.to_thread(audit, who["username"], "search", f"requests:{len(found)}")
            return response.json({"requests": found, "kinds": sorted(notices.REQUEST_STATUSES)})

        @console.route("/api/requests/<kind:str>/<request_id:int>", methods=["GET"])
        async def request_one(request: Request, kind: str, request_id: int) -> HTTPResponse:
            who = await _staff(request)
            try:
                found = await asyncio.to_thread(office_requests.get, kind, request_id)
            except (KeyError, LookupError, ValueError):
                found = None
            if not found:
                raise Refused(404, "not_found")
            await asyncio.to_thread(office_requests.audit_view, who["username"], kind, request_id)
            return response.json(found)

        @console.route("/api/requests/<kind:str>/<request_id:int>/status", methods=["POST"])
        async def request_status(request: Request, kind: str, request_id: int) -> HTTPResponse:
            who = await _staff(request)
            status = str(_json(request).get("status") or "")
            try:
                told = await asyncio.to_thread(notices.set_request_status, kind, request_id, status, who["username"])
            except notices.StatusRefused as no:
                raise Refused(404 if no.reason == "not_found" else 400, no.reason) from None
            return response.json({"status": status, "customer_told": told})

        @console.route("/api/receipts/<receipt_id:int>", methods=["GET"])
        async def receipt(request: Request, receipt_id: int) -> HTTPResponse:
            who = await _staff(request)
            found = await asyncio.to_thread(office_requests.receipt, receipt_id)
            if not found:
                raise Refused(404, "not_found")
            path, mime = found
            await asyncio.to_thread(audit, who["username"], "view", f"receipt:{receipt_id}")
            return await response.file(
                path, mime_type=mime or mimetypes.guess_type(str(path))[0] or "application/octet-stream"
            )

        # --- outages ----------------------------------------------------------
        @console.route("/api/outages", methods=["GET"])
        async def outage_list(request: Request) -> HTTPResponse:
            await _staff(request)

            def everything() -> Dict[str, Any]:
                return {"areas": outages.areas(), "active": outages.active(), "suspected": outages.suspected()}

            return response.json(await asyncio.to_thread(everything), default=str)

        @console.route("/api/outages", methods=["POST"])
        async def declare(request: Request) -> HTTPResponse:
            who = await _staff(request, staff.SUPERVISOR)
            body = _json(request)
            until = _until(body.get("until"))
            try:
                made = await asyncio.to_thread(
                    outages.declare, str(body.get("area") or ""), until, who["username"], str(body.get("note") or "")
                )
            except outages.OutageRefused as no:
                raise Refused(400, no.reason, suggestions=list(getattr(no, "suggestions", []) or [])) from None
            return response.json(made, default=str)

        @console.route("/api/outages/<outage_id:int>/clear", methods=["POST"])
        async def clear(request: Request, outage_id: int) -> HTTPResponse:
            who = await _staff(request, staff.SUPERVISOR)
            try:
                told = await asyncio.to_thread(outages.clear, outage_id, who["username"])
            except outages.OutageRefused as no:
                raise Refused(404 if no.reason == "not_found" else 409, no.reason) from None
            return response.json({"cleared": outage_id, "told": told})

        @console.route("/api/outages/<outage_id:int>/affected", methods=["GET"])
        async def affected(request: Request, outage_id: int) -> HTTPResponse:
            who = await _staff(request)
            found = await asyncio.to_thread(outages.affected, outage_id)
            await asyncio.to_thread(audit, who["username"], "view", f"outage:{outage_id}:affected")
            return response.json({"affected": found}, default=str)

        @console.route("/api/suspected/<suspected_id:int>/confirm", methods=["POST"])
        async def confirm(request: Request, suspected_id: int) -> HTTPResponse:
            who = await _staff(request, staff.SUPERVISOR)
            until = _until(_json(request).get("until"))
            try:
                made = await asyncio.to_thread(outages.confirm, suspected_id, who["username"], until)
            except outages.OutageRefused as no:
                raise Refused(409, no.reason) from None
            return response.json(made, default=str)

        @console.route("/api/suspected/<suspected_id:int>/dismiss", methods=["POST"])
        async def dismiss(request: Request, suspected_id: int) -> HTTPResponse:
            who = await _staff(request, staff.SUPERVISOR)
            try:
                await asyncio.to_thread(outages.dismiss, suspected_id, who["username"])
            except outages.OutageRefused as no:
                raise Refused(409, no.reason) from None
            return response.json({"dismissed": suspected_id})

        # --- analytics (supervisors) -----------------------------------------
        @console.route("/api/analytics", methods=["GET"])
        async def figures(request: Request) -> HTTPResponse:
            await _staff(request, staff.SUPERVISOR)
            since, until = _period(request)
            found = await asyncio.to_thread(analytics.report, since, until)
            # What a missed message can be labelled with: the running model's intents.
            found["known_intents"] = sorted(request.app.ctx.agent.domain.intents)
            return response.json(found, default=str)

        @console.route("/api/analytics.csv", methods=["GET"])
        async def export(request: Request) -> HTTPResponse:
            who = await _staff(request, staff.SUPERVISOR)
            since, until = _period(request)
            table = await asyncio.to_thread(lambda: analytics.to_csv(analytics.report(since, until)))
            await asyncio.to_thread(audit, who["username"], "export", f"analytics:{since}:{until}")
            name = f"dana-{since}-{until}.csv"
            return response.text(
                table,
                content_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        @console.route("/api/misses/label", methods=["POST"])
        async def label(request: Request) -> HTTPResponse:
            who = await _staff(request, staff.SUPERVISOR)
            body = _json(request)
            example, intent = str(body.get("example") or "").strip(), str(body.get("intent") or "")
            if not example:
                raise Refused(400, "no_example")
            try:
                written = await asyncio.to_thread(analytics.label, example, intent, who["username"])
            except ValueError as no:
                raise Refused(400, str(no) or "unknown_intent") from None
            return response.json({"labelled": example, "intent": intent, "file": str(written)})

        return console


_NO_FRAMES = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def _json(request: Request) -> Dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise Refused(400, "body must be a JSON object") from None
    if not isinstance(body, dict):
        raise Refused(400, "body must be a JSON object")
    return body


async def _staff(request: Request, role: Optional[str] = None) -> Dict[str, Any]:
    """The logged-in staff member, or a refusal: 401 without a session, 403 for
    a POST without its CSRF token or a page above the member's role."""
    found = await asyncio.to_thread(staff.session, request.cookies.get(COOKIE, ""))
    if found is None:
        raise Refused(401, "not_logged_in")
    if request.method not in ("GET", "HEAD") and not staff.csrf_ok(found, request.headers.get(CSRF_HEADER, "")):
        raise Refused(403, "csrf")
    if role and not staff.allowed(found["role"], role):
        raise Refused(403, "supervisors_only")
    return found


def _me(found: Dict[str, Any]) -> Dict[str, Any]:
    return {key: found.get(key) for key in ("username", "role", "csrf", "language")} | {
        "expires_at": str(found.get("expires_at"))
    }


def _until(given: Any) -> datetime:
    try:
        return outages.parse_until(str(given or ""), datetime.now(ASTANA))
    except (ValueError, TypeError):
        raise Refused(400, "bad_until") from None


def _period(request: Request) -> Tuple[date, date]:
    """?since=&until= (ISO days, Astana), at most ``LIMITS.console_max_days``; default the last week."""
    today = datetime.now(ASTANA).date()
    try:
        until = date.fromisoformat(request.args.get("until") or today.isoformat())
        since = date.fromisoformat(request.args.get("since") or (until - timedelta(days=6)).isoformat())
    except ValueError:
        raise Refused(400, "bad_date") from None
    if since > until or (until - since).days >= LIMITS.console_max_days:
        raise Refused(400, "bad_period")
    return since, until


async def _snapshot(desk: Desk, handoff_id: Optional[str]) -> list:
    """What the console shows live, as (event name, data) pairs."""

    def from_database() -> Dict[str, Any]:
        return {"queue": handoffs.waiting(), "suspected": outages.suspected()}

    found = await asyncio.to_thread(from_database)
    queue = [{k: v for k, v in row.items() if k != "waiting_seconds"} for row in found["queue"]]
    pairs = [("queue", {"handoffs": queue}), ("suspected", {"suspected": found["suspected"]})]
    if handoff_id and handoff_id.isdigit():
        one = await asyncio.to_thread(handoffs.get, int(handoff_id))
        if one:
            one.pop("waiting_seconds", None)  # the page counts it: the event is sent on a change only
            pairs.append(("conversation", {**one, "transcript": await desk.transcript(one["conversation_id"])}))
    return pairs
