"""Figures for the console's analytics page, the CSV staff open in Excel, and
labelling the messages Dana did not understand.

``report(since, until)`` covers whole Astana days, both included. It reads the
conversations once through bot/office/stats.py (the back office's one reader
of Rasa's ``events``; the definitions of contained, handed off, fallback and
CSAT are there), the misses through bot/office/nlu_misses.py (masked as the
export masks them), the ratings through bot/office/csat.py and the requests'
deadlines through bot/office/requests.py:

- ``per_day``: conversations per day, channel and language — every day of the
  range, for every channel and language pair seen in it, zeros included (a
  range with no conversation: one row per day, channel and language None);
- ``totals``: conversations, the shares contained / handed off (of
  conversations) and fallback (of the messages Dana answered), ``messages``
  (the customer messages Dana answered), and CSAT over the range;
- ``rates_per_day``: the three shares per day (None on a day with nothing);
- ``intents``: the intents NLU gave those messages, the 15 most frequent
  (``nlu_fallback`` among them when it is);
- ``misses``: the messages Dana did not understand, grouped, the most
  frequent first: example (masked), count, last_seen, guess (the intent Dana
  leaned to, ``nlu_fallback`` when none);
- ``csat_by_flow``: per flow of ``csat.FLOWS`` (zeros included) and any other
  flow stored, None last (a rating with no flow): answers, mean, satisfied
  (the share of ``LIMITS.csat_satisfied_from`` and above);
- ``requests``: per kind, the requests filed in the range and the states of
  their deadlines at ``now`` (bot/office/requests.py): met (in time), late
  (met after the due time), overdue (not met, past due), pending (not yet
  due); ``met_share`` = met / (met + late + overdue), None while nothing is
  decided; ``by_deadline`` the same per deadline;
- ``requests_per_day``: requests filed per day and kind, zeros included.

``label(example, intent, staff)`` writes a supervisor's label for a missed
message into ``settings().labelled_file`` (var/labelled.yml), Rasa NLU YAML
kept out of nlu/ so training changes only when someone adds it
(scripts/add_nlu_examples.py, as for ``make export-misses``'s file).
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import shlex
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import yaml

from bot.config import ASTANA, LANGUAGES, ROOT, settings
from bot.office import csat, nlu_misses, requests, stats
from bot.office.handoff import audit

TOP_INTENTS = 15
TOP_MISSES = 100
# Intents Rasa gives or takes from commands itself: never a label for a customer's words.
NOT_LABELS = ("nlu_fallback", "session_start", "restart", "back")
_SHARES = ("contained", "handed_off", "fallback")


def _share(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _iso(moment: Optional[datetime]) -> Optional[str]:
    return moment.astimezone(ASTANA).isoformat(timespec="seconds") if moment is not None else None


def _days(since: date, until: date) -> List[str]:
    return [(since + timedelta(days=n)).isoformat() for n in range((until - since).days + 1)]


def _request_states(found: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    states = Counter(d["state"] for d in found)
    decided = states["met"] + states["late"] + states["overdue"]
    return {**{s: states[s] for s in requests.STATES}, "met_share": _share(states["met"], decided)}


def report(since: date, until: date, url: Optional[str] = None, *, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The analytics page's figures for the days ``since`` … ``until`` (Astana,
    both included); the requests' deadlines as they stand at ``now``."""
    if since > until:
        raise ValueError("since is after until")
    days = _days(since, until)
    start, end = stats.astana_day_start(since), stats.astana_day_start(until + timedelta(days=1))

    talks = stats.conversations(start, end, url)
    counted: Counter[Tuple[str, Optional[str], Optional[str]]] = Counter((t.day, t.channel, t.language) for t in talks)
    pairs = sorted({(c, lang) for _, c, lang in counted}) or [(None, None)]
    per_day = [
        {"day": day, "channel": channel, "language": language, "conversations": counted[(day, channel, language)]}
        for day in days
        for channel, language in pairs
    ]
    by_day: Dict[str, List[stats.Conversation]] = defaultdict(list)
    for talk in talks:
        by_day[talk.day].append(talk)
    rates_per_day = []
    for day in days:
        figures = stats.figures(by_day[day])
        rates_per_day.append({"day": day, **{k: figures[k] for k in _SHARES}})

    ratings = csat.answers(start, end, url)
    total = stats.figures(talks, [a.rating for a in ratings])
    totals = {
        "conversations": total["conversations"],
        **{k: total[k] for k in _SHARES},
        "messages": total["turns"],
        "csat_answers": total["csat_answers"],
        "csat_mean": total["csat_mean"],
        "csat_satisfied": total["csat_satisfied"],
    }

    intents: Counter = Counter()
    for talk in talks:
        intents.update(talk.intents)
    top = sorted(intents.items(), key=lambda pair: (-pair[1], pair[0]))[:TOP_INTENTS]

    missed = nlu_misses.find_misses(start, until=end, limit=TOP_MISSES, url=url).misses
    misses = [{"example": m.text, "count": m.count, "last_seen": _iso(m.last_seen), "guess": m.intent} for m in missed]

    by_flow: Dict[Optional[str], List[int]] = defaultdict(list)
    for answer in ratings:
        by_flow[answer.flow].append(answer.rating)
    others = sorted(f for f in by_flow if f is not None and f not in csat.FLOWS)
    flows: List[Optional[str]] = [*csat.FLOWS, *others, *([None] if None in by_flow else [])]
    csat_by_flow = []
    for flow in flows:
        figures = stats.figures(ratings=by_flow.get(flow, []))
        csat_by_flow.append(
            {
                "flow": flow,
                "answers": figures["csat_answers"],
                "mean": figures["csat_mean"],
                "satisfied": figures["csat_satisfied"],
            }
        )

    filed = requests.filed(start, end, now, url)
    per_kind = []
    for kind in requests.KINDS:
        mine = [r for r in filed if r["kind"] == kind]
        found = [d for r in mine for d in r["deadlines"]]
        per_kind.append(
            {
                "kind": kind,
                "filed": len(mine),
                **_request_states(found),
                "by_deadline": [
                    {"deadline": name, **_request_states([d for d in found if d["name"] == name])}
                    for name in requests.MET_BY[kind]
                ],
            }
        )
    filed_on = Counter((r["created_at"].astimezone(ASTANA).date().isoformat(), r["kind"]) for r in filed)
    requests_per_day = [
        {"day": day, "kind": kind, "filed": filed_on[(day, kind)]} for day in days for kind in requests.KINDS
    ]

    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "per_day": per_day,
        "totals": totals,
        "rates_per_day": rates_per_day,
        "intents": [{"intent": intent, "count": count} for intent, count in top],
        "misses": misses,
        "csat_by_flow": csat_by_flow,
        "requests": per_kind,
        "requests_per_day": requests_per_day,
    }


