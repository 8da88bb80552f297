"""Vocabularies of the synthetic leak. All fictional: names are common given/family names
combined at random, emails use reserved example domains (RFC 2606/6761), no real person."""

# ruff: noqa: E501
from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = (
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "Sarah", "Daniel",
    "Emma", "Oliver", "Sophie", "Lukas", "Hannah", "Jonas", "Camille", "Louis", "Chloé", "Hugo",
    "Aarav", "Priya", "Rohan", "Ananya", "Wei", "Mei", "Jun", "Yuki", "Haruto", "Sakura",
    "João", "Ana", "Lucas", "Beatriz", "Olivia", "Liam", "Noah", "Ava", "Mateo", "Zoë",
    "Fatima", "Omar", "Aisha", "Kwame", "Amara", "Siobhan", "Connor", "Ingrid", "Nikolai", "Elif",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Taylor",
    "Müller", "Schmidt", "Schneider", "Fischer", "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Laurent",
    "Sharma", "Patel", "Iyer", "Gupta", "Tan", "Lim", "Wong", "Sato", "Suzuki", "Takahashi",
    "Silva", "Santos", "Oliveira", "Souza", "Tremblay", "Gagnon", "Roy", "Nguyen", "O'Brien", "Kowalski",
    "Okafor", "Mensah", "Haddad", "Yilmaz", "Andersson", "Novak", "Rossi", "Costa", "Murphy", "Kelly",
)  # fmt: skip
ID_FIRST_NAMES: tuple[str, ...] = (
    "Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Ayu", "Eko", "Nur",
    "Wahyu", "Indah", "Fajar", "Rina", "Dimas", "Lestari", "Hendra", "Fitri", "Bayu", "Wulan",
    "Yusuf", "Intan", "Arif", "Kartika", "Gilang", "Maya", "Teguh", "Sri", "Adi", "Ratna",
)  # fmt: skip
ID_LAST_NAMES: tuple[str, ...] = (
    "Santoso", "Wijaya", "Saputra", "Hidayat", "Susanto", "Kusuma", "Pratama", "Setiawan", "Nugroho", "Halim",
    "Gunawan", "Siregar", "Nasution", "Simanjuntak", "Sihombing", "Lubis", "Hutapea", "Tanjung", "Harahap", "Purnomo",
    "Wibowo", "Rahman", "Hakim", "Utomo", "Permana", "Suryadi", "Kurniawan", "Anggraini", "Firmansyah", "Syahputra",
)  # fmt: skip
EMAIL_DOMAINS: tuple[str, ...] = (
    "example.com", "example.org", "example.net", "mail.example", "inbox.example", "corp.example",
    "startup.example", "lab.example", "kampus.example", "perusahaan.example",
)  # fmt: skip

#: (country code, region, city, weight). Regions are Mixpanel-style names (GeoIP subdivisions).
LOCATIONS: tuple[tuple[str, str, str, int], ...] = (
    ("ID", "Jakarta", "Jakarta", 40), ("ID", "East Java", "Surabaya", 14), ("ID", "West Java", "Bandung", 14),
    ("ID", "West Java", "Bekasi", 6), ("ID", "Banten", "Tangerang", 7), ("ID", "Central Java", "Semarang", 6),
    ("ID", "North Sumatra", "Medan", 8), ("ID", "Bali", "Denpasar", 5), ("ID", "Yogyakarta", "Yogyakarta", 6),
    ("ID", "South Sulawesi", "Makassar", 4),
    ("US", "California", "San Francisco", 22), ("US", "California", "Los Angeles", 14),
    ("US", "New York", "New York", 20), ("US", "Texas", "Austin", 9), ("US", "Texas", "Houston", 6),
    ("US", "Georgia", "Atlanta", 6), ("US", "Washington", "Seattle", 9), ("US", "Illinois", "Chicago", 7),
    ("US", "Massachusetts", "Boston", 6), ("US", "Florida", "Miami", 5),
    ("GB", "England", "London", 16), ("GB", "England", "Manchester", 4), ("GB", "Scotland", "Edinburgh", 3),
    ("DE", "Berlin", "Berlin", 8), ("DE", "Bavaria", "Munich", 6), ("DE", "Hamburg", "Hamburg", 3),
    ("FR", "Île-de-France", "Paris", 10), ("FR", "Auvergne-Rhône-Alpes", "Lyon", 3),
    ("IN", "Karnataka", "Bengaluru", 14), ("IN", "Maharashtra", "Mumbai", 9), ("IN", "Delhi", "New Delhi", 8),
    ("SG", "Central Singapore", "Singapore", 9),
    ("BR", "São Paulo", "São Paulo", 9), ("BR", "Rio de Janeiro", "Rio de Janeiro", 4),
    ("CA", "Ontario", "Toronto", 8), ("CA", "Quebec", "Montreal", 5), ("CA", "British Columbia", "Vancouver", 4),
    ("AU", "New South Wales", "Sydney", 6), ("AU", "Victoria", "Melbourne", 5),
    ("JP", "Tokyo", "Tokyo", 8), ("JP", "Osaka", "Osaka", 3),
)  # fmt: skip

