"""The sentences of the generated dataset (bench/generate.py), by kind of incident: what a report says,
what triage decides, what the timeline records, what the closure report concludes. Slots in braces are
filled by ``generate_texts.Texts``.

Each kind also says under which of its own categories each organisation's regulation files it
(``CATEGORY_OF_KIND``): the presets' categories differ (別表第2 of むつ市, 江戸川区's 基準第27条…).
"""

# name: (weight, titles, sentences of the report, suspected causes, root causes, prevention measures)
KINDS: dict[str, dict[str, object]] = {
    "phishing": {
        "weight": 16,
        "titles": (
            "{dept}で不審なメールの添付ファイルを開いた",
            "標的型メールと思われるメールを受信した",
            "{dept}の職員がフィッシングサイトにIDとパスワードを入力した",
            "取引先を装った不審なメールが複数の職員に届いた",
        ),
        "sentences": (
            "{time}、{dept}の職員が件名「{mail_subject}」のメールを受信し、添付ファイル（{attachment}）を開いた。",
            "送信元は実在する取引先を装っており、標的型メールの可能性がある。",
            "メール本文のURLをクリックしたところ、グループウェアのログイン画面に似たページが表示された。",
            "同じ件名のメールが庁内の{many}人に届いていることを確認した。",
            "当該端末（管理番号{num5}）はLANケーブルを抜いて隔離した。",
            "添付ファイルを開いた後、画面が一瞬白くなったとの申告がある。",
            "{malware}の手口に似ているとの指摘が保守事業者からあった。",
        ),
        "causes": ("標的型メール", "フィッシング", "不審な添付ファイルの実行"),
        "root_causes": (
            "標的型メールの添付ファイルを職員が開いたこと。送信元の確認手順が徹底されていなかった。",
            "フィッシングサイトと気付かずに認証情報を入力したこと。多要素認証が未導入であった。",
        ),
        "prevention": (
            "標的型メール訓練を年2回実施し、不審なメールの報告手順を全職員に再周知した。",
            "メールの添付ファイルの無害化を導入し、マクロ付きファイルの受信を制限した。",
        ),
    },
    "malware": {
        "weight": 10,
        "titles": (
            "{antivirus}がウイルスを検知した",
            "{dept}の{device}でウイルス感染の疑い",
            "{malware}への感染が疑われる通信を検知した",
        ),
        "sentences": (
            "{antivirus}が{device}（管理番号{num5}）でトロイの木馬を検知し、隔離した。",
            "感染経路は外部記録媒体経由の可能性がある。",
            "端末から外部への不審な通信が{many}件記録されていた。",
            "{malware}の特徴と一致する通信先への接続が確認された。",
            "感染した端末では{system}の帳票を扱っていた。",
            "同じセグメントの端末{n}台についても調査が必要である。",
        ),
        "causes": ("ウイルス感染", "USBメモリ経由の感染", "不正プログラムの実行"),
        "root_causes": (
            "外部から持ち込まれたUSBメモリを介して不正プログラムに感染したこと。",
            "パターンファイルの更新が停止しており、検知が遅れたこと。",
        ),
        "prevention": (
            "外部記録媒体の接続を許可制とし、持込み時のウイルスチェックを義務付けた。",
            "ウイルス対策ソフトの更新状況を毎日確認する手順を定めた。",
        ),
    },
    "ransomware": {
        "weight": 7,
        "titles": (
            "{dept}のファイルサーバーでランサムウェア感染の疑い",
            "身代金を要求する画面が表示された",
            "共有フォルダのファイルが暗号化された",
        ),
        "sentences": (
            "共有フォルダ内のファイル約{many}件の拡張子が{extension}に変わり、開けなくなった。",
            "画面に身代金を要求するメッセージが表示された。",
            "ランサムウェアによる暗号化の可能性があるため、{system}との接続を遮断した。",
            "バックアップからの復元が可能か確認している。",
            "{malware}の脅迫文と同じ文面が残されていた。",
        ),
        "causes": ("ランサムウェア", "VPN装置の脆弱性", "不正アクセス"),
        "root_causes": (
            "{appliance}の脆弱性を悪用され、ランサムウェアを実行されたこと。",
            "保守用の接続経路のパスワードが初期値のままであったこと。",
        ),
        "prevention": (
            "バックアップをネットワークから切り離して保管する運用に改めた。",
            "{appliance}のファームウェアを更新し、脆弱性情報の確認を毎週行うこととした。",
        ),
    },
    "intrusion": {
        "weight": 8,
        "titles": (
            "{system}への不正アクセスの疑い",
            "{appliance}に不審なログイン試行",
            "{appliance}の脆弱性を悪用した攻撃の痕跡",
        ),
        "sentences": (
            "深夜帯に海外のIPアドレスから{many}回のログイン試行が記録されていた。",
            "{appliance}の既知の脆弱性を狙った通信をIDSが検知した。",
            "退職者のアカウントでのログインが確認された。",
            "ファイアウォールのログに不正アクセスの痕跡がある。",
            "管理者権限のアカウントが{time}に無断で作成されていた。",
        ),
        "causes": ("不正アクセス", "脆弱性の悪用", "パスワードの推測"),
        "root_causes": (
            "{appliance}の修正プログラムが適用されておらず、脆弱性を悪用されたこと。",
            "退職者のアカウントが削除されずに残っていたこと。",
        ),
        "prevention": (
            "アカウントの棚卸しを四半期ごとに行うこととした。",
            "管理画面へのアクセスを庁内の特定端末からに限定した。",
        ),
    },
    "web": {
        "weight": 4,
        "titles": (
            "ホームページが改ざんされている",
            "公式ホームページが閲覧できない",
            "電子申請システムへのDDoS攻撃の疑い",
        ),
        "sentences": (
            "住民から、ホームページのトップページに見覚えのない画像が表示されているとの連絡があった。",
            "{time}から公式ホームページへのアクセスが集中し、閲覧できない状態が続いている。",
            "CMSの管理画面に不明なアカウントが追加されていた。",
            "電子申請システムの応答が遅延し、申請が{many}件受け付けられなかった。",
        ),
        "causes": ("ホームページの改ざん", "DDoS攻撃", "CMSの脆弱性"),
        "root_causes": ("CMSのプラグインの脆弱性を悪用されたこと。", "大量の通信による過負荷。"),
        "prevention": ("CMSの更新を保守契約の対象に加えた。", "CDNとWAFの導入を決定した。"),
    },
    "loss": {
        "weight": 14,
        "titles": (
            "{dept}でUSBメモリを紛失した",
            "{device}を紛失した",
            "{document}を含む書類を紛失した",
            "公用車内から{device}が盗難に遭った",
        ),
        "sentences": (
            "職員が{place}での業務後、{device}（管理番号{num5}）が見当たらないことに気付いた。",
            "{document}{many}件分のデータが保存されていた可能性がある。",
            "庁内及び移動経路を捜索したが、発見に至っていない。",
            "警察に遺失届を提出した。",
            "データは暗号化されており、パスワードで保護されている。",
            "訪問先からの帰りに電車内へ置き忘れた可能性がある。",
            "{room}の鍵付きキャビネットに保管していた書類が紛失している。",
        ),
        "causes": ("紛失", "置き忘れ", "盗難"),
        "root_causes": (
            "外部記録媒体の持出し手続が守られていなかったこと。",
            "書類の保管場所と施錠の管理が徹底されていなかったこと。",
        ),
        "prevention": (
            "USBメモリの持出しを管理台帳で記録し、暗号化機能付きのものに限定した。",
            "個人情報を含む書類の持出しを原則禁止とし、所属長の許可制とした。",
        ),
    },
    "misdelivery": {
        "weight": 13,
        "titles": (
            "{document}を誤送付した",
            "メールの誤送信（BCCとすべきところを宛先に入力）",
            "FAXの誤送信",
            "{document}を別人に交付した",
        ),
        "sentences": (
            "{document}を{recipient}に誤って送付した。",
            "{many}人分のメールアドレスが受信者全員に見える形で送信した。",
            "宛先の確認が不十分なまま誤送信した。",
            "誤送付先に連絡し、回収と削除を依頼した。",
            "個人情報の漏えいにあたる可能性がある。",
            "封入作業の際、{n}通に別の方の書類が混入していた。",
        ),
        "causes": ("誤送信", "誤送付", "宛先の確認不足"),
        "root_causes": (
            "送付前のダブルチェックが行われていなかったこと。",
            "メールの一斉送信でBCCを用いる運用が徹底されていなかったこと。",
        ),
        "prevention": (
            "一斉送信にはメール配信システムを用いることとし、BCCでの送信を禁止した。",
            "封入封かん作業を二人一組で行い、チェックリストで確認することとした。",
        ),
    },
    "leak": {
        "weight": 6,
        "titles": (
            "個人情報が漏えいした可能性",
            "{system}の画面を撮影した写真がSNSに投稿された",
            "クラウドストレージの共有設定の誤りによる情報の公開",
        ),
        "sentences": (
            "{document}のデータが外部から閲覧できる状態になっていた。",
            "委託事業者の作業用端末から情報が漏えいした可能性がある。",
            "漏えいした可能性のある個人情報は約{many}件。",
            "共有リンクが「リンクを知っている全員」に設定されていた。",
            "職員が{system}の画面を撮影し、私用のSNSに投稿していた。",
        ),
        "causes": ("漏えい", "設定の誤り", "委託先からの流出"),
        "root_causes": (
            "クラウドサービスの共有設定の確認手順がなかったこと。",
            "委託先の管理状況を確認していなかったこと。",
        ),
        "prevention": ("委託先への立入検査を年1回実施することとした。", "共有設定の変更を申請制とした。"),
    },
    "outage": {
        "weight": 12,
        "titles": (
            "{system}が停止した",
            "{system}に接続できない",
            "LGWAN接続系のネットワーク障害",
            "{dept}の複合機が使用できない",
        ),
        "sentences": (
            "{time}から{system}にログインできない状態が続いている。",
            "窓口業務に影響が出ており、住民を待たせている。",
            "サーバーのディスク障害が原因と思われる。",
            "保守事業者に連絡し、対応を依頼した。",
            "LGWAN接続系とインターネット接続系の間のファイル無害化が機能していない。",
            "{n}台の端末で同じ症状が出ている。",
        ),
        "causes": ("ハードウェア障害", "設定変更の誤り", "回線障害"),
        "root_causes": (
            "サーバーのディスク障害。冗長構成の片系が既に故障していた。",
            "作業手順書にない設定変更を行ったこと。",
        ),
        "prevention": (
            "監視項目にディスクの状態を追加した。",
            "設定変更は作業計画書の承認を得てから行うこととした。",
        ),
    },
    "violation": {
        "weight": 6,
        "titles": (
            "私物のUSBメモリの無断使用",
            "業務データの無断持出し",
            "共有アカウントのパスワードの使い回し",
        ),
        "sentences": (
            "職員が私物のUSBメモリを業務用パソコンに接続していた。",
            "外部記録媒体の利用申請がされていなかった。",
            "パスワードを付箋に書いてモニターに貼っていた。",
            "業務データを私用のメールアドレスに転送していた。",
            "{system}の共有アカウントを{n}人で使い回していた。",
        ),
        "causes": ("情報セキュリティポリシー違反", "私物の持込み"),
        "root_causes": ("情報セキュリティポリシーの周知が不十分であったこと。",),
        "prevention": (
            "情報セキュリティ研修の受講を全職員に義務付けた。",
            "USBポートの利用を制御するソフトを導入した。",
        ),
    },
    "disaster": {
        "weight": 2,
        "titles": (
            "地震による{system}の停止",
            "豪雨による{place}の浸水でサーバーが停止",
            "停電による{system}の停止",
        ),
        "sentences": (
            "{time}の地震により、データセンターとの回線が切断された。",
            "非常用電源への切替えに失敗した。",
            "{place}の地下にあるサーバー室が浸水した。",
            "復旧まで{n}時間を要する見込み。",
        ),
        "causes": ("地震", "浸水", "停電"),
        "root_causes": (
            "サーバー室が浸水想定区域の地下にあったこと。",
            "非常用電源の定期点検が行われていなかったこと。",
        ),
        "prevention": (
            "サーバーをデータセンターへ移設する計画を策定した。",
            "非常用電源の点検を年2回とした。",
        ),
    },
    "other": {
        "weight": 4,
        "titles": (
            "職員を名乗る不審な電話があった",
            "{system}をかたるなりすましメールについて住民から問合せ",
            "不審者がサーバー室に立ち入ろうとした",
        ),
        "sentences": (
            "住民から、市の職員を名乗る者から還付金の手続を求める電話があったとの連絡があった。",
            "{system}の名前をかたるメールが住民に届いている。",
            "入館証を持たない者が{place}の{room}付近にいた。",
            "同様の問合せが{n}件寄せられている。",
        ),
        "causes": ("なりすまし", "不審者の侵入"),
        "root_causes": ("外部の者によるなりすまし。庁内の情報システムへの影響はなかった。",),
        "prevention": ("ホームページで注意喚起を行った。", "サーバー室の入退室管理を強化した。"),
    },
}
# Which of its own categories each organisation's regulation files a kind under.
CATEGORY_OF_KIND: dict[str, dict[str, str]] = {
    "komae": {"phishing": "cyber_attack", "malware": "cyber_attack", "ransomware": "cyber_attack",
              "intrusion": "cyber_attack", "web": "cyber_attack", "loss": "loss_or_leak",
              "misdelivery": "loss_or_leak", "leak": "loss_or_leak", "outage": "system_outage",
              "disaster": "system_outage", "violation": "other", "other": "other"},
    "mutsu": {"phishing": "cyber_attack", "malware": "cyber_attack", "ransomware": "cyber_attack",
              "intrusion": "cyber_attack", "web": "cyber_attack", "loss": "theft_or_loss",
              "misdelivery": "theft_or_loss", "leak": "theft_or_loss", "outage": "system_outage",
              "disaster": "system_outage", "violation": "theft_or_loss", "other": "cyber_attack"},
    "tatebayashi": {"phishing": "malware", "malware": "malware", "ransomware": "malware",
                    "intrusion": "unauthorized_access", "web": "unauthorized_access", "loss": "leak_loss",
                    "misdelivery": "leak_loss", "leak": "leak_loss", "outage": "system_outage",
                    "disaster": "system_outage", "violation": "policy_violation", "other": "other"},
    "edogawa": {"phishing": "malware", "malware": "malware", "ransomware": "malware",
                "intrusion": "unauthorized_access", "web": "cyber_attack", "loss": "loss_or_leak",
                "misdelivery": "loss_or_leak", "leak": "loss_or_leak", "outage": "system_outage",
                "disaster": "system_outage", "violation": "insider_misuse", "other": "other"},
    "katsushika": {"phishing": "cyber_attack", "malware": "cyber_attack", "ransomware": "cyber_attack",
                   "intrusion": "cyber_attack", "web": "cyber_attack", "loss": "loss_or_leak",
                   "misdelivery": "loss_or_leak", "leak": "loss_or_leak", "outage": "system_failure",
                   "disaster": "disaster", "violation": "other", "other": "other"},
}  # fmt: skip
PERSONAL_DATA_KINDS = frozenset({"loss", "misdelivery", "leak"})
SEVERE_KINDS = frozenset({"ransomware", "intrusion", "leak", "web"})