# --- CSV -----------------------------------------------------------------------

# The report's tables, in the order the CSV lists them, with their columns.
CSV_SECTIONS = (
    ("per_day", ("day", "channel", "language", "conversations")),
    (
        "totals",
        (
            "conversations",
            "contained",
            "handed_off",
            "fallback",
            "messages",
            "csat_answers",
            "csat_mean",
            "csat_satisfied",
        ),
    ),
    ("rates_per_day", ("day", "contained", "handed_off", "fallback")),
    ("intents", ("intent", "count")),
    ("misses", ("example", "count", "last_seen", "guess")),
    ("csat_by_flow", ("flow", "answers", "mean", "satisfied")),
    ("requests", ("kind", "deadline", "filed", "met", "late", "overdue", "pending", "met_share")),
    ("requests_per_day", ("day", "kind", "filed")),
)
# A cell Excel would read as a formula (a customer's «=HYPERLINK(…)» among the misses).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rows(name: str, figures: Dict[str, Any]) -> List[Dict[str, Any]]:
    if name == "totals":
        return [figures["totals"]]
    if name == "requests":  # each kind, then its deadlines
        rows = []
        for kind in figures["requests"]:
            rows.append({**kind, "deadline": "all"})
            rows += [{**deadline, "kind": kind["kind"], "filed": ""} for deadline in kind["by_deadline"]]
        return rows
    return list(figures[name])


def to_csv(figures: Dict[str, Any]) -> str:
    """The report as one CSV for Excel (UTF-8 with a BOM, commas): a title row,
    then each table — its name on a row, its column names, its rows — and an
    empty row after it. Shares are fractions (0.25), as in the report."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["Dana", "since", figures["since"], "until", figures["until"], "Astana time"])
    for name, columns in CSV_SECTIONS:
        writer.writerow([])
        writer.writerow([name])
        writer.writerow(columns)
        for row in _rows(name, figures):
            writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


# --- labelling -----------------------------------------------------------------


class LabelRefused(ValueError):
    """str() is the reason: unknown_intent | no_example | unknown_language | unreadable_file."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def labels() -> List[str]:
    """The intents a missed message may be labelled with: the domain's (domain/), but Rasa's own."""
    from bot.project_domain import project_domain

    return sorted(i for i in project_domain().intents if i not in NOT_LABELS)


