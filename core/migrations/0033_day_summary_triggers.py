"""The dashboard's statement triggers, rewritten (core/day_summary.py, ``triggers_sql()``;
the text is copied: a migration does not import code that may change). Cheaper than 0028's
bodies: they return at once when the statement changed nothing that counts (an empty
transition table, an UPDATE whose counted columns are unchanged as a multiset, a referral
neither converted nor holding orders), and read ``parrain_referral`` and ``parrain_order``
by key (``= ANY(ARRAY(…))``, one index probe a row) where a join or ``IN (SELECT …)``
scanned the table for a one-row transition table. One fix: a referral cancelled (restored,
opened after its order) moves its orders out of (into) the referred revenue only, where
0028's bodies moved the revenue too; the summary is rebuilt for every program. Going back
installs 0028's bodies again."""

import importlib

from django.db import migrations

TRIGGERS_SQL = r"""
CREATE OR REPLACE FUNCTION parrain_day_delta_invitation_insert() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  WITH changes AS (SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent, 1 AS s FROM new_rows),
changes_days AS (SELECT x.*, p.time_zone AS tz, (x.issued_at AT TIME ZONE p.time_zone)::date AS day FROM changes x JOIN parrain_program p ON p.id = x.program_id WHERE x.issued_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, sum(s), 0, 0, 0 FROM changes_days GROUP BY 1, 2 HAVING sum(s) <> 0)
INSERT INTO parrain_dayfirsts_delta (program_id, day, gap, referrers, referees,
  referees_converted, referees_consented, referees_answered)
SELECT program_id, day, gap, sum(r), sum(e), sum(c), sum(y), sum(a) FROM (
  SELECT program_id, day, LEAST(366, day - (prev_referrer_at AT TIME ZONE tz)::date) AS gap,
         s AS r, 0 AS e, 0 AS c, 0 AS y, 0 AS a
  FROM changes_days
  UNION ALL
  SELECT program_id, day, LEAST(366, day - (prev_referee_at AT TIME ZONE tz)::date), 0, s,
         s * referee_converted::int, s * (referee_consent IS TRUE)::int,
         s * (referee_consent IS NOT NULL)::int
  FROM changes_days
) per_gap
GROUP BY 1, 2, 3
HAVING sum(r) <> 0 OR sum(e) <> 0 OR sum(c) <> 0 OR sum(y) <> 0 OR sum(a) <> 0;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_invitation_insert ON "parrain_invitation";
CREATE TRIGGER parrain_day_invitation_insert AFTER INSERT ON "parrain_invitation"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_invitation_insert();

CREATE OR REPLACE FUNCTION parrain_day_delta_invitation_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
    RETURN NULL;
  END IF;
  WITH changes AS (SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent, -1 AS s FROM old_rows),
changes_days AS (SELECT x.*, p.time_zone AS tz, (x.issued_at AT TIME ZONE p.time_zone)::date AS day FROM changes x JOIN parrain_program p ON p.id = x.program_id WHERE x.issued_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, sum(s), 0, 0, 0 FROM changes_days GROUP BY 1, 2 HAVING sum(s) <> 0)
INSERT INTO parrain_dayfirsts_delta (program_id, day, gap, referrers, referees,
  referees_converted, referees_consented, referees_answered)
SELECT program_id, day, gap, sum(r), sum(e), sum(c), sum(y), sum(a) FROM (
  SELECT program_id, day, LEAST(366, day - (prev_referrer_at AT TIME ZONE tz)::date) AS gap,
         s AS r, 0 AS e, 0 AS c, 0 AS y, 0 AS a
  FROM changes_days
  UNION ALL
  SELECT program_id, day, LEAST(366, day - (prev_referee_at AT TIME ZONE tz)::date), 0, s,
         s * referee_converted::int, s * (referee_consent IS TRUE)::int,
         s * (referee_consent IS NOT NULL)::int
  FROM changes_days
) per_gap
GROUP BY 1, 2, 3
HAVING sum(r) <> 0 OR sum(e) <> 0 OR sum(c) <> 0 OR sum(y) <> 0 OR sum(a) <> 0;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_invitation_delete ON "parrain_invitation";
CREATE TRIGGER parrain_day_invitation_delete AFTER DELETE ON "parrain_invitation"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_invitation_delete();

CREATE OR REPLACE FUNCTION parrain_day_delta_invitation_update() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS ((SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent FROM new_rows EXCEPT ALL SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent FROM old_rows) UNION ALL (SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent FROM old_rows EXCEPT ALL SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent FROM new_rows)) THEN
    RETURN NULL;
  END IF;
  WITH changes AS (SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent, 1 AS s FROM new_rows UNION ALL SELECT program_id, issued_at, prev_referrer_at, prev_referee_at, referee_converted, referee_consent, -1 AS s FROM old_rows),
changes_days AS (SELECT x.*, p.time_zone AS tz, (x.issued_at AT TIME ZONE p.time_zone)::date AS day FROM changes x JOIN parrain_program p ON p.id = x.program_id WHERE x.issued_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, sum(s), 0, 0, 0 FROM changes_days GROUP BY 1, 2 HAVING sum(s) <> 0)
INSERT INTO parrain_dayfirsts_delta (program_id, day, gap, referrers, referees,
  referees_converted, referees_consented, referees_answered)
SELECT program_id, day, gap, sum(r), sum(e), sum(c), sum(y), sum(a) FROM (
  SELECT program_id, day, LEAST(366, day - (prev_referrer_at AT TIME ZONE tz)::date) AS gap,
         s AS r, 0 AS e, 0 AS c, 0 AS y, 0 AS a
  FROM changes_days
  UNION ALL
  SELECT program_id, day, LEAST(366, day - (prev_referee_at AT TIME ZONE tz)::date), 0, s,
         s * referee_converted::int, s * (referee_consent IS TRUE)::int,
         s * (referee_consent IS NOT NULL)::int
  FROM changes_days
) per_gap
GROUP BY 1, 2, 3
HAVING sum(r) <> 0 OR sum(e) <> 0 OR sum(c) <> 0 OR sum(y) <> 0 OR sum(a) <> 0;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_invitation_update ON "parrain_invitation";
CREATE TRIGGER parrain_day_invitation_update AFTER UPDATE ON "parrain_invitation"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_invitation_update();

CREATE OR REPLACE FUNCTION parrain_day_delta_referral_insert() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows WHERE converted_at IS NOT NULL AND status IN ('converted', 'validated', 'rewarded')) THEN
  WITH changes AS (SELECT program_id, converted_at, status, 1 AS s FROM new_rows),
changes_days AS (SELECT x.*, p.time_zone AS tz, (x.converted_at AT TIME ZONE p.time_zone)::date AS day FROM changes x JOIN parrain_program p ON p.id = x.program_id WHERE x.converted_at IS NOT NULL)
INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, sum(s), 0, 0 FROM changes_days
WHERE status IN ('converted', 'validated', 'rewarded')
GROUP BY 1, 2 HAVING sum(s) <> 0;
  END IF;
  IF EXISTS (SELECT 1 FROM (SELECT id FROM new_rows WHERE status <> 'cancelled') m WHERE (SELECT o.id FROM parrain_order o WHERE o.referral_id = m.id LIMIT 1) IS NOT NULL) THEN
  WITH changed AS (SELECT id, (status <> 'cancelled')::int AS s FROM new_rows),
orders AS (SELECT o.program_id, o.placed_at, o.amount, o.refunded_amount, o.channel, c.s, 1 AS live FROM parrain_order o JOIN changed c ON c.id = o.referral_id WHERE o.referral_id = ANY(ARRAY(SELECT id FROM changed WHERE s <> 0))),
orders_days AS (SELECT x.*, p.time_zone AS tz, (x.placed_at AT TIME ZONE p.time_zone)::date AS day FROM orders x JOIN parrain_program p ON p.id = x.program_id WHERE x.placed_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, 0, sum(s * (amount - refunded_amount))
FROM orders_days GROUP BY 1, 2 HAVING sum(s * (amount - refunded_amount)) <> 0)
INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM orders_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0;
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_referral_insert ON "parrain_referral";
CREATE TRIGGER parrain_day_referral_insert AFTER INSERT ON "parrain_referral"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_referral_insert();

CREATE OR REPLACE FUNCTION parrain_day_delta_referral_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM old_rows WHERE converted_at IS NOT NULL AND status IN ('converted', 'validated', 'rewarded')) THEN
  WITH changes AS (SELECT program_id, converted_at, status, -1 AS s FROM old_rows),
changes_days AS (SELECT x.*, p.time_zone AS tz, (x.converted_at AT TIME ZONE p.time_zone)::date AS day FROM changes x JOIN parrain_program p ON p.id = x.program_id WHERE x.converted_at IS NOT NULL)
INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, sum(s), 0, 0 FROM changes_days
WHERE status IN ('converted', 'validated', 'rewarded')
GROUP BY 1, 2 HAVING sum(s) <> 0;
  END IF;
  IF EXISTS (SELECT 1 FROM (SELECT id FROM old_rows WHERE status <> 'cancelled') m WHERE (SELECT o.id FROM parrain_order o WHERE o.referral_id = m.id LIMIT 1) IS NOT NULL) THEN
  WITH changed AS (SELECT id, -(status <> 'cancelled')::int AS s FROM old_rows),
orders AS (SELECT o.program_id, o.placed_at, o.amount, o.refunded_amount, o.channel, c.s, 1 AS live FROM parrain_order o JOIN changed c ON c.id = o.referral_id WHERE o.referral_id = ANY(ARRAY(SELECT id FROM changed WHERE s <> 0))),
orders_days AS (SELECT x.*, p.time_zone AS tz, (x.placed_at AT TIME ZONE p.time_zone)::date AS day FROM orders x JOIN parrain_program p ON p.id = x.program_id WHERE x.placed_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, 0, sum(s * (amount - refunded_amount))
FROM orders_days GROUP BY 1, 2 HAVING sum(s * (amount - refunded_amount)) <> 0)
INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM orders_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0;
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_referral_delete ON "parrain_referral";
CREATE TRIGGER parrain_day_referral_delete AFTER DELETE ON "parrain_referral"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_referral_delete();

CREATE OR REPLACE FUNCTION parrain_day_delta_referral_update() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS ((SELECT id, program_id, converted_at, status FROM new_rows EXCEPT ALL SELECT id, program_id, converted_at, status FROM old_rows) UNION ALL (SELECT id, program_id, converted_at, status FROM old_rows EXCEPT ALL SELECT id, program_id, converted_at, status FROM new_rows)) THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM new_rows WHERE converted_at IS NOT NULL AND status IN ('converted', 'validated', 'rewarded') UNION ALL SELECT 1 FROM old_rows WHERE converted_at IS NOT NULL AND status IN ('converted', 'validated', 'rewarded')) THEN
  WITH changes AS (SELECT program_id, converted_at, status, 1 AS s FROM new_rows UNION ALL SELECT program_id, converted_at, status, -1 AS s FROM old_rows),
changes_days AS (SELECT x.*, p.time_zone AS tz, (x.converted_at AT TIME ZONE p.time_zone)::date AS day FROM changes x JOIN parrain_program p ON p.id = x.program_id WHERE x.converted_at IS NOT NULL)
INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, sum(s), 0, 0 FROM changes_days
WHERE status IN ('converted', 'validated', 'rewarded')
GROUP BY 1, 2 HAVING sum(s) <> 0;
  END IF;
  IF EXISTS (SELECT 1 FROM (SELECT n.id FROM new_rows n JOIN old_rows w ON w.id = n.id WHERE (n.status <> 'cancelled') <> (w.status <> 'cancelled')) m WHERE (SELECT o.id FROM parrain_order o WHERE o.referral_id = m.id LIMIT 1) IS NOT NULL) THEN
  WITH changed AS (SELECT n.id, (n.status <> 'cancelled')::int - (w.status <> 'cancelled')::int AS s FROM new_rows n JOIN old_rows w ON w.id = n.id WHERE n.status IS DISTINCT FROM w.status),
orders AS (SELECT o.program_id, o.placed_at, o.amount, o.refunded_amount, o.channel, c.s, 1 AS live FROM parrain_order o JOIN changed c ON c.id = o.referral_id WHERE o.referral_id = ANY(ARRAY(SELECT id FROM changed WHERE s <> 0))),
orders_days AS (SELECT x.*, p.time_zone AS tz, (x.placed_at AT TIME ZONE p.time_zone)::date AS day FROM orders x JOIN parrain_program p ON p.id = x.program_id WHERE x.placed_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, 0, sum(s * (amount - refunded_amount))
FROM orders_days GROUP BY 1, 2 HAVING sum(s * (amount - refunded_amount)) <> 0)
INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM orders_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0;
  END IF;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_referral_update ON "parrain_referral";
CREATE TRIGGER parrain_day_referral_update AFTER UPDATE ON "parrain_referral"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_referral_update();

CREATE OR REPLACE FUNCTION parrain_day_delta_order_insert() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  PERFORM (SELECT 1 FROM parrain_referral r WHERE r.id = x.id FOR SHARE) FROM (SELECT referral_id AS id FROM new_rows ORDER BY 1) x WHERE x.id IS NOT NULL;
  WITH orders AS (SELECT o.*, coalesce((SELECT (r.status <> 'cancelled')::int FROM parrain_referral r WHERE r.id = o.referral_id), 0) AS live FROM (SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel, 1 AS s FROM new_rows) o),
orders_days AS (SELECT x.*, p.time_zone AS tz, (x.placed_at AT TIME ZONE p.time_zone)::date AS day FROM orders x JOIN parrain_program p ON p.id = x.program_id WHERE x.placed_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, sum(s * (amount - refunded_amount)),
       sum(s * live * (amount - refunded_amount))
FROM orders_days GROUP BY 1, 2
HAVING sum(s * (amount - refunded_amount)) <> 0 OR sum(s * live * (amount - refunded_amount)) <> 0
    OR sum(s) <> 0)
INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM orders_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_order_insert ON "parrain_order";
CREATE TRIGGER parrain_day_order_insert AFTER INSERT ON "parrain_order"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_order_insert();

CREATE OR REPLACE FUNCTION parrain_day_delta_order_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM old_rows) THEN
    RETURN NULL;
  END IF;
  PERFORM (SELECT 1 FROM parrain_referral r WHERE r.id = x.id FOR SHARE) FROM (SELECT referral_id AS id FROM old_rows ORDER BY 1) x WHERE x.id IS NOT NULL;
  WITH orders AS (SELECT o.*, coalesce((SELECT (r.status <> 'cancelled')::int FROM parrain_referral r WHERE r.id = o.referral_id), 0) AS live FROM (SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel, -1 AS s FROM old_rows) o),
orders_days AS (SELECT x.*, p.time_zone AS tz, (x.placed_at AT TIME ZONE p.time_zone)::date AS day FROM orders x JOIN parrain_program p ON p.id = x.program_id WHERE x.placed_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, sum(s * (amount - refunded_amount)),
       sum(s * live * (amount - refunded_amount))
FROM orders_days GROUP BY 1, 2
HAVING sum(s * (amount - refunded_amount)) <> 0 OR sum(s * live * (amount - refunded_amount)) <> 0
    OR sum(s) <> 0)
INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM orders_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_order_delete ON "parrain_order";
CREATE TRIGGER parrain_day_order_delete AFTER DELETE ON "parrain_order"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_order_delete();

CREATE OR REPLACE FUNCTION parrain_day_delta_order_update() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS ((SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel FROM new_rows EXCEPT ALL SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel FROM old_rows) UNION ALL (SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel FROM old_rows EXCEPT ALL SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel FROM new_rows)) THEN
    RETURN NULL;
  END IF;
  PERFORM (SELECT 1 FROM parrain_referral r WHERE r.id = x.id FOR SHARE) FROM (SELECT referral_id AS id FROM new_rows UNION SELECT referral_id FROM old_rows ORDER BY 1) x WHERE x.id IS NOT NULL;
  WITH orders AS (SELECT o.*, coalesce((SELECT (r.status <> 'cancelled')::int FROM parrain_referral r WHERE r.id = o.referral_id), 0) AS live FROM (SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel, 1 AS s FROM new_rows UNION ALL SELECT program_id, placed_at, amount, refunded_amount, referral_id, channel, -1 AS s FROM old_rows) o),
orders_days AS (SELECT x.*, p.time_zone AS tz, (x.placed_at AT TIME ZONE p.time_zone)::date AS day FROM orders x JOIN parrain_program p ON p.id = x.program_id WHERE x.placed_at IS NOT NULL),
part_0 AS (INSERT INTO parrain_daysummary_delta
  (program_id, day, invitations, converted, revenue, referred)
SELECT program_id, day, 0, 0, sum(s * (amount - refunded_amount)),
       sum(s * live * (amount - refunded_amount))
FROM orders_days GROUP BY 1, 2
HAVING sum(s * (amount - refunded_amount)) <> 0 OR sum(s * live * (amount - refunded_amount)) <> 0
    OR sum(s) <> 0)
INSERT INTO parrain_daychannel_delta (program_id, day, channel, orders, revenue)
SELECT program_id, day, channel, sum(s), sum(s * (amount - refunded_amount))
FROM orders_days WHERE live = 1 GROUP BY 1, 2, 3
HAVING sum(s) <> 0 OR sum(s * (amount - refunded_amount)) <> 0;
  RETURN NULL;
END
$fn$;
DROP TRIGGER IF EXISTS parrain_day_order_update ON "parrain_order";
CREATE TRIGGER parrain_day_order_update AFTER UPDATE ON "parrain_order"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
EXECUTE FUNCTION parrain_day_delta_order_update();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(TRIGGERS_SQL)
        cursor.execute("SELECT parrain_day_rebuild(id) FROM parrain_program ORDER BY id")


def reinstall_0028(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    previous = importlib.import_module(".0028_day_summary", __package__)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(previous.INSTALL_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("parrain", "0032_contact_import_digest"),
    ]

    operations = [migrations.RunPython(install, reinstall_0028)]
