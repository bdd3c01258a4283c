-- COUNTIFS / SUMIFS criteria on PostgreSQL; the Python twins and the rules are in
-- tessera/formula/excel/criteria.py. Uses tx_to_number (10_numbers.sql), tx_to_datetime and
-- tx_date_to_serial (25_dates.sql). These functions never fail: NULL value = blank, NULL
-- criterion = "". No percent signs in this file (psycopg placeholders).

-- Lower-case ASCII letters only (what SQLite's lower() and Python's ascii_lower do).
CREATE OR REPLACE FUNCTION tx__ascii_lower(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT translate(s, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
$fn$;

-- Whole-text, ASCII case-insensitive match with Excel's * ? and ~ wildcards.
CREATE OR REPLACE FUNCTION tx__wildcard_match(t text, pattern text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  p text := tx__ascii_lower(pattern);
  re text := '';
  ch text;
  i integer := 1;
  n integer := length(p);
BEGIN
  WHILE i <= n LOOP
    ch := substr(p, i, 1);
    IF ch = '~' AND i < n AND position(substr(p, i + 1, 1) IN '*?~') > 0 THEN
      re := re || '\' || substr(p, i + 1, 1);
      i := i + 2;
      CONTINUE;
    END IF;
    IF ch = '*' THEN
      re := re || '.*';
    ELSIF ch = '?' THEN
      re := re || '.';
    ELSIF position(ch IN '\^$.|?*+()[]{}') > 0 THEN
      re := re || '\' || ch;
    ELSE
      re := re || ch;
    END IF;
    i := i + 1;
  END LOOP;
  RETURN tx__ascii_lower(t) ~ ('^(?:' || re || ')$');
END
$fn$;

-- The core: does a value of kind blank | number | boolean | text (dates arrive as their
-- serial, kind number) meet the criterion c?
CREATE OR REPLACE FUNCTION tx__crit(kind text, num double precision, txt text, flag boolean,
                                    c text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
  op text := '=';
  operand text := coalesce(c, '');
  o_num double precision;
  o_kind text;
  o_flag boolean;
  equal boolean;
  a text;
  b text;
BEGIN
  IF left(operand, 2) IN ('>=', '<=', '<>') THEN
    op := left(operand, 2);
    operand := substr(operand, 3);
  ELSIF left(operand, 1) IN ('=', '<', '>') THEN
    op := left(operand, 1);
    operand := substr(operand, 2);
  END IF;
  IF operand = '' AND op IN ('=', '<>') THEN
    RETURN (kind = 'blank') = (op = '=');
  END IF;
  o_num := tx_to_number(operand);
  IF o_num IS NOT NULL THEN
    o_kind := 'number';
  ELSE
    o_num := tx_date_to_serial(tx_to_datetime(operand));
    IF o_num IS NOT NULL THEN
      o_kind := 'date';
    ELSIF tx__ascii_lower(operand) IN ('true', 'false') THEN
      o_kind := 'boolean';
      o_flag := tx__ascii_lower(operand) = 'true';
    ELSE
      o_kind := 'text';
    END IF;
  END IF;
  IF op IN ('=', '<>') THEN
    IF kind = 'text' THEN
      IF position('*' IN operand) > 0 OR position('?' IN operand) > 0
         OR position('~' IN operand) > 0 THEN
        equal := tx__wildcard_match(txt, operand);
      ELSE
        equal := tx__ascii_lower(txt) = tx__ascii_lower(operand);
      END IF;
    ELSIF kind = 'number' THEN
      equal := o_num IS NOT NULL AND num = o_num;
    ELSIF kind = 'boolean' THEN
      equal := o_kind = 'boolean' AND flag = o_flag;
    ELSE
      equal := false;
    END IF;
    RETURN equal = (op = '=');
  END IF;
  IF o_num IS NOT NULL THEN
    IF kind <> 'number' THEN
      RETURN false;
    END IF;
    RETURN CASE op WHEN '<' THEN num < o_num WHEN '<=' THEN num <= o_num
                   WHEN '>' THEN num > o_num ELSE num >= o_num END;
  END IF;
  IF o_kind = 'boolean' THEN
    IF kind <> 'boolean' THEN
      RETURN false;
    END IF;
    RETURN CASE op WHEN '<' THEN flag < o_flag WHEN '<=' THEN flag <= o_flag
                   WHEN '>' THEN flag > o_flag ELSE flag >= o_flag END;
  END IF;
  IF kind <> 'text' THEN
    RETURN false;
  END IF;
  a := tx__ascii_lower(txt) COLLATE "C";
  b := tx__ascii_lower(operand) COLLATE "C";
  RETURN CASE op WHEN '<' THEN a COLLATE "C" < b COLLATE "C"
                 WHEN '<=' THEN a COLLATE "C" <= b COLLATE "C"
                 WHEN '>' THEN a COLLATE "C" > b COLLATE "C"
                 ELSE a COLLATE "C" >= b COLLATE "C" END;
END
$fn$;

-- Does a number meet the criterion? NULL value = blank.
CREATE OR REPLACE FUNCTION tx_crit_num(v double precision, c text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT tx__crit(CASE WHEN v IS NULL THEN 'blank' ELSE 'number' END, v, NULL, NULL, c)
$fn$;

-- Does a text meet the criterion? NULL and '' are blank.
CREATE OR REPLACE FUNCTION tx_crit_text(v text, c text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT tx__crit(CASE WHEN v IS NULL OR v = '' THEN 'blank' ELSE 'text' END, NULL, v, NULL, c)
$fn$;

-- Does a date meet the criterion (compared through its serial)? NULL value = blank.
CREATE OR REPLACE FUNCTION tx_crit_date(v date, c text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT tx__crit(CASE WHEN v IS NULL THEN 'blank' ELSE 'number' END, tx_date_to_serial(v),
                  NULL, NULL, c)
$fn$;

-- Does a datetime meet the criterion (compared through its serial)? NULL value = blank.
CREATE OR REPLACE FUNCTION tx_crit_ts(v timestamp, c text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT tx__crit(CASE WHEN v IS NULL THEN 'blank' ELSE 'number' END, tx_date_to_serial(v),
                  NULL, NULL, c)
$fn$;

-- Does a boolean meet the criterion? NULL value = blank.
CREATE OR REPLACE FUNCTION tx_crit_bool(v boolean, c text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  SELECT tx__crit(CASE WHEN v IS NULL THEN 'blank' ELSE 'boolean' END, NULL, NULL, v, c)
$fn$;
