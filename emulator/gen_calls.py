"""Telephony (voximplant.statistic.get rows), each CRM-bound call with its timeline activity,
and what follows a missed call: a callback minutes or days later, or none at all.
"""

from __future__ import annotations

from emulator.data import CALLS
from emulator.gen_activities import Target, activity_row, target_owner
from emulator.gen_time import DAY, HOUR, is_workday
from emulator.gen_world import Client, Lead, Row, User, World

OUT, IN, IN_REDIRECTED, CALLBACK = "1", "2", "3", "4"
REASONS = {
    "200": "",
    "304": "Missed call",
    "603": "Declined",
    "603-S": "Decline self",
    "486": "Busy here",
    "480": "Temporarily unavailable",
    "404": "Invalid number",
    "OTHER": "Undefined error",
}
LINES = ("reg1", "sip_office", "reg_regions")
_OUT_CODES = ("200",) * 14 + ("304", "304", "304", "486", "486", "603-S", "480", "404", "OTHER")
CALL_KIND = ("2", "VOXIMPLANT_CALL", "CALL")
CALLBACK_KIND = ("2", "VOXIMPLANT_CALL", "CALLBACK")
_SUBJECTS = {
    OUT: "Исходящий звонок",
    CALLBACK: "Обратный звонок",
    IN: "Входящий звонок",
    IN_REDIRECTED: "Входящий звонок",
}