GENERIC_SENTENCES = (
    "発見した職員が所属長に連絡し、CSIRTへ報告した。",
    "現時点で住民への影響は確認されていない。",
    "{system}の利用を一時停止した。",
    "詳細は確認中であり、判明し次第追って報告する。",
    "関係する職員から聞き取りを行っている。",
)
IMPACTS = (
    "端末1台",
    "端末1台",
    "端末{n}台",
    "{system}",
    "なし（確認中）",
    "なし（確認中）",
    "{dept}の業務",
    "住民{n}人",
    "帳票{many}件",
)
TRIAGE_REASONS = (
    "報告内容と端末のログを確認し、インシデントとして対応する。",
    "被害の範囲が限定されていることを確認した上で、区分を決定した。",
    "情報が外部に出た可能性があるため、インシデントとして扱う。",
    "{system}への影響が確認されたため、対応を開始する。",
)
NOT_INCIDENT_REASONS = (
    "調査の結果、誤検知であることを確認した。",
    "通知メールは正規の事業者からのものであった。",
    "紛失したとされた媒体は庁内で発見され、情報の流出はなかった。",
    "{system}の計画停止であり、インシデントではない。",
    "重複した報告であり、別件で対応済みである。",
)
LEVEL_CHANGE_REASONS = (
    "被害範囲が拡大したため、区分を見直した。",
    "調査の結果、影響が限定的であることが判明した。",
    "個人情報が含まれていることが判明した。",
    "{system}への影響が確認されたため、区分を引き上げた。",
)
PUBLICATION_REASONS = (
    "個人が特定される情報の流出はなく、公表は要しないと判断した。",
    "住民への影響があるため、ホームページで経緯を公表する。",
)

