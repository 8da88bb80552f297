"""Factors for and against harm, derived from the exposed data classes and the incident facts.

These feed the risk-based duties ("assessment required"): the engine never decides them, it lays
out the factors so that a responder can decide and record who decided and why.
"""

from __future__ import annotations

from breachscope import taxonomy
from breachscope.rules.facts import Facts

#: Exposed class -> the harm it makes likely (a factor FOR notifying).
HIGH_HARM: dict[str, str] = {
    "password": "plaintext passwords allow account takeover",
    "password_hash": "password hashes can be cracked offline and allow account takeover",
    "secret": "API keys or tokens allow direct access to accounts and systems (and can cost money)",
    "private_key": "private keys allow impersonation and decryption",
    "payment_card": "card numbers allow card fraud",
    "card_security_code": "card security codes make card-not-present fraud easy",
    "bank_account": "bank account numbers enable financial fraud",
    "government_id": "government ID numbers enable identity theft",
    "chat_content": "message content may hold sensitive or confidential information",
    "date_of_birth": "date of birth helps identity theft and account recovery attacks",
    "precise_location": "precise location can expose a person's whereabouts",
    "postal_address": "a postal address exposes where a person lives",
}

CONTACT = ("email", "phone", "person_name", "username")
LOW_HARM = (
    "coarse_location",
    "device",
    "user_agent",
    "url",
    "internal_id",
    "hashed_id",
    "timestamp",
    "ip_address",
)


def factors(facts: Facts, *, affected: int) -> tuple[list[str], list[str]]:
    """Return (factors for notifying, factors against) in plain words."""
    present = facts.present
    pro: list[str] = []
    con: list[str] = []
    for cid, words in HIGH_HARM.items():
        if cid in present:
            pro.append(f"{taxonomy.get(cid).name} exposed: {words}")
    contact = [c for c in CONTACT if c in present]
    if contact:
        names = ", ".join(taxonomy.get(c).name.lower() for c in contact)
        pro.append(f"{names} exposed: enables targeted phishing and social engineering")
    if not any(c in present for c in HIGH_HARM):
        exposed = ", ".join(taxonomy.get(c).name.lower() for c in sorted(present)) or "none"
        con.append(
            "only contact and technical data exposed "
            f"({exposed}): no credentials, payment data or ID numbers, so no direct account-takeover "
            "or financial harm"
        )
    absent_critical = sorted(c for c in facts.absent if c in taxonomy.CREDENTIAL_AND_PAYMENT_CLASSES)
    # A jurisdiction's facts (engine.for_jurisdiction) count a class that only people located
    # elsewhere carry as absent here: the scan found it, so it was not "confirmed absent".
    carried: set[str] = set().union(*facts.classes_by_code.values()) if facts.classes_by_code else set()
    scan_absent = [c for c in absent_critical if c not in carried]
    elsewhere = [c for c in absent_critical if c in carried]
    if scan_absent:
        con.append("scan confirmed absent" + _checked(facts) + ": " + ", ".join(scan_absent))
    if elsewhere:
        con.append(
            "not exposed for the people located here (the scan found it only in the records of "
            "people located elsewhere): " + ", ".join(elsewhere)
        )
    if affected >= 1000:
        pro.append(f"large number of people affected ({affected:,})")
    elif affected:
        con.append(f"limited number of people affected ({affected:,})")
    if facts.malicious is True:
        pro.append("the data was taken by an unauthorised outsider (malicious actor)")
    elif facts.malicious is False:
        con.append("no indication of a malicious actor")
    if facts.encrypted and facts.key_exposed is False:
        con.append("the data was encrypted and the key was not exposed")
    elif facts.encrypted and facts.key_exposed:
        pro.append("the data was encrypted but the key was exposed too")
    return pro, con


def _checked(facts: Facts) -> str:
    """How much the scans examined, in records when known (as notices say it)."""
    if facts.records_checked:
        which = "all" if facts.absence_complete else "the readable"
        return f" in {which} {facts.records_checked:,} records"
    return f" over {facts.values_checked:,} values" if facts.values_checked else ""
