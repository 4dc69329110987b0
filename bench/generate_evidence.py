"""Evidence of the generated incidents and its chain of custody (bench/generate.py), as
``response.add_evidence`` and ``response.add_custody`` would have left them.

A share of the incidents keep evidence, more at higher levels (8 % at level 0 to 45 % at level 3, about
16 % in all), 1–5 items each, recorded while the incident was being handled: the suspicious mail, logs,
screenshots, a disk image, the lost device's records… Two in three are files, with their original name,
content type, size and SHA-256 — the files themselves are not written: ``file`` stays empty, so the
detail page shows the item without a download link — the rest say where the evidence is kept. Each item
has its "collected" custody entry; many were then stored, examined, handed over (to the police, a
forensic vendor) and returned, and some of the old ones disposed of after the retention period. Journal:
``evidence.added`` and ``evidence.custody`` with the data those services record.
"""

import random
from datetime import UTC, datetime
from typing import Any

from generate_db import DAY_US, JST_US, Stamps, columns_of
from generate_journal import Events
from generate_plan import HOUR_US, MINUTE_US, Plan
from generate_texts import CSIRT_DEPARTMENT, Texts

from mamori.incidents.models import CustodyEntry, Evidence

EVIDENCE_COLUMNS = columns_of(
    Evidence,
    ("id", "incident", "description", "file", "original_name", "content_type", "size", "sha256", "collected_at",
     "collected_by"),
)  # fmt: skip
CUSTODY_COLUMNS = columns_of(CustodyEntry, ("id", "evidence", "event", "holder", "note", "at", "recorded_by"))
TABLES = {
    "evidence": ("incidents_evidence", EVIDENCE_COLUMNS),
    "custody": ("incidents_custodyentry", CUSTODY_COLUMNS),
}
SHARE_BY_LEVEL = (0.08, 0.13, 0.25, 0.45)
YEAR_US = 365 * DAY_US
PNG, PDF, CSV, TXT, ZIP, BIN = "image/png", "application/pdf", "text/csv", "text/plain", "application/zip", "application/octet-stream"  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# By kind of incident: (description, file name or "" for a description only, content type, size range).
ITEMS: dict[str, tuple[tuple[str, str, str, tuple[float, float]], ...]] = {
    "phishing": (
        ("受信した不審メールの原本（ヘッダ情報を含む）", "不審メール_{n}.eml", "message/rfc822", (8e3, 3e6)),
        (
            "不審メールの添付ファイル（{attachment}）をパスワード付きZIPで保全",
            "添付_{n}.zip",
            ZIP,
            (2e4, 5e6),
        ),
        ("メールゲートウェイの配送ログ（該当時間帯の抜粋）", "mailgw_{date}.csv", CSV, (2e4, 5e6)),
        ("誘導先URLを開いた際の画面写し", "画面写し_{n}.png", PNG, (5e4, 2e6)),
        ("受信者のメールボックスに原本を残したまま保全（削除しないよう指示済み）", "", "", (0, 0)),
    ),
    "malware": (
        ("{antivirus}の検知ログ", "detect_{date}.log", TXT, (2e3, 5e5)),
        ("隔離された検体（パスワード付きZIP）", "sample_{n}.zip", ZIP, (1e4, 2e7)),
        ("{device}のメモリダンプ", "memdump_{n}.raw", BIN, (4e9, 1.6e10)),
        ("プロキシサーバーの通信ログ（抜粋）", "proxy_{date}.csv", CSV, (1e5, 5e7)),
        ("{device}はネットワークから外し、電源を入れたまま{dept}の施錠できる保管庫で保管", "", "", (0, 0)),
    ),
    "ransomware": (
        ("暗号化されたファイルの例", "予算見積.xlsx{extension}", BIN, (1e4, 1e7)),
        ("脅迫文（ランサムノート）", "README_RESTORE.txt", TXT, (1e3, 8e3)),
        ("{system}サーバーのディスクイメージ（E01形式）", "disk_{n}.E01", BIN, (5e10, 5e11)),
        ("イベントログ（セキュリティ、システム）", "evtx_{date}.zip", ZIP, (1e6, 3e8)),
        ("被害を受けたサーバーの筐体は保守事業者の立会いのもとサーバー室で封印して保管", "", "", (0, 0)),
    ),
    "intrusion": (
        ("{appliance}のアクセスログ（抜粋）", "access_{date}.log", TXT, (5e4, 5e7)),
        ("不正ログインの試行を示す認証ログ", "auth_{date}.csv", CSV, (1e4, 1e7)),
        ("ファイアウォールのログ", "fw_{date}.log", TXT, (1e5, 2e8)),
        ("保守事業者が取得したログは同社で保管（提出を依頼中）", "", "", (0, 0)),
    ),
    "web": (
        ("改ざんされたページの画面写し", "改ざん画面_{n}.png", PNG, (5e4, 3e6)),
        ("Webサーバーのアクセスログ", "access_log_{date}.gz", "application/gzip", (1e5, 1e8)),
        ("改ざん前後のHTMLファイル", "index_{date}.html", "text/html", (5e3, 2e5)),
    ),
    "loss": (
        ("紛失届の写し（警察署に提出）", "紛失届_{date}.pdf", PDF, (5e4, 1e6)),
        ("紛失した{device}の管理台帳の該当ページ", "機器台帳_{n}.xlsx", XLSX, (2e4, 5e5)),
        ("持出し申請書の写し", "持出申請_{date}.pdf", PDF, (5e4, 8e5)),
        ("紛失した{device}の購入記録（紙）は{dept}で保管", "", "", (0, 0)),
        ("防犯カメラ映像の保全を{place}の管理者に依頼済み", "", "", (0, 0)),
    ),
    "misdelivery": (
        ("誤送付した{document}の控え", "送付控え_{n}.pdf", PDF, (5e4, 2e6)),
        (
            "誤送信したメール（送信済みフォルダから保存）",
            "誤送信_{n}.msg",
            "application/vnd.ms-outlook",
            (2e4, 5e6),
        ),
        ("送付先一覧（誤りのあった版）", "送付先一覧_{date}.xlsx", XLSX, (1e4, 1e6)),
        ("回収した{document}（原本）は{dept}の金庫で保管", "", "", (0, 0)),
    ),
    "leak": (
        ("流出が確認された掲示板の画面写し", "画面写し_{n}.png", PNG, (5e4, 3e6)),
        ("ファイルサーバーのアクセス記録（該当フォルダ）", "audit_{date}.csv", CSV, (1e4, 5e7)),
        ("資産管理ツールの操作ログ", "operation_{date}.csv", CSV, (1e4, 2e7)),
    ),
    "outage": (
        ("障害発生時の{system}のシステムログ", "syslog_{date}.log", TXT, (1e4, 5e7)),
        ("保守事業者の障害報告書", "障害報告書_{date}.pdf", PDF, (1e5, 3e6)),
    ),
    "violation": (
        ("資産管理ツールの操作ログ", "operation_{date}.csv", CSV, (1e4, 2e7)),
        ("本人からの聴取記録", "聴取記録_{date}.docx", DOCX, (2e4, 2e5)),
        ("使用された私物の{device}は本人の同意を得て{dept}で一時保管", "", "", (0, 0)),
    ),
    "disaster": (
        ("被災状況の写真", "IMG_{n4}.JPG", "image/jpeg", (1e6, 8e6)),
        ("無停電電源装置の稼働記録", "ups_{date}.csv", CSV, (1e3, 2e5)),
    ),
    "other": (
        ("関係する画面の写し", "画面写し_{n}.png", PNG, (5e4, 2e6)),
        ("経緯をまとめたメモ", "経緯メモ_{date}.docx", DOCX, (1e4, 1e5)),
        ("サーバー室の入退室記録簿（紙）の該当ページを複写して保管", "", "", (0, 0)),
    ),
}
STORES = ("{csirt} 証拠保管庫", "{csirt} 金庫", "暗号化した外付けHDD（{csirt} 金庫）")
EXAMINERS = ("保守事業者（フォレンジック調査）", "CSIRT 解析担当", "情報セキュリティ専門事業者")
RECEIVERS = ("警察署 サイバー犯罪対策課", "警察署 生活安全課", "保守事業者")
NOTES = ("", "", "", "ハッシュ値を確認し一致", "受領書を受け取った", "封印を確認")


