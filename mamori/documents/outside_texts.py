"""Texts for outside bodies, in the order of their forms, ready to copy into a portal or a mail.

- 個人情報保護委員会: the nine items of the 漏えい等報告 form (``incidents.outside.ppc_values``).
- 国家サイバー統括室 (NCO): the common forms for ransomware and DDoS incidents in use since
  2025-10-01 (ランサムウェア事案共通様式 / DDoS攻撃事案共通様式), which 個人情報保護委員会, the police and the
  ministries accept. Besides the facts every report carries, they ask for the attack's technical
  details: for ransomware the ransom note, the extension of encrypted files, the ransomware's name or
  type, the intrusion route and indicators; for DDoS the period, targets, method, scale, sources and
  any threat.

What Mamori cannot derive from the incident is recorded as free-text facts (``Incident.report_facts``,
keys below) through ``incidents.outside.set_report_facts``, so it is journaled like every other fact.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori import wareki
from mamori.incidents.editing import policy_of
from mamori.incidents.models import Incident
from mamori.incidents.outside import PPC_ITEMS, aware_moment, ppc_item_labels, ppc_values

# Facts of the NCO ransomware form that only people can tell (key → label).
RANSOMWARE_FACTS = {
    "nco_ransom_note": gettext_lazy("Ransom note (the demand's wording; where it was found)"),
    "nco_encrypted_extension": gettext_lazy("Extension of the encrypted files"),
    "nco_ransomware_name": gettext_lazy("Ransomware name or type"),
    "nco_intrusion_route": gettext_lazy("Intrusion route (vulnerability used, phishing mail, VPN…)"),
    "nco_indicators": gettext_lazy("Indicators (hashes, IP addresses, domains, file names)"),
    "nco_ransom_demand": gettext_lazy("Ransom demanded (amount, contact), and whether data was threatened"),
}

# Facts of the NCO DDoS form.
DDOS_FACTS = {
    "nco_ddos_period": gettext_lazy("Period of the attack (start and end)"),
    "nco_ddos_targets": gettext_lazy("Targets (services, domain names, IP addresses)"),
    "nco_ddos_method": gettext_lazy("Method (SYN flood, UDP flood, DNS amplification, HTTP…)"),
    "nco_ddos_scale": gettext_lazy("Scale (peak traffic in bps or pps)"),
    "nco_ddos_sources": gettext_lazy("Sources (IP addresses, countries)"),
    "nco_ddos_impact": gettext_lazy("Impact (services stopped and for how long)"),
    "nco_ddos_countermeasures": gettext_lazy("Countermeasures taken"),
    "nco_ddos_threat": gettext_lazy("Claim of responsibility or threat, if any"),
}

NCO_FACTS = {**RANSOMWARE_FACTS, **DDOS_FACTS}


def _common_items(incident: Incident, style: str) -> list[dict[str, str]]:
    """What both NCO forms ask first: who was hit, when they knew, what happened, to what."""
    policy = policy_of(incident)
    first = incident.reports.order_by("received_at", "pk").first()
    contacts = " / ".join(f"{c.label} {c.value}" for c in policy.poc.contacts)
    facts = incident.report_facts or {}
    persons = facts.get("persons_affected")
    return [
        {"label": _("Organisation"), "value": incident.organization.name},
        {"label": _("Contact"), "value": f"{policy.poc.name} {policy.poc.unit or ''} {contacts}".strip()},
        {"label": _("Became aware at"), "value": wareki.format_datetime(aware_moment(incident), style)},
        {
            "label": _("Summary of the damage"),
            "value": incident.summary or (first.description if first else incident.title),
        },
        {"label": _("Affected systems"), "value": incident.affected_systems},
        {
            "label": _("Personal data leaked or possibly leaked"),
            "value": (_("Yes") if incident.personal_data else _("No"))
            + (f"（{persons}）" if persons not in (None, "") else ""),
        },
    ]


def _fact_items(incident: Incident, labels: dict[str, Any]) -> list[dict[str, str]]:
    facts = incident.report_facts or {}
    return [{"key": k, "label": str(label), "value": str(facts.get(k) or "")} for k, label in labels.items()]


def outside_forms(incident: Incident, *, style: str) -> list[dict[str, Any]]:
    """Each outside form with its items in order: ``key``, ``title``, ``note`` and ``entries``
    (``label``, ``value``); a value is empty where nothing is known yet."""
    ppc = ppc_values(incident)
    ppc_labels = ppc_item_labels()
    common = _common_items(incident, style)
    return [
        {
            "key": "ppc",
            "title": _("Personal Information Protection Commission: report of a leak (9 items)"),
            "note": _("Became aware: %(when)s")
            % {"when": wareki.format_datetime(aware_moment(incident), style)},
            "entries": [{"key": k, "label": ppc_labels[k], "value": ppc[k]} for k in PPC_ITEMS],
        },
        {
            "key": "nco_ransomware",
            "title": _("National Cybersecurity Office: common form for ransomware incidents"),
            "note": _(
                "Accepted by the Personal Information Protection Commission, the police and the ministries."
            ),
            "entries": common + _fact_items(incident, RANSOMWARE_FACTS),
        },
        {
            "key": "nco_ddos",
            "title": _("National Cybersecurity Office: common form for DDoS incidents"),
            "note": _(
                "Accepted by the Personal Information Protection Commission, the police and the ministries."
            ),
            "entries": common + _fact_items(incident, DDOS_FACTS),
        },
    ]


def as_text(form: dict[str, Any], incident: Incident) -> str:
    """One form as plain text: numbered items, with a mark where something is still to be written."""
    lines = [form["title"], f"{incident.reference} {incident.title}", form["note"], ""]
    for n, item in enumerate(form["entries"], 1):
        lines += [f"{n}. {item['label']}", (item["value"] or "").strip() or _("(to be filled in)"), ""]
    return "\n".join(lines).rstrip() + "\n"
