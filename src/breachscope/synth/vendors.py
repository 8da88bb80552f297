"""Vendor-specific leak layouts for ``breachscope synth --vendor NAME``.

A writer turns the synthetic population into one vendor's export layout (e.g. an Amplitude
zip of ``*.json.gz``) and returns the files it wrote. It is called as
``writer(out=Path, rows=int, seed=int, needles=bool)``.

Profile layouts write ``rows`` profiles (the same people as ``people.*``); event layouts write
``rows`` events by the first ``rows / EVENTS_PER_PERSON`` people. The people stream from
:func:`~breachscope.synth.tables.people_chunk` in chunks into DuckDB, which builds the nested
records and writes JSON/CSV/Parquet; nothing loops over rows in Python, and the same seed
gives the same bytes. Layouts follow ``docs/vendors.md``; planted needles (``--needles``) sit
in a customer-defined property (``notes``).
"""

from __future__ import annotations

import gzip
import shutil
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import fastavro
import pyarrow as pa

from breachscope.files import open_private, private_dir, private_file
from breachscope.synth.needles import place
from breachscope.synth.population import Population
from breachscope.synth.tables import PEOPLE_SCHEMA, people_chunk

EVENTS_PER_PERSON = 4
CHUNK_PEOPLE = 100_000
ENGAGE_PAGE_SIZE = 1000
SEGMENT_BATCH_CALLS = 100
T0 = 1_762_646_400  # 2025-11-09 00:00 UTC

_SCHEMA = PEOPLE_SCHEMA.append(pa.field("i", pa.int64()))


def _people(rows: int, seed: int, needles: bool) -> pa.RecordBatchReader:
    """People 0..rows-1 (with ``i``, the 0-based person index), streamed in chunks."""
    pop = Population(rows, seed)
    planted = place(rows, seed) if needles and rows >= 100 else []

    def gen() -> Iterator[pa.RecordBatch]:
        for start in range(0, rows, CHUNK_PEOPLE):
            end = min(rows, start + CHUNK_PEOPLE)
            table = people_chunk(pop, start, end, planted).append_column("i", pa.arange(start, end))
            yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(_SCHEMA, gen())


def _con(people: pa.RecordBatchReader) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    con.register("p", people)
    return con


def _copy(con: duckdb.DuckDBPyConnection, sql: str, path: Path, options: str) -> Path:
    private_file(path)  # 0600 before DuckDB fills it in place (no temporary file that would not be)
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{target}' ({options}, USE_TMP_FILE false)")
    return path


# Derived, deterministic per-event values (no randomness beyond the seeded population).
_EVENTS = f"""
    SELECT p.*, j, p.i * {EVENTS_PER_PERSON} + j AS e,
      {T0} + ((p.i * {EVENTS_PER_PERSON} + j) * 37) % 604800 AS t,
      ['Signed up', 'Viewed page', 'Clicked button', 'Invited teammate'][1 + j % 4] AS ev,
      ['https://app.example.com/', 'https://app.example.com/pricing',
       'https://app.example.com/settings', 'https://app.example.com/invite'][1 + (p.i + j) % 4] AS url,
      ['192.0.2.', '198.51.100.', '203.0.113.'][1 + p.i % 3] || (p.i % 254 + 1)::VARCHAR AS ip,
      'dev-' || md5('d' || p."$distinct_id")[1:16] AS device,
      'Mozilla/5.0 (' || p."$os" || ') ' || p."$browser" || '/' || p."$browser_version" AS ua
    FROM p, range({EVENTS_PER_PERSON}) r(j)
"""


