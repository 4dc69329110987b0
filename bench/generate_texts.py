"""The words of the generated dataset (bench/generate.py): people's names, departments, places, systems,
and the sentence templates reports, actions and closures are made of.

Each incident has a *kind* (what happened: a suspicious mail, a lost USB stick…); its texts are drawn
from that kind's templates, whose slots ({system}, {device}, {num5}…) are filled from vocabularies
weighted like Zipf's law. So a word such as USB, 紛失 or ランサム is in 5–20 % of the incidents, a
system name in a few per cent, and the tail of a vocabulary (a product or malware name) in a few dozen
of a million. ``COMMON_WORDS`` and ``RARE_WORDS`` are the words the manifest counts. The sentences
themselves are in generate_corpus.py.
"""

import random
import string
from collections.abc import Callable, Sequence
from itertools import accumulate

from generate_corpus import ACTIONS, GENERIC_SENTENCES, IMPACTS, KINDS

# --- people ------------------------------------------------------------------------------------------

_FAMILY = (
    "佐藤 鈴木 高橋 田中 伊藤 渡辺 山本 中村 小林 加藤 吉田 山田 佐々木 山口 松本 井上 木村 林 斎藤 清水 "
    "山崎 森 池田 橋本 阿部 石川 山下 中島 石井 小川 前田 岡田 長谷川 藤田 後藤 近藤 村上 遠藤 青木 坂本 "
    "斉藤 福田 太田 西村 藤井 金子 岡本 藤原 中野 三浦 原田 中川 松田 竹内 小野 田村 中山 和田 石田 森田 "
    "上田 原 内田 柴田 酒井 宮崎 横山 高木 安藤 宮本 大野 小島 工藤 谷口 今井 高田 丸山 増田 杉山 村田 "
    "大塚 小山 平野 菅原 久保 松井 千葉 岩崎 桜井 木下 野口 松尾 菊地 野村 新井 渡部"
)
_GIVEN = (
    "翔太 大輔 健一 誠 浩二 直樹 拓也 和也 隆 剛 達也 哲也 修 聡 亮 健太 大樹 悠斗 陽翔 蓮 "
    "湊 蒼 樹 大翔 颯太 恵 美咲 陽菜 結衣 葵 さくら 由美子 恵子 智子 裕子 久美子 真由美 明美 "
    "直子 陽子 愛 彩 舞 美穂 麻衣 千尋 真理子 京子 優子 理恵 香織 奈々 芽依 紬 凛 杏 莉子 "
    "一郎 正人 勇気 光 茂 進 実 学 博之 雅人 秀樹 和彦 康弘 俊介 慎也 亮介 祐介 圭 純一"
)
FAMILY_NAMES, GIVEN_NAMES = _FAMILY.split(), _GIVEN.split()
POSTS = ("主事", "主事", "主事", "主任", "主任", "係長", "係長", "課長補佐", "課長", "会計年度任用職員")

# Departments of each organisation (the first few host the CSIRT and the information systems).
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "default": (
        "情報政策課",
        "総務課",
        "人事課",
        "財政課",
        "契約課",
        "税務課",
        "納税課",
        "市民課",
        "保険年金課",
        "福祉課",
        "高齢者支援課",
        "介護保険課",
        "子育て支援課",
        "健康推進課",
        "環境課",
        "清掃事務所",
        "都市計画課",
        "道路課",
        "建築指導課",
        "産業振興課",
        "防災課",
        "広報課",
        "会計課",
        "議会事務局",
        "選挙管理委員会事務局",
        "教育総務課",
        "学務課",
        "生涯学習課",
        "図書館",
        "上下水道課",
    ),
    "tatebayashi": (
        "総務課",
        "情報管理係",
        "警防課",
        "予防課",
        "通信指令課",
        "消防本部",
        "館林消防署",
        "板倉分署",
        "明和分署",
        "千代田分署",
        "邑楽分署",
        "救急係",
    ),
}
CSIRT_DEPARTMENT = {"default": "情報政策課", "tatebayashi": "情報管理係"}

PLACES: dict[str, tuple[str, ...]] = {
    "edogawa": (
        "本庁舎",
        "第二庁舎",
        "小岩事務所",
        "葛西事務所",
        "東部事務所",
        "鹿骨事務所",
        "北部事務所",
        "一之江図書館",
    ),
    "katsushika": (
        "本庁舎",
        "新館",
        "亀有区民事務所",
        "金町区民事務所",
        "柴又図書館",
        "水元図書館",
        "立石区民事務所",
    ),
    "komae": ("本庁舎", "防災センター", "あいとぴあセンター", "中央公民館", "西河原公民館", "狛江市立図書館"),
    "mutsu": ("本庁舎", "川内庁舎", "大畑庁舎", "脇野沢庁舎", "むつ市立図書館", "下北文化会館"),
    "tatebayashi": ("消防本部", "館林消防署", "板倉分署", "明和分署", "千代田分署", "邑楽分署", "通信指令室"),
}

