"""The vocabulary of required notice content.

Rule files list what a notice must contain by these ids, so the notify stage can check that a
template covers each item. A rule may override the words for its own law; the id stays the same.
"""

from __future__ import annotations

#: Content item id -> default English description.
CONTENT_ITEMS: dict[str, str] = {
    "entity_name": "Name of the organisation and how to contact it",
    "contact_point": "Name and contact details of the data protection officer or other contact point",
    "nature": "Description of the nature of the breach",
    "time_of_breach": "When the breach happened (date, estimated date or date range)",
    "how_discovered": "How and when the breach was discovered",
    "cause": "Cause of the breach, where known",
    "data_classes": "The categories of personal data involved",
    "number_affected": "Approximate number of people affected",
    "number_of_records": "Approximate number of records affected",
    "likely_consequences": "Likely consequences or possible harm of the breach",
    "measures_taken": "Measures taken to address the breach and mitigate its effects",
    "measures_proposed": "Measures planned or proposed",
    "steps_for_individuals": "Steps affected people can take to protect themselves",
    "assistance_offered": "Assistance offered to affected people",
    "delay_reasons": "Reasons for any delay beyond the deadline",
    "plain_language": "Written in clear and plain language",
    "law_enforcement_delay": "Whether notice was delayed at the request of law enforcement",
    "title_and_headings": "Title 'Notice of Data Breach' and the statutory section headings",
    "cra_contacts": "Toll-free numbers and addresses of the major consumer reporting agencies",
    "ftc_contact": "Contact details of the Federal Trade Commission",
    "fraud_alert_freeze": "How to place a fraud alert or security freeze",
    "police_report_right": "The right to obtain a police report",
    "identity_theft_services": "Offer of free identity-theft prevention and mitigation services",
    "remedy_procedure": "How to seek a remedy, and the help desk for damage relief",
    "legal_rights": "The person's legal rights, including damages and mediation",
    "identity_of_unauthorised_person": "Identity of the unauthorised person, if known",
    "sample_notice": "A sample copy of the notice sent to individuals",
    "exposure_timeframe": "The time frame of the exposure",
    "report_on_intimations": "A report on the notices given to affected people",
    "person_who_caused": "Findings on the person who caused the breach",
    "handling_and_recovery": "Efforts to handle and recover from the breach",
    "no_number_affected": "Must NOT state the number of residents affected",
    "no_nature_of_breach": "Must NOT describe the nature of the breach or the number affected",
}