#: Directory language by country; Indonesian users mostly "id" (the rest "en").
LANGUAGE_BY_COUNTRY = {"ID": "id", "FR": "fr", "DE": "de", "BR": "pt", "JP": "ja"}
LOCAL_LANGUAGE_SHARE = 0.85

#: (os, browser, versions, weight)
DEVICES: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("Windows", "Chrome", ("129", "130", "131", "132"), 30),
    ("Windows", "Microsoft Edge", ("130", "131"), 8),
    ("Windows", "Firefox", ("131", "132", "133"), 5),
    ("Mac OS X", "Chrome", ("130", "131", "132"), 18),
    ("Mac OS X", "Safari", ("17.6", "18.0", "18.1"), 10),
    ("Mac OS X", "Firefox", ("132", "133"), 3),
    ("Linux", "Chrome", ("130", "131"), 5),
    ("Linux", "Firefox", ("128", "132"), 3),
    ("iOS", "Mobile Safari", ("17.6", "18.1"), 8),
    ("Android", "Chrome", ("130", "131"), 8),
    ("Android", "Samsung Internet", ("26.0", "27.0"), 2),
)

#: (referrer URL, referring domain, weight); "$direct" is Mixpanel's value for no referrer.
REFERRERS: tuple[tuple[str, str, int], ...] = (
    ("$direct", "$direct", 45),
    ("https://www.google.com/", "www.google.com", 22),
    ("https://www.bing.com/", "www.bing.com", 3),
    ("https://duckduckgo.com/", "duckduckgo.com", 2),
    ("https://github.com/", "github.com", 6),
    ("https://news.ycombinator.com/", "news.ycombinator.com", 3),
    ("https://stackoverflow.com/questions", "stackoverflow.com", 4),
    ("https://www.reddit.com/r/programming/", "www.reddit.com", 3),
    ("https://t.co/", "t.co", 3),
    ("https://www.linkedin.com/", "www.linkedin.com", 2),
    ("https://docs.example.com/quickstart", "docs.example.com", 4),
    ("https://blog.example.org/posts/getting-started", "blog.example.org", 3),
)

#: Short, harmless notes; most rows have none.
NOTES: tuple[str, ...] = (
    "trial user", "asked about billing", "migrated from legacy plan", "prefers email contact",
    "enterprise pilot", "requested invoice", "beta tester", "churn risk", "upgraded to team plan",
    "webinar attendee",
)  # fmt: skip
NOTES_SHARE = 0.03

ORG_WORDS_A: tuple[str, ...] = (
    "Acme", "Nimbus", "Blue Harbor", "Quantum Leaf", "Northwind", "Sinar", "Maju Jaya", "Cahaya", "Orbit", "Lumen",
    "Redwood", "Kite", "Polar", "Sagara", "Nusantara", "Delta", "Cobalt", "Granite", "Harmoni", "Vertex",
)  # fmt: skip
ORG_WORDS_B: tuple[str, ...] = (
    "Labs", "Analytics", "Systems", "Digital", "AI", "Health", "Logistics", "Studio", "Data", "Ventures",
)  # fmt: skip
