"""The journal of an install, one file per phone in the user's state dir (``installs/SERIAL.json``).

It holds the phone (serial, codename), the whole plan (ROM, build, method, steps, artefacts with
their checksums and where they are) and which steps are done, so ``--resume`` needs neither the
network nor the index. Every change is written atomically (temporary file, fsync, rename): a crash
or a pulled plug leaves the previous version whole. Nothing secret is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unlocker import __version__, paths
from unlocker.errors import InstallError
from unlocker.i18n import _
from unlocker.index.cache import write_atomic
from unlocker.install.artefacts import safe_name
from unlocker.install.plan import InstallPlan

FORMAT = 1
PENDING, DONE = "pending", "done"
RUNNING, STOPPED, FINISHED = "running", "stopped", "finished"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def journal_dir() -> Path:
    return paths.state_dir() / "installs"


def key_for(serial: str | None, name: str | None) -> str:
    if serial:
        return safe_name(serial)
    # No serial (some recoveries do not say): the name the person used, hashed to a file name.
    return "name-" + hashlib.sha256((name or "").encode()).hexdigest()[:16]


@dataclass
class Journal:
    path: Path
    phone: dict[str, Any]  # serial, product, name (how the person named it)
    plan: InstallPlan
    steps: list[dict[str, Any]]  # per step: number, status, finished_at, detail
    state: str = RUNNING
    kit: str | None = None
    started_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    finished_at: str | None = None
    last_error: str | None = None
    resumes: int = 0

    @classmethod
    def new(
        cls, plan: InstallPlan, *, serial: str | None, product: str | None, name: str | None, kit: str | None
    ) -> Journal:
        return cls(
            path=journal_dir() / f"{key_for(serial, name)}.json",
            phone={"serial": serial, "product": product, "name": name},
            plan=plan,
            steps=[
                {"number": s.number, "status": PENDING, "finished_at": None, "detail": {}} for s in plan.steps
            ],
            kit=kit,
        )

    # --- queries ------------------------------------------------------------------------------

    def status_of(self, number: int) -> str:
        return str(self.steps[number - 1]["status"])

    def done(self, number: int) -> bool:
        return self.status_of(number) == DONE

    def detail(self, number: int) -> dict[str, Any]:
        return dict(self.steps[number - 1].get("detail") or {})

    def first_unfinished(self) -> int | None:
        for record in self.steps:
            if record["status"] != DONE:
                return int(record["number"])
        return None

    @property
    def finished(self) -> bool:
        return self.state == FINISHED

    # --- changes (each one saved at once) -----------------------------------------------------

    def mark_done(self, number: int, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        record = self.steps[number - 1]
        record.update(status=DONE, finished_at=now(), detail=dict(detail or {}))
        self.last_error = None
        self.save()
        return record

    def mark_pending(self, number: int, why: str) -> None:
        record = self.steps[number - 1]
        record.update(status=PENDING, finished_at=None, detail={"redo": why})
        self.save()

    def stop(self, error: str) -> None:
        self.state = STOPPED
        self.last_error = error
        self.save()

    def finish(self) -> None:
        self.state = FINISHED
        self.finished_at = now()
        self.last_error = None
        self.save()

    def save(self) -> None:
        self.updated_at = now()
        write_atomic(self.path, json.dumps(self.to_json(), indent=1) + "\n")

    # --- form on disk -------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "unlocker_version": __version__,
            "state": self.state,
            "phone": dict(self.phone),
            "kit": self.kit,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "finished_at": self.finished_at,
            "last_error": self.last_error,
            "resumes": self.resumes,
            "plan": self.plan.to_json(),
            "steps": self.steps,
        }

    @classmethod
    def from_json(cls, path: Path, data: dict[str, Any]) -> Journal:
        return cls(
            path=path,
            phone=dict(data["phone"]),
            plan=InstallPlan.from_json(data["plan"]),
            steps=list(data["steps"]),
            state=str(data.get("state") or RUNNING),
            kit=data.get("kit"),
            started_at=str(data.get("started_at") or ""),
            updated_at=str(data.get("updated_at") or ""),
            finished_at=data.get("finished_at"),
            last_error=data.get("last_error"),
            resumes=int(data.get("resumes") or 0),
        )


def load(path: Path) -> Journal:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(_("unknown format {format}").format(format=data.get("format")))
        journal = Journal.from_json(path, data)
        if len(journal.steps) != len(journal.plan.steps):
            raise ValueError(_("the steps do not match the plan"))
        return journal
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise InstallError(
            _("the install journal {path} cannot be read ({problem})").format(path=path, problem=e),
            hint=_("Start the install again without --resume; every step can safely run again."),
        ) from e


def all_journals() -> list[Journal]:
    """Every journal, the most recently changed first; unreadable files are skipped."""
    directory = journal_dir()
    found = []
    for path in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            found.append(load(path))
        except InstallError:
            continue
    found.sort(key=lambda j: j.updated_at, reverse=True)
    return found


def find(serial: str | None, name: str | None) -> Journal | None:
    path = journal_dir() / f"{key_for(serial, name)}.json"
    return load(path) if path.exists() else None


def summary(journal: Journal) -> dict[str, Any]:
    """The journal as --status --json and the support report show it (no local paths)."""
    plan = journal.plan
    return {
        "state": journal.state,
        "phone": {"serial": journal.phone.get("serial"), "product": journal.phone.get("product")},
        "codename": plan.codename,
        "rom": plan.rom_id,
        "build": plan.build_version,
        "method": plan.method,
        "from_kit": journal.kit is not None,
        "started_at": journal.started_at,
        "updated_at": journal.updated_at,
        "finished_at": journal.finished_at,
        "last_error": journal.last_error,
        "resumes": journal.resumes,
        "artefacts": [
            {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256, "source": a.source}
            for a in plan.artefacts.values()
        ],
        "steps": [
            {
                "number": s.number,
                "action": s.action,
                "text": s.text,
                "status": journal.status_of(s.number),
                "finished_at": journal.steps[s.number - 1].get("finished_at"),
            }
            for s in plan.steps
        ],
    }


def report_section() -> list[dict[str, Any]]:
    """For ``unlocker report``: every journal's summary (the report redacts the serials)."""
    return [summary(j) for j in all_journals()]