class CallMaker:
    def __init__(self, w: World) -> None:
        self.w = w
        self._cost: dict[int, str] = {}

    def _cost_of(self, minutes: int) -> str:
        text = self._cost.get(minutes)
        if text is None:
            cents = minutes * 150  # 1.50 a started minute on outgoing calls
            text = f"{cents // 100}.{cents % 100:02d}00"
            self._cost[minutes] = text
        return text

    def duration(self) -> int:
        r = self.w.rng.random()
        if r < 0.15:
            return 2 + int(r * 110)  # under 20 s: a wrong person, "call me later"
        return min(3600, 20 + int(self.w.rng.lognormvariate(4.3, 0.9)))

    def call(
        self,
        ts: int,
        user: User | None,
        *,
        call_type: str,
        code: str,
        duration: int,
        phone: str,
        target: Target | None,
        line: str,
        user_sid: str | None = None,
    ) -> tuple[Row, Row | None]:
        """Write one call record and, when it is bound to CRM, its call activity."""
        w = self.w
        rng = w.rng
        cid = w.next_id(CALLS)
        start = w.iso(ts)
        if line == "sip_office":
            call_id = f"externalCall.{rng.getrandbits(128):032x}.{ts}"
        else:
            call_id = f"{rng.getrandbits(64):016X}.{ts}.{rng.getrandbits(24)}"
        connected = code == "200"
        outgoing = call_type in (OUT, CALLBACK)
        sid = user_sid if user_sid is not None else (user.sid if user is not None else "")
        recorded = connected and duration > 5 and rng.random() < 0.8
        row: Row = {
            "ID": w.num(cid),
            "CALL_ID": call_id,
            "CALL_CATEGORY": "external",
            "PORTAL_USER_ID": sid,
            "PORTAL_NUMBER": line,
            "PHONE_NUMBER": phone,
            "CALL_TYPE": call_type,
            "CALL_DURATION": w.num(duration),
            "CALL_START_DATE": start,
            "CALL_FAILED_CODE": code,
            "CALL_FAILED_REASON": REASONS[code],
            "CRM_ENTITY_TYPE": None,
            "CRM_ENTITY_ID": None,
            "CRM_ACTIVITY_ID": None,
            "COST": self._cost_of((duration + 59) // 60 if outgoing and connected else 0),
            "COST_CURRENCY": "RUR",
            "CALL_VOTE": None,
            "RECORD_FILE_ID": 100_000 + cid if recorded else None,
            "RECORD_DURATION": w.num(duration) if recorded else None,
            "COMMENT": None,
        }
        w.data.tables[CALLS].append(row)
        if target is None:
            return row, None
        row["CRM_ENTITY_TYPE"] = "LEAD" if isinstance(target, Lead) else target.kind
        row["CRM_ENTITY_ID"] = target.sid
        missed = not outgoing and not connected
        responsible = sid or target.owner.sid
        end = w.iso(ts + duration) if duration else start
        act = activity_row(
            w, owner=target_owner(w, target, ts),
            kind=CALLBACK_KIND if call_type == CALLBACK else CALL_KIND,
            direction="2" if outgoing else "1",
            subject="Пропущенный звонок" if missed else _SUBJECTS[call_type],
            completed=not missed, responsible=responsible, start=start, end=end,
            deadline=start, created=end, updated=end, origin="VI_" + call_id,
            settings={"MISSED_CALL": True} if missed else None,
        )  # fmt: skip
        row["CRM_ACTIVITY_ID"] = act["ID"]
        return row, act

    # -- missed calls and what follows them --

    def working(self, ts: int) -> bool:
        clock = self.w.clock
        secs = (ts + clock.offset(ts)) % DAY
        return 9 * HOUR <= secs < 19 * HOUR and is_workday(clock.local_day(ts))

    def next_morning(self, ts: int) -> int:
        """The start of the next working morning after ``ts`` (09:00-10:30 portal time)."""
        clock, rng = self.w.clock, self.w.rng
        day = clock.local_day(ts)
        if (ts + clock.offset(ts)) % DAY >= 9 * HOUR:
            day = day.fromordinal(day.toordinal() + 1)
        while not is_workday(day):
            day = day.fromordinal(day.toordinal() + 1)
        return clock.at(day, 9 * HOUR + rng.randrange(0, 90 * 60))

    def missed(
        self,
        ts: int,
        user: User | None,
        phones: tuple[str, str, str, str],
        target: Target | None,
        *,
        follow_up: bool = True,
        fmt: int | None = None,
    ) -> tuple[Row, Row | None]:
        """An unanswered incoming call; most get called back, some never do."""
        w = self.w
        rng = w.rng
        fmt = rng.randrange(4) if fmt is None else fmt
        code = rng.choice(("304", "304", "304", "304", "603", "486", "480", "OTHER"))
        call_type = IN_REDIRECTED if rng.random() < 0.1 else IN
        row, act = self.call(
            ts, user, call_type=call_type, code=code, duration=0, phone=phones[fmt],
            target=target, line=rng.choice(LINES),
        )  # fmt: skip
        if follow_up and rng.random() < 0.8:
            r = rng.random()
            if r < 0.5:
                delay = rng.randrange(120, HOUR)
            elif r < 0.8:
                delay = rng.randrange(HOUR, 6 * HOUR)
            else:
                delay = rng.randrange(14 * HOUR, 3 * DAY)
            when = ts + delay
            if not self.working(when):
                when = self.next_morning(when)
            self.plan_callback(when, user, phones=phones, fmt=fmt, target=target, act=act)
        return row, act

    def plan_callback(
        self,
        when: int,
        user: User | None,
        *,
        phones: tuple[str, str, str, str],
        fmt: int,
        target: Target | None,
        act: Row | None,
        incoming: bool | None = None,
    ) -> None:
        w = self.w

        def back(ts: int) -> None:
            rng = w.rng
            who = user if user is not None and user.sales and user.active_at(ts) else None
            if who is None and isinstance(target, Client) and target.owner.active_at(ts):
                who = target.owner if target.owner.sales else None
            if who is None:
                staff = w.sales_staff(ts)
                who = rng.choice(staff) if staff else None
            if who is None:
                return
            # The same number, written the other way round.
            phone = phones[(fmt + 1 + rng.randrange(3)) % 4]
            client_rang = incoming if incoming is not None else rng.random() < 0.2
            if not client_rang and rng.random() < 0.15:  # first try: no answer
                self.call(
                    ts - 120, who, call_type=OUT, code="304", duration=0, phone=phone,
                    target=target, line=LINES[0],
                )  # fmt: skip
            call_type = IN if client_rang else OUT
            self.call(
                ts, who, call_type=call_type, code="200", duration=self.duration(), phone=phone,
                target=target, line=LINES[0],
            )  # fmt: skip
            if act is not None:
                act["COMPLETED"], act["STATUS"], act["LAST_UPDATED"] = "Y", "2", w.iso(ts)

        w.schedule(when, back)