# --- vocabularies of the slots -------------------------------------------------------------------------

SYSTEMS = (
    "グループウェア",
    "庁内LAN",
    "住民記録システム",
    "税務システム",
    "財務会計システム",
    "福祉総合システム",
    "国民健康保険システム",
    "介護保険システム",
    "文書管理システム",
    "LGWAN接続系",
    "インターネット接続系",
    "マイナンバー利用事務系",
    "電子申請システム",
    "人事給与システム",
    "図書館システム",
    "戸籍システム",
    "消防指令システム",
    "庶務事務システム",
    "GIS（地図情報システム）",
    "学校ネットワーク",
)
DEVICES = (
    "業務用パソコン",
    "ノートパソコン",
    "タブレット端末",
    "複合機",
    "USBメモリ",
    "外付けハードディスク",
    "スマートフォン",
    "ファイルサーバー",
    "NAS",
    "ルーター",
)
DOCUMENTS = (
    "住民票の写し",
    "課税証明書",
    "申請書",
    "名簿",
    "納税通知書",
    "健診結果通知",
    "保育園の入所決定通知",
    "要介護認定通知",
    "児童手当の案内",
    "口座振替依頼書",
    "給与支払報告書",
    "障害福祉サービス受給者証",
)
RECIPIENTS = (
    "別の事業者",
    "誤ったメールアドレス",
    "同姓の別人",
    "他の自治体",
    "旧住所",
    "委託事業者",
    "別の申請者",
)
MAIL_SUBJECTS = (
    "請求書送付のお知らせ",
    "【至急】パスワードの有効期限について",
    "宅配便お届けのお知らせ",
    "会議資料の送付",
    "給与明細のご案内",
    "ふるさと納税返礼品について",
    "アカウントの確認",
    "見積書の再送",
    "年末調整のお願い",
)
ATTACHMENTS = ("請求書.zip", "見積書.xlsm", "資料.docm", "写真.iso", "案内.pdf.exe", "明細.one", "名簿.lnk")
ANTIVIRUS = (
    "ウイルス対策ソフト",
    "EDR",
    "Apex One",
    "Microsoft Defender",
    "ESET",
    "Trellix",
    "FFRI yarai",
    "SentinelOne",
    "CrowdStrike Falcon",
)
# Malware and appliance names: the tail of their vocabularies is what "rare" words are made of.
MALWARE = ("Emotet", "AgentTesla", "Formbook", "Qakbot", "IcedID", "LockBit", "BlackCat", "Phobos", "Akira")
APPLIANCES = (
    "VPN装置",
    "FortiGate",
    "Pulse Secure",
    "Citrix ADC",
    "BIG-IP",
    "Ivanti Connect Secure",
    "SonicWall",
    "Log4j",
    "ProxyShell",
)
EXTENSIONS = (".lockbit", ".encrypted", ".locked", ".crypt")
TIMES = ("午前8時半頃", "午前9時頃", "午前10時頃", "午前11時過ぎ", "正午頃", "午後1時頃", "午後2時半頃", "午後3時頃",
         "午後4時頃", "午後5時過ぎ", "夜間", "早朝")  # fmt: skip
ROOMS = ("執務室", "会議室", "窓口", "サーバー室", "書庫", "倉庫", "更衣室")


def zipf(values: Sequence[str], s: float = 1.1) -> tuple[Sequence[str], list[float]]:
    """The values with cumulative weights 1/rank^s: the first is common, the last rare."""
    return values, list(accumulate(1 / (rank**s) for rank in range(1, len(values) + 1)))


# The words the manifest counts (incidents whose search document holds them). Common ones are in
# several per cent of the incidents, rare ones in a few dozen of a million (the tails of MALWARE and
# APPLIANCES, used in a share of their kind's sentences).
COMMON_WORDS = (
    "USB",
    "紛失",
    "ランサム",
    "漏えい",
    "誤送信",
    "標的型メール",
    "住民記録システム",
    "LGWAN",
    "個人情報",
    "不正アクセス",
    "鍵",
    "感染",
)
RARE_WORDS = ("Akira", "Phobos", "BlackCat", "ProxyShell", "Log4j", "SonicWall", "Ivanti", "Qakbot")
# Slots whose vocabulary has a steep tail: these make the rare words.
STEEP = 3.5
# Slots that keep their value through one incident's texts (one event happens in one department,
# to one system): set by ``Texts.report``.
STICKY = frozenset(
    {"dept", "system", "device", "document", "malware", "appliance", "antivirus", "mail_subject"}
)