# Timeline entries by phase (mamori.incidents.choices.Phase).
ACTIONS: dict[str, tuple[str, ...]] = {
    "detection": (
        "通報者から発見時の状況を聴取した。",
        "報告内容を確認し、関係課に照会した。",
        "{system}の稼働状況を確認した。",
    ),
    "triage": (
        "CSIRT内で対応方針を協議した。",
        "当該端末のログを取得し、影響範囲を確認した。",
        "区分の判断材料として{dept}に追加の聞き取りを行った。",
    ),
    "initial_response": (
        "当該端末（管理番号{num5}）をネットワークから切り離した。",
        "{system}の管理者に連絡し、状況を共有した。",
        "被害範囲の調査を開始した。",
        "{dept}の職員{n}人から聞き取りを行った。",
        "関係するメール{n}通を保全した。",
    ),
    "containment": (
        "{antivirus}でフルスキャンを実施した（検知{n}件）。",
        "不審な通信先をファイアウォールで遮断した。",
        "該当アカウントを停止し、パスワードを変更した。",
        "同一セグメントの端末{n}台を点検した。",
        "プロキシのログから同じ通信先への接続を検索した。",
    ),
    "recovery": (
        "バックアップからデータを復元した。",
        "{system}を再起動し、正常に稼働していることを確認した。",
        "端末を再セットアップし、利用者に返却した。",
        "保守事業者による機器の交換が完了した。",
    ),
    "prevention": (
        "全職員に注意喚起の通知を行った。",
        "手順書を改訂し、{dept}に周知した。",
        "研修を実施した（参加者{many}人）。",
        "同様の設定がないか全課を点検した。",
    ),
    "reporting": (
        "CISOへ経過を報告した。",
        "個人情報保護委員会への報告の要否を検討した。",
        "関係機関へ経過を報告した。",
        "ホームページに経緯を公表した。",
    ),
    "closure": ("最終報告書を作成した。", "対応記録を取りまとめ、台帳に登録した。"),
}