def _event_people(rows: int) -> int:
    return max(1, -(-rows // EVENTS_PER_PERSON))


def _events_sql(rows: int, select: str) -> str:
    return f"SELECT {select} FROM ({_EVENTS}) WHERE e < {rows} ORDER BY e"


def mixpanel_events(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    con = _con(_people(_event_people(rows), seed, needles))
    sql = _events_sql(
        rows,
        """ev AS event, {'time': t, 'distinct_id': "$distinct_id", '$device_id': device,
        '$insert_id': md5(e::VARCHAR)[1:16], 'mp_processing_time_ms': t * 1000 + 250,
        '$city': "$city", '$region': "$region", 'mp_country_code': mp_country_code, '$os': "$os",
        '$browser': "$browser", '$browser_version': "$browser_version", '$current_url': url,
        '$initial_referrer': "$initial_referrer",
        '$initial_referring_domain': "$initial_referring_domain", 'mp_lib': 'web',
        '$lib_version': '2.55.0', 'org_id': org_id, 'notes': notes} AS properties""",
    )
    return [_copy(con, sql, out / "mixpanel" / "export.jsonl", "FORMAT JSON")]


_PROFILE = """{'$created': "$created", '$email': "$email", '$name': "$name", '$city': "$city",
    '$region': "$region", '$country_code': mp_country_code, '$os': "$os", '$browser': "$browser",
    '$browser_version': "$browser_version", '$initial_referrer': "$initial_referrer",
    '$initial_referring_domain': "$initial_referring_domain", '$last_seen': "$last_seen",
    'org_id': org_id, 'user_id': user_id, 'notes': notes}"""


def mixpanel_people(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """Engage API responses: one JSON page of at most 1000 profiles per file."""
    con = _con(_people(rows, seed, needles))
    con.execute(
        f"""CREATE TABLE pages AS SELECT i // {ENGAGE_PAGE_SIZE} AS page, {ENGAGE_PAGE_SIZE} AS page_size,
        list({{'$distinct_id': "$distinct_id", '$properties': {_PROFILE}}} ORDER BY i) AS results,
        'synth-' || {int(seed)}::VARCHAR AS session_id, 'ok' AS status, {rows} AS total
        FROM p GROUP BY page"""
    )
    pages = [r[0] for r in con.execute("SELECT page FROM pages ORDER BY page").fetchall()]
    return [
        _copy(
            con,
            f"SELECT * FROM pages WHERE page = {page}",
            out / "mixpanel" / f"engage-{page:06d}.json",
            "FORMAT JSON",
        )
        for page in pages
    ]


def mixpanel_csv(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """The Users tab CSV export (display-name headers)."""
    con = _con(_people(rows, seed, needles))
    sql = """SELECT "$distinct_id" AS "Distinct ID", "$name" AS "Name", "$email" AS "Email",
        "$city" AS "City", "$region" AS "Region", mp_country_code AS "Country Code",
        "$os" AS "Operating System", "$browser" AS "Browser", "$initial_referrer" AS "Initial Referrer",
        "$initial_referring_domain" AS "Initial Referring Domain", "$last_seen" AS "Updated at",
        org_id, notes FROM p"""
    return [_copy(con, sql, out / "mixpanel" / "users.csv", "HEADER")]


def mixpanel_pipeline(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """JSON pipelines: events (properties as a JSON column, as in BigQuery) and people."""
    con = _con(_people(_event_people(rows), seed, needles))
    con.execute("CREATE TABLE pp AS SELECT * FROM p")
    con.unregister("p")
    con.execute("CREATE VIEW p AS SELECT * FROM pp")
    events = _events_sql(
        rows,
        """device AS device_id, "$distinct_id" AS distinct_id, ev AS event_name,
        md5(e::VARCHAR)[1:16] AS insert_id,
        to_json({'$city': "$city", '$region': "$region", 'mp_country_code': mp_country_code,
          '$os': "$os", '$browser': "$browser", '$current_url': url,
          '$initial_referrer': "$initial_referrer", 'org_id': org_id, 'notes': notes})::VARCHAR AS properties,
        make_timestamp(t * 1000000) AS time, user_id""",
    )
    people = f"""SELECT "$distinct_id" AS distinct_id, {_PROFILE} AS properties FROM p"""
    return [
        _copy(con, events, out / "mixpanel" / "pipeline" / "mp_events.csv", "HEADER"),
        _copy(con, people, out / "mixpanel" / "pipeline" / "mp_people_data.jsonl", "FORMAT JSON"),
    ]


def mixpanel_warehouse(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """A connector's event table (Fivetran-style: ``$`` stripped, ``mp_`` names kept)."""
    con = _con(_people(_event_people(rows), seed, needles))
    sql = _events_sql(
        rows,
        """'e-' || e::VARCHAR AS event_id, ev AS name, make_timestamp(t * 1000000) AS time,
        "$distinct_id" AS distinct_id, md5(e::VARCHAR)[1:16] AS insert_id,
        t * 1000 + 250 AS mp_processing_time_ms, "$os" AS os, "$city" AS city, "$region" AS region,
        mp_country_code, "$browser" AS browser, "$browser_version" AS browser_version,
        "$initial_referrer" AS initial_referrer, "$initial_referring_domain" AS initial_referring_domain,
        url AS current_url, 'web' AS mp_lib, device AS device_id, notes""",
    )
    return [_copy(con, sql, out / "mixpanel" / "event.csv", "HEADER")]


_SEGMENT_CALL = """{'type': CASE WHEN j = 0 THEN 'identify' WHEN j = 1 THEN 'page' ELSE 'track' END,
    'messageId': 'msg-' || e::VARCHAR, 'userId': user_id, 'anonymousId': device,
    'timestamp': strftime(make_timestamp(t * 1000000), '%Y-%m-%dT%H:%M:%SZ'),
    'event': CASE WHEN j > 1 THEN ev END,
    'traits': CASE WHEN j = 0 THEN {'email': "$email", 'name': "$name", 'notes': notes} END,
    'properties': CASE WHEN j = 1 THEN {'url': url, 'referrer': nullif("$initial_referrer", '$direct')} END,
    'context': {'ip': ip, 'userAgent': ua, 'locale': 'en-US',
                'page': {'url': url, 'referrer': nullif("$initial_referrer", '$direct')},
                'location': {'city': "$city", 'region': "$region", 'country': mp_country_code}}}"""


def segment_batch(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """HTTP batch payloads, one ``{"batch": [...], "context", "sentAt"}`` envelope per line."""
    con = _con(_people(_event_people(rows), seed, needles))
    calls = _events_sql(rows, f"e, {_SEGMENT_CALL} AS call")
    sql = f"""SELECT list(call ORDER BY e) AS batch,
        {{'library': {{'name': 'analytics-node', 'version': '6.2.0'}}}} AS context,
        strftime(make_timestamp(({T0} + max(e)) * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS sentAt
        FROM ({calls}) GROUP BY e // {SEGMENT_BATCH_CALLS} ORDER BY e // {SEGMENT_BATCH_CALLS}"""
    return [_copy(con, sql, out / "segment" / "batch.jsonl", "FORMAT JSON")]


def segment_s3(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """S3 log object: gzipped JSONL of full call payloads with the server's fields."""
    con = _con(_people(_event_people(rows), seed, needles))
    sql = _events_sql(
        rows,
        f"""unnest({_SEGMENT_CALL}), 'src-SYNTH' AS projectId, 'client' AS channel, 2 AS version,
        strftime(make_timestamp((t + 1) * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS receivedAt""",
    )
    path = out / "segment" / "segment-logs" / "src-SYNTH" / str(T0) / "events.jsonl.gz"
    return [_copy(con, sql, path, "FORMAT JSON, COMPRESSION gzip")]


def segment_warehouse(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """The warehouse ``identifies`` table (flattened snake_case columns)."""
    con = _con(_people(rows, seed, needles))
    sql = f"""SELECT 'id-' || i::VARCHAR AS id, 'anon-' || md5("$distinct_id")[1:12] AS anonymous_id,
        user_id, make_timestamp(({T0} + i) * 1000000) AS received_at,
        ['192.0.2.', '198.51.100.', '203.0.113.'][1 + i % 3] || (i % 254 + 1)::VARCHAR AS context_ip,
        'Mozilla/5.0 (' || "$os" || ') ' || "$browser" AS context_user_agent,
        nullif("$initial_referrer", '$direct') AS context_page_referrer,
        'analytics.js' AS context_library_name,
        "$email" AS email, "$name" AS name, notes FROM p"""
    return [_copy(con, sql, out / "segment" / "identifies.csv", "HEADER")]


def amplitude_zip(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """An Export API response: a zip of ``<project>_<date>_<hour>#0.json.gz`` files."""
    con = _con(_people(_event_people(rows), seed, needles))
    sql = _events_sql(
        rows,
        f"""ev AS event_type, t // 3600 AS hour, 100000 + i AS amplitude_id, user_id, device AS device_id,
        strftime(make_timestamp(t * 1000000), '%Y-%m-%d %H:%M:%S.%f') AS event_time,
        strftime(make_timestamp((t + 1) * 1000000), '%Y-%m-%d %H:%M:%S.%f') AS server_upload_time,
        ip AS ip_address, "$city" AS city, "$region" AS region, mp_country_code AS country,
        "$browser" AS os_name, "$browser_version" AS os_version, 'Web' AS platform,
        {T0 * 1000} + i AS session_id, md5(e::VARCHAR) AS "$insert_id",
        {{'initial_referrer': "$initial_referrer", 'initial_referring_domain': "$initial_referring_domain",
          'email': "$email", 'org_id': org_id, 'notes': notes}} AS user_properties,
        {{'page': url}} AS event_properties""",
    )
    work = out / "amplitude" / "parts"
    private_dir(work)
    con.execute(f"CREATE TABLE ev AS {sql}")
    hours = [r[0] for r in con.execute("SELECT DISTINCT hour FROM ev ORDER BY hour").fetchall()]
    archive = out / "amplitude" / "export.zip"
    with zipfile.ZipFile(open_private(archive, "wb"), "w", compression=zipfile.ZIP_STORED) as zf:
        for hour in hours:
            name = f"187520_{_hour_name(hour)}#0.json"
            part = _copy(
                con, f"SELECT * EXCLUDE (hour) FROM ev WHERE hour = {hour}", work / name, "FORMAT JSON"
            )
            info = zipfile.ZipInfo(f"187520/{name}.gz", date_time=(2025, 11, 9, 0, 0, 0))
            zf.writestr(info, gzip.compress(part.read_bytes(), mtime=0))
            part.unlink()
    shutil.rmtree(work, ignore_errors=True)
    return [archive]


def _hour_name(hour: int) -> str:
    t = time.gmtime(hour * 3600)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}_{t.tm_hour}"


_POSTHOG_PROPS = """{'$lib': 'web', '$current_url': url, '$referrer': "$initial_referrer",
    '$browser': "$browser", '$os': "$os", '$ip': ip, '$raw_user_agent': ua,
    '$geoip_city_name': "$city", '$geoip_subdivision_1_name': "$region",
    '$geoip_country_code': mp_country_code, '$geoip_latitude': round(((i * 7919) % 18000) / 100.0 - 90, 2),
    '$geoip_longitude': round(((i * 104729) % 36000) / 100.0 - 180, 2),
    '$geoip_postal_code': lpad(((i * 31) % 99999)::VARCHAR, 5, '0'), 'notes': notes}"""

_POSTHOG_EVENTS = f"""md5(e::VARCHAR)::UUID::VARCHAR AS uuid, ev AS event, "$distinct_id" AS distinct_id,
    md5(user_id)::UUID::VARCHAR AS person_id,
    strftime(make_timestamp(t * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS timestamp,
    '' AS elements_chain, {_POSTHOG_PROPS} AS properties,
    {{'email': "$email", 'name': "$name"}} AS person_properties"""


def posthog_events(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    con = _con(_people(_event_people(rows), seed, needles))
    return [_copy(con, _events_sql(rows, _POSTHOG_EVENTS), out / "posthog" / "events.jsonl", "FORMAT JSON")]


def posthog_parquet(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """Parquet batch export: ``properties`` / ``person_properties`` as JSON text, as PostHog writes."""
    con = _con(_people(_event_people(rows), seed, needles))
    events = _events_sql(rows, _POSTHOG_EVENTS)
    sql = f"""SELECT * REPLACE (to_json(properties)::VARCHAR AS properties,
        to_json(person_properties)::VARCHAR AS person_properties) FROM ({events})"""
    return [_copy(con, sql, out / "posthog" / "events.parquet", "FORMAT PARQUET")]


def posthog_persons(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    con = _con(_people(rows, seed, needles))
    sql = """SELECT 1 AS team_id, "$distinct_id" AS distinct_id, md5(user_id)::UUID::VARCHAR AS person_id,
        {'email': "$email", 'name': "$name", '$initial_browser': "$browser", '$initial_os': "$os",
         '$initial_referrer': "$initial_referrer", '$geoip_city_name': "$city",
         '$geoip_country_code': mp_country_code, 'org_id': org_id, 'notes': notes} AS properties,
        0 AS person_distinct_id_version, 1 AS person_version, "$created" AS created_at, false AS is_deleted
        FROM p"""
    return [_copy(con, sql, out / "posthog" / "persons.jsonl", "FORMAT JSON")]


def _kv(key: str, value: str) -> str:
    return (
        f"{{'key': '{key}', 'value': {{'string_value': ({value})::VARCHAR, 'int_value': NULL::BIGINT, "
        "'float_value': NULL::DOUBLE, 'double_value': NULL::DOUBLE}}"
    )


def ga4(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """BigQuery ``events_YYYYMMDD`` rows as NDJSON (nested ``event_params`` key/value records)."""
    con = _con(_people(_event_people(rows), seed, needles))
    params = ", ".join(
        [
            _kv("page_location", "url"),
            _kv("page_referrer", "nullif(\"$initial_referrer\", '$direct')"),
            _kv("page_title", "ev"),
            _kv("language", "'en-us'"),
            _kv("ga_session_id", f"{T0} + i"),
            _kv("notes", "notes"),
        ]
    )
    sql = _events_sql(
        rows,
        f"""strftime(make_timestamp(t * 1000000), '%Y%m%d') AS event_date, t * 1000000 AS event_timestamp,
        lower(replace(ev, ' ', '_')) AS event_name, [{params}] AS event_params,
        user_id, (i * 7919 % 1000000000)::VARCHAR || '.' || ({T0} + i)::VARCHAR AS user_pseudo_id,
        [{_kv("org_id", "org_id")}] AS user_properties,
        {{'category': 'desktop', 'operating_system': "$os",
          'web_info': {{'browser': "$browser", 'browser_version': "$browser_version"}}}} AS device,
        {{'country': mp_country_code, 'region': "$region", 'city': "$city", 'metro': '(not set)'}} AS geo,
        {{'name': '(direct)', 'medium': '(none)', 'source': '(direct)'}} AS traffic_source,
        '1234567890' AS stream_id, 'WEB' AS platform""",
    )
    return [_copy(con, sql, out / "ga4" / "events_20251109.jsonl", "FORMAT JSON")]


def heap(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    con = _con(_people(rows, seed, needles))
    sql = """SELECT 8730923476210000 + i AS user_id, "$email" AS identity, "$created" AS joindate,
        "$last_seen" AS last_modified, "$email" AS email,
        ['192.0.2.', '198.51.100.', '203.0.113.'][1 + i % 3] || (i % 254 + 1)::VARCHAR AS initial_ip,
        "$city" AS initial_city, mp_country_code AS initial_country, "$region" AS initial_region,
        "$initial_referrer" AS initial_referrer, "$browser" AS initial_browser, notes FROM p"""
    return [_copy(con, sql, out / "heap" / "users.csv", "HEADER")]


_HEAP_AVRO_TYPES = {"user_id": "long", "joindate": "timestamp-millis", "last_modified": "timestamp-millis"}


def heap_avro(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """Heap Connect's S3 delivery: the users table as an Avro file (deflate blocks) in a dump folder.

    Timestamps are ``timestamp-millis`` longs; the other columns nullable strings. Rows stream
    from DuckDB in Arrow batches into fastavro's block writer.
    """
    con = _con(_people(rows, seed, needles))
    sql = """SELECT 8730923476210000 + i AS user_id, "$email" AS identity,
        "$created"::TIMESTAMPTZ AS joindate, "$last_seen"::TIMESTAMPTZ AS last_modified, "$email" AS email,
        ['192.0.2.', '198.51.100.', '203.0.113.'][1 + i % 3] || (i % 254 + 1)::VARCHAR AS initial_ip,
        "$city" AS initial_city, mp_country_code AS initial_country, "$region" AS initial_region,
        "$initial_referrer" AS initial_referrer, "$browser" AS initial_browser, notes FROM p ORDER BY i"""
    reader = con.sql(sql).to_arrow_reader(CHUNK_PEOPLE)
    fields: list[dict[str, Any]] = []
    for name in reader.schema.names:
        kind = _HEAP_AVRO_TYPES.get(name, "string")
        typ: Any = {"type": "long", "logicalType": kind} if kind.startswith("timestamp") else kind
        fields.append({"name": name, "type": ["null", typ]})
    schema = fastavro.parse_schema({"type": "record", "name": "users", "namespace": "heap", "fields": fields})
    records = (r for batch in reader for r in batch.to_pylist())
    path = out / "heap" / "sync_1001" / "users" / "part-00000.avro"
    with open_private(path, "wb") as f:
        fastavro.writer(f, schema, records, codec="deflate", sync_marker=b"heap-synth-sync!")
    return [path]


def intercom(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    """A contacts list response ``{"type": "list", "data": [...], "total_count"}``."""
    con = _con(_people(rows, seed, needles))
    sql = """SELECT 'list' AS type, list({'type': 'contact', 'id': md5(user_id)[1:24], 'external_id': user_id,
        'role': 'user', 'email': "$email", 'name': "$name",
        'signed_up_at': epoch("$created"::TIMESTAMP)::BIGINT,
        'last_seen_at': epoch("$last_seen"::TIMESTAMP)::BIGINT, 'browser': lower("$browser"), 'os': "$os",
        'location': {'type': 'location', 'country': mp_country_code, 'region': "$region", 'city': "$city"},
        'custom_attributes': {'org_id': org_id, 'notes': notes}} ORDER BY i) AS data,
        count(*) AS total_count FROM p"""
    return [_copy(con, sql, out / "intercom" / "contacts.json", "FORMAT JSON")]


def customerio(out: Path, rows: int, seed: int = 0, needles: bool = False) -> list[Path]:
    con = _con(_people(rows, seed, needles))
    sql = """SELECT md5(user_id)[1:16] AS cio_id, user_id AS id, "$email" AS email,
        epoch("$created"::TIMESTAMP)::BIGINT AS created_at, false AS unsubscribed, "$name" AS name,
        org_id, notes FROM p"""
    return [_copy(con, sql, out / "customerio" / "customers.csv", "HEADER")]


WRITERS: dict[str, Callable[..., list[Path]]] = {
    "mixpanel-events": mixpanel_events,
    "mixpanel-people": mixpanel_people,
    "mixpanel-csv": mixpanel_csv,
    "mixpanel-pipeline": mixpanel_pipeline,
    "mixpanel-warehouse": mixpanel_warehouse,
    "segment-batch": segment_batch,
    "segment-s3": segment_s3,
    "segment-warehouse": segment_warehouse,
    "amplitude-zip": amplitude_zip,
    "posthog-events": posthog_events,
    "posthog-parquet": posthog_parquet,
    "posthog-persons": posthog_persons,
    "ga4": ga4,
    "heap": heap,
    "heap-avro": heap_avro,
    "intercom": intercom,
    "customerio": customerio,
}