class Texts:
    """Fills templates from the vocabularies for one organisation, drawing from ``rng``."""

    def __init__(self, rng: random.Random, org_key: str, departments: Sequence[str]):
        self.rng = rng
        self.departments = list(departments)
        self.places = PLACES.get(org_key, PLACES["komae"])
        vocab: dict[str, tuple[Sequence[str], list[float]]] = {
            "system": zipf(SYSTEMS, 0.9),
            "device": zipf(DEVICES, 0.8),
            "document": zipf(DOCUMENTS, 0.8),
            "recipient": zipf(RECIPIENTS, 0.5),
            "mail_subject": zipf(MAIL_SUBJECTS, 0.7),
            "attachment": zipf(ATTACHMENTS, 1.0),
            "antivirus": zipf(ANTIVIRUS, 1.0),
            "malware": zipf(MALWARE, STEEP),
            "appliance": zipf(APPLIANCES, STEEP),
            "extension": zipf(EXTENSIONS, 1.0),
            "time": zipf(TIMES, 0.3),
            "room": zipf(ROOMS, 0.6),
            "dept": zipf(self.departments, 0.7),
        }
        self.vocab = vocab
        self.slot_fill: dict[str, Callable[[], str]] = {
            "n": lambda: str(min(99, int(rng.paretovariate(1.3)) + 1)),
            "many": lambda: str(int(10 ** rng.uniform(1, 3.7))),
            "num5": lambda: f"{rng.randrange(100000):05d}",
            "place": self.place,
        }
        self._slots: dict[str, list[str]] = {}
        self.context: dict[str, str] = {}

    def word(self, slot: str) -> str:
        value = self.context.get(slot)
        if value is None:
            values, cumulative = self.vocab[slot]
            value = self.rng.choices(values, cum_weights=cumulative)[0]
            if slot in STICKY:
                self.context[slot] = value
        return value

    def place(self) -> str:
        rng = self.rng
        building = rng.choice(self.places)
        if building in ("本庁舎", "第二庁舎", "新館") and rng.random() < 0.7:
            return f"{building}{rng.randint(1, 8)}階 {self.word('dept')}"
        return building

    def fill(self, template: str) -> str:
        slots = self._slots.get(template)
        if slots is None:
            slots = [name for _, name, _, _ in string.Formatter().parse(template) if name]
            self._slots[template] = slots
        if not slots:
            return template
        values = {}
        for name in slots:
            fill = self.slot_fill.get(name)
            values[name] = fill() if fill is not None else self.word(name)
        return template.format_map(values)

    def pick(self, kind: str, field: str) -> str:
        choices: tuple[str, ...] = KINDS[kind][field]  # type: ignore[assignment]
        return self.fill(self.rng.choice(choices))

    def report(self, kind: str) -> dict[str, str]:
        """The texts of one report: its first line is the incident's title (as submit_report makes it).
        Starts a new context: the incident's later texts name the same department, system…"""
        rng = self.rng
        self.context = {}
        sentences: tuple[str, ...] = KINDS[kind]["sentences"]  # type: ignore[assignment]
        body = [self.fill(s) for s in rng.sample(sentences, k=min(len(sentences), rng.randint(1, 3)))]
        if rng.random() < 0.5:
            body.append(self.fill(rng.choice(GENERIC_SENTENCES)))
        title = self.pick(kind, "titles")
        systems = [self.word("system")] if rng.random() < 0.6 else []
        return {
            "title": title,
            "description": title + "\n" + "".join(body),
            "location": self.place(),
            "suspected_cause": self.pick(kind, "causes") if rng.random() < 0.6 else "",
            "impact_scope": self.fill(rng.choice(IMPACTS)) if rng.random() < 0.7 else "",
            "affected_systems": "、".join(systems),
        }

    def action(self, phase: str) -> str:
        return self.fill(self.rng.choice(ACTIONS[phase]))

    def closure(self, kind: str, title: str) -> dict[str, str]:
        rng = self.rng
        sentences: tuple[str, ...] = KINDS[kind]["sentences"]  # type: ignore[assignment]
        return {
            "summary": f"{title}。{self.fill(rng.choice(sentences))}対応の結果、被害の拡大はなく、業務は平常に復した。",
            "root_cause": self.pick(kind, "root_causes"),
            "prevention_measures": self.pick(kind, "prevention"),
        }

    def any_of(self, texts: Sequence[str]) -> str:
        return self.fill(self.rng.choice(texts))

    def contact(self) -> str:
        """How a resident or caller can be reached."""
        rng = self.rng
        kind = rng.random()
        if kind < 0.5:
            return f"携帯 0{rng.choice('789')}0-{rng.randrange(10000):04d}-{rng.randrange(10000):04d}"
        if kind < 0.8:
            return f"自宅 0{rng.randrange(10, 99)}-{rng.randrange(100, 1000)}-{rng.randrange(10000):04d}"
        return f"メール user{rng.randrange(10**6)}@example.jp"


def person_name(rng: random.Random) -> tuple[str, str]:
    """(family name, given name), both in kanji or kana."""
    return rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)


def kind_weights() -> tuple[list[str], list[float]]:
    names = list(KINDS)
    return names, list(accumulate(float(KINDS[k]["weight"]) for k in names))  # type: ignore[arg-type]