class EvidenceMaker:
    def __init__(
        self, first: dict[str, int], labels: dict[int, str], stamps: Stamps, rng: random.Random, now: int
    ):
        self.next = {table: first[table] for table, _columns in TABLES.values()}
        self.labels, self.stamps, self.rng, self.now = labels, stamps, rng, now

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def add(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        events: Events,
        plan: Plan,
        org: Any,
        texts: Texts,
        incident: tuple[int, str],
        handler: int | None,
    ) -> tuple[int, int]:
        """The evidence of one incident, if it keeps any. Returns (items, when the last was recorded)."""
        rng, now = self.rng, self.now
        level = plan.level or 0
        if plan.outcome != "incident" or rng.random() >= SHARE_BY_LEVEL[min(level, 3)]:
            return 0, 0
        start = plan.triaged or plan.opened
        end = min(plan.closed or now, now) - MINUTE_US
        if end <= start + MINUTE_US:
            return 0, 0
        responders = org.can("respond") or org.people
        csirt = CSIRT_DEPARTMENT.get(org.key, CSIRT_DEPARTMENT["default"])
        choices = ITEMS.get(plan.kind, ITEMS["other"])
        count = min(rng.choice((1, 1, 1, 2, 2, 3, 4, 5)) + (level >= 3), 5)
        # Mostly collected in the first days of the response.
        moments = sorted(start + int((end - start) * min(1.0, rng.random() ** 3 * 1.2)) for _ in range(count))
        for recorded in moments:
            actor = handler if handler is not None and rng.random() < 0.7 else rng.choice(responders)
            collected = max(plan.opened - 6 * HOUR_US, recorded - int(rng.expovariate(1 / (2 * HOUR_US))))
            self._item(rows, events, plan, org.organization.pk, texts, incident, rng.choice(choices), actor,
                       (collected, recorded), csirt)  # fmt: skip
        return count, moments[-1]

    def _item(
        self, rows: dict[str, list[tuple[Any, ...]]], events: Events, plan: Plan, org_id: int, texts: Texts,
        incident: tuple[int, str], item: tuple[str, str, str, tuple[float, float]], actor: int,
        moments: tuple[int, int], csirt: str,
    ) -> None:  # fmt: skip
        rng, stamps = self.rng, self.stamps
        incident_id, ref = incident
        collected, recorded = moments
        template, name_template, content_type, (low, high) = item
        description = texts.fill(template)
        name, size, sha256 = "", None, ""
        if name_template:
            day = datetime.fromtimestamp((collected + JST_US) / 1e6, UTC)  # the date in Japan
            name = name_template.format(
                n=rng.randint(1, 30), n4=f"{rng.randrange(10000):04d}", date=f"{day:%Y%m%d}",
                extension=texts.word("extension"),
            )  # fmt: skip
            size = int(low * (high / low) ** rng.random())
            sha256 = f"{rng.getrandbits(256):064x}"
        evidence_id = self._id("incidents_evidence")
        label = name or description[:60]
        rows["evidence"].append(
            (
                evidence_id,
                incident_id,
                description,
                "",
                name,
                content_type,
                size,
                sha256,
                stamps.db(collected),
                actor,
            )
        )
        holder = self.labels[actor] if rng.random() < 0.5 else rng.choice(STORES).format(csirt=csirt)
        rows["custody"].append((self._id("incidents_custodyentry"), evidence_id, "collected", holder, "",
                                stamps.db(collected), actor))  # fmt: skip
        events.add(
            recorded, org_id, actor, "evidence.added", "incidents.evidence", evidence_id, label,
            {"incident": ref, "description": description, "sha256": sha256, "size": size, "file_name": name,
             "collected_at": stamps.local_iso(collected)},
        )  # fmt: skip
        self._custody(rows, events, plan, org_id, ref, (evidence_id, label), actor, recorded, csirt)

    def _custody(
        self, rows: dict[str, list[tuple[Any, ...]]], events: Events, plan: Plan, org_id: int, ref: str,
        evidence: tuple[int, str], actor: int, after: int, csirt: str,
    ) -> None:  # fmt: skip
        """What happened to the item later (``add_custody``, possible after the closure too)."""
        rng = self.rng
        steps: list[tuple[str, str]] = []
        if rng.random() < 0.6:
            steps.append(("stored", rng.choice(STORES).format(csirt=csirt)))
        if rng.random() < 0.2:
            steps.append(("examined", rng.choice(EXAMINERS)))
        if rng.random() < 0.12:
            steps.append(("transferred", rng.choice(RECEIVERS)))
            if rng.random() < 0.7:
                steps.append(("returned", STORES[0].format(csirt=csirt)))
        at = after
        for event, holder in steps:
            at += int(rng.expovariate(1 / (2 * DAY_US if event != "stored" else 3 * HOUR_US)))
            self._entry(rows, events, org_id, ref, evidence, actor, (event, holder), at)
        if plan.closed is not None and plan.state == "closed" and rng.random() < 0.3:
            # Disposed of when the retention period ended.
            at = max(at, plan.closed) + rng.randint(1, 5) * YEAR_US
            self._entry(
                rows, events, org_id, ref, evidence, actor, ("disposed", f"{csirt}（保存期間満了）"), at
            )

    def _entry(
        self, rows: dict[str, list[tuple[Any, ...]]], events: Events, org_id: int, ref: str,
        evidence: tuple[int, str], actor: int, what: tuple[str, str], at: int,
    ) -> None:  # fmt: skip
        recorded = at + int(self.rng.expovariate(1 / (30 * MINUTE_US)))
        if recorded > self.now:
            return
        event, holder = what
        note = self.rng.choice(NOTES)
        evidence_id, label = evidence
        rows["custody"].append(
            (self._id("incidents_custodyentry"), evidence_id, event, holder, note, self.stamps.db(at), actor)
        )
        events.add(
            recorded, org_id, actor, "evidence.custody", "incidents.evidence", evidence_id, label,
            {"incident": ref, "event": event, "holder": holder, "note": note, "at": self.stamps.local_iso(at)},
        )  # fmt: skip