def _key(example: str) -> str:
    """As scripts/add_nlu_examples.py compares examples: no marks, case or extra spaces."""
    return " ".join(nlu_misses.plain(example).lower().split())


def _language_of(example: str) -> Optional[str]:
    """As ``scripts/add_nlu_examples.py --lang auto`` places it."""
    from bot.text.language.detect import detect_language

    return detect_language(_key(example)).language


_Blocks = Dict[Tuple[Optional[str], str], List[str]]  # (language, intent) → examples, in file order


def _read(path: Path) -> _Blocks:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        blocks: _Blocks = {}
        for block in data.get("nlu") or []:
            if not isinstance(block, dict) or "intent" not in block:
                continue
            named = (block.get("metadata") or {}).get("language")
            language = str(named) if named else None
            lines = (block.get("examples") or "").splitlines()
            examples = [line.strip()[2:].strip() for line in lines if line.strip().startswith("- ")]
            blocks.setdefault((language, str(block["intent"])), []).extend(e for e in examples if e)
        return blocks
    except (yaml.YAMLError, AttributeError, TypeError) as error:
        raise LabelRefused("unreadable_file") from error


_LANGUAGE_NAMES = {"kk": "Kazakh", "ru": "Russian"}


def _shown(path: Path) -> str:
    """The path as the add command takes it: from the project's root when inside it."""
    resolved = path.resolve()
    return shlex.quote(str(resolved.relative_to(ROOT) if resolved.is_relative_to(ROOT) else path))


def _render(path: Path, blocks: _Blocks) -> str:
    lines = [
        "# Missed messages supervisors labelled in the console (bot/office/analytics.py label),",
        "# masked as `make export-misses` masks them. One block per intent and language, as in",
        "# nlu/<language>/. Rewritten at each label: edit it while nobody labels. To train on them:",
        f"#   .venv/bin/python scripts/add_nlu_examples.py {_shown(path)} --lang auto",
        "#   make train   (then make nlu-eval), and delete this file.",
        'version: "3.1"',
        "nlu:",
    ]
    order = [*LANGUAGES, *sorted({lang for lang, _ in blocks if lang and lang not in LANGUAGES})]
    sections: List[Tuple[Optional[str], str]] = [
        (lang, f"{_LANGUAGE_NAMES.get(lang, lang)} ({lang})") for lang in order
    ]
    sections.append((None, "No language given: add these with --lang kk or ru"))
    for language, title in sections:
        mine = [
            (intent, examples)
            for (lang, intent), examples in sorted(blocks.items(), key=lambda b: b[0][1])
            if lang == language and examples
        ]
        if not mine:
            continue
        lines += ["", f"# --- {title} ---"]
        for intent, examples in mine:
            lines.append(f"- intent: {intent}")
            if language:
                lines.append(f"  metadata: {{language: {language}}}")
            lines += ["  examples: |", *(f"    - {e}" for e in examples)]
    if lines[-1] == "nlu:":
        lines[-1] = "nlu: []"
    return "\n".join(lines) + "\n"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One label at a time: an advisory lock beside the file, which every
    process writing it on this machine takes (several servers: DANA_LABELLED_FILE
    on storage they share, whose locks work, or each keeps its own file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def label(
    example: str, intent: str, staff: str, path: Optional[Path] = None, *, language: Optional[str] = None
) -> Path:
    """A supervisor's label for a missed message: the example joins ``intent``'s
    block for its language in ``path`` (default ``settings().labelled_file``);
    the file written. The example is kept masked (``nlu_misses.as_example``);
    its language is ``language`` or detected as the add script detects it.
    The same example again is written once; labelled again with another intent
    or language, it moves. Audited (StaffAction «label» on «nlu:<language>:<intent>»).
    LabelRefused (a ValueError) for an intent not in the domain, an empty
    example, a language not found."""
    if intent not in labels():
        raise LabelRefused("unknown_intent")
    text = nlu_misses.as_example(example)
    if not _key(text):
        raise LabelRefused("no_example")
    if language is not None and language not in LANGUAGES:
        raise LabelRefused("unknown_language")
    language = language or _language_of(text)
    if language is None:
        raise LabelRefused("unknown_language")
    path = Path(path or settings().labelled_file)
    with _locked(path):
        blocks = _read(path)
        key = _key(text)
        present = [(where, e) for where, examples in blocks.items() for e in examples if _key(e) == key]
        if [where for where, _ in present] != [(language, intent)]:
            for where, old in present:
                blocks[where].remove(old)
            blocks.setdefault((language, intent), []).append(text)
            _write(path, _render(path, blocks))
    audit(staff, "label", f"nlu:{language}:{intent}")
    return path
