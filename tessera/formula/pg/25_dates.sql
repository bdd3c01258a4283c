-- Excel date primitives on PostgreSQL; the Python twins and the rules (1899-12-30 epoch,
-- supported range 1899-12-30..9999-12-31, year-first text) are in
-- tessera/formula/excel/dates.py. NULL out = the Excel error named in the comment.
-- No percent signs in this file (psycopg placeholders): mod() stands for the operator.

-- A date argument: NULL (#NUM!) outside 1899-12-30..9999-12-31.
CREATE OR REPLACE FUNCTION tx__date_arg(d date) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN d BETWEEN DATE '1899-12-30' AND DATE '9999-12-31' THEN d END
$fn$;

-- Truncation toward zero of a double argument, exact; NULL (#NUM!) for NaN, infinities and
-- magnitudes from 2^53 on (no date can come of them).
CREATE OR REPLACE FUNCTION tx__trunc_arg(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN x IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8)
                   OR abs(x) >= 9007199254740992 THEN NULL
              ELSE trunc(x)::bigint::numeric END
$fn$;

-- The date of a serial counted in whole days; NULL (#NUM!) outside 0..2958465.
CREATE OR REPLACE FUNCTION tx__serial_date(n numeric) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN n BETWEEN 0 AND 2958465 THEN DATE '1899-12-30' + n::integer END
$fn$;

-- Floor division of integers held in numerics (exact for any magnitude).
CREATE OR REPLACE FUNCTION tx__floor_div(a numeric, b integer) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT div(a, b) - CASE WHEN a < 0 AND mod(a, b) <> 0 THEN 1 ELSE 0 END
$fn$;

-- Days since 1970-01-01 of a proleptic Gregorian date, for any integer year.
CREATE OR REPLACE FUNCTION tx__days_from_civil(y numeric, m integer, d integer) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  yy numeric := y - CASE WHEN m <= 2 THEN 1 ELSE 0 END;
  era numeric;
  yoe integer;
  doy integer;
  doe integer;
BEGIN
  era := tx__floor_div(yy, 400);
  yoe := (yy - era * 400)::integer;
  doy := (153 * mod(m + 9, 12) + 2) / 5 + d - 1;
  doe := yoe * 365 + yoe / 4 - yoe / 100 + doy;
  RETURN era * 146097 + doe - 719468;
END
$fn$;

-- Year-first date text -> timestamp (a date alone gives midnight). NULL = #VALUE!.
CREATE OR REPLACE FUNCTION tx_to_datetime(s text) RETURNS timestamp
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  m text[];
  y integer;
  mo integer;
  d integer;
  h integer;
  mi integer;
  sec integer;
  micro integer;
  t text[];
BEGIN
  m := regexp_match(s,
    '^ *(?:([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})'
    || '(?:(?: +|T)([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9]{1,6}))?)?)?'
    || '|([0-9]{4})年 *([0-9]{1,2}) *月 *([0-9]{1,2}) *日'
    || '(?: *([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:[.]([0-9]{1,6}))?)?)?) *$');
  IF m IS NULL THEN
    RETURN NULL;
  END IF;
  IF m[1] IS NOT NULL THEN
    y := m[1]::integer; mo := m[3]::integer; d := m[4]::integer; t := m[5:8];
  ELSE
    y := m[9]::integer; mo := m[10]::integer; d := m[11]::integer; t := m[12:15];
  END IF;
  IF y < 1900 OR mo < 1 OR mo > 12 OR d < 1 THEN
    RETURN NULL;
  END IF;
  IF d > extract(day FROM make_date(y, mo, 1) + interval '1 month' - interval '1 day') THEN
    RETURN NULL;
  END IF;
  IF t[1] IS NULL THEN
    RETURN make_date(y, mo, d)::timestamp;
  END IF;
  h := t[1]::integer; mi := t[2]::integer; sec := coalesce(t[3], '0')::integer;
  micro := rpad(coalesce(t[4], ''), 6, '0')::integer;
  IF h > 23 OR mi > 59 OR sec > 59 THEN
    RETURN NULL;
  END IF;
  RETURN make_date(y, mo, d)::timestamp
    + make_interval(hours => h, mins => mi) + micro * interval '1 microsecond'
    + sec * interval '1 second';
END
$fn$;

-- Year-first date text -> date (a time of day is dropped). NULL = #VALUE!.
CREATE OR REPLACE FUNCTION tx_to_date(s text) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT tx_to_datetime(s)::date
$fn$;

-- Serial -> date (fraction dropped). NULL = #NUM! (outside 0..2958465).
CREATE OR REPLACE FUNCTION tx_serial_to_date(n double precision) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN n >= 0 AND n < 2958466 THEN DATE '1899-12-30' + floor(n)::integer END
$fn$;

-- Serial -> timestamp rounded to the nearest second. NULL = #NUM! (out of range).
CREATE OR REPLACE FUNCTION tx_serial_to_datetime(n double precision) RETURNS timestamp
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN n >= 0 AND n < 2958466 AND floor(n * 86400 + 0.5) <= 2958466::float8 * 86400 - 1
    THEN TIMESTAMP '1899-12-30 00:00:00' + floor(n * 86400 + 0.5)::bigint * interval '1 second'
  END
$fn$;

-- Date -> serial.
CREATE OR REPLACE FUNCTION tx_date_to_serial(d date) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT (d - DATE '1899-12-30')::float8
$fn$;

-- Timestamp -> serial, whole seconds: (days * 86400 + seconds) / 86400.
CREATE OR REPLACE FUNCTION tx_date_to_serial(ts timestamp) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT floor(extract(epoch FROM ts - TIMESTAMP '1899-12-30 00:00:00'))::float8 / 86400
$fn$;

-- Excel DATE with month/day overflow; years 0..1899 add 1900. NULL = #NUM!.
CREATE OR REPLACE FUNCTION tx_date(year double precision, month double precision,
                                   day double precision) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  y numeric := tx__trunc_arg(year);
  m numeric := tx__trunc_arg(month);
  d numeric := tx__trunc_arg(day);
  months numeric;
  years numeric;
BEGIN
  IF y IS NULL OR m IS NULL OR d IS NULL OR y < 0 OR y >= 10000 THEN
    RETURN NULL;
  END IF;
  IF y < 1900 THEN
    y := y + 1900;
  END IF;
  months := y * 12 + m - 1;
  years := tx__floor_div(months, 12);
  RETURN tx__serial_date(tx__days_from_civil(years, (months - years * 12)::integer + 1, 1)
                         - tx__days_from_civil(1899, 12, 30) + d - 1);
END
$fn$;

-- First day of the month `months` (truncated) after d's month; NULL when out of range.
CREATE OR REPLACE FUNCTION tx__shift_month(d date, months double precision) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  total numeric;
  years numeric;
BEGIN
  IF months IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8) OR abs(months) > 1e6 THEN
    RETURN NULL;
  END IF;
  total := extract(year FROM d) * 12 + extract(month FROM d) - 1 + trunc(months)::integer;
  years := tx__floor_div(total, 12);
  IF years < 1899 OR years > 9999 THEN
    RETURN NULL;
  END IF;
  RETURN make_date(years::integer, (total - years * 12)::integer + 1, 1);
END
$fn$;

-- Excel EDATE (day clamped to the month's end). NULL = #NUM!.
CREATE OR REPLACE FUNCTION tx_edate(d date, months double precision) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT tx__date_arg(least(m1 + (extract(day FROM tx__date_arg(d))::integer - 1),
                            (m1 + interval '1 month' - interval '1 day')::date))
  FROM (SELECT tx__shift_month(tx__date_arg(d), months) AS m1) s
$fn$;

-- Excel EOMONTH. NULL = #NUM!.
CREATE OR REPLACE FUNCTION tx_eomonth(d date, months double precision) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT tx__date_arg((tx__shift_month(tx__date_arg(d), months)
                       + interval '1 month' - interval '1 day')::date)
$fn$;

-- Excel DATEDIF (units Y M D YM YD MD, case-insensitive, MD/YD quirks as in dates.py).
-- NULL = #NUM! (start after end, unknown unit, date out of range).
CREATE OR REPLACE FUNCTION tx_datedif(d1 date, d2 date, unit text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  u text := upper(unit);
  y1 integer; m1 integer; a1 integer;
  y2 integer; m2 integer; a2 integer;
  months integer;
  other date;
BEGIN
  IF tx__date_arg(d1) IS NULL OR tx__date_arg(d2) IS NULL OR d1 > d2 THEN
    RETURN NULL;
  END IF;
  y1 := extract(year FROM d1); m1 := extract(month FROM d1); a1 := extract(day FROM d1);
  y2 := extract(year FROM d2); m2 := extract(month FROM d2); a2 := extract(day FROM d2);
  months := (y2 - y1) * 12 + m2 - m1 - CASE WHEN a2 < a1 THEN 1 ELSE 0 END;
  IF u = 'D' THEN
    RETURN d2 - d1;
  ELSIF u = 'M' THEN
    RETURN months;
  ELSIF u = 'Y' THEN
    RETURN floor(months / 12.0);
  ELSIF u = 'YM' THEN
    RETURN mod(months, 12);
  ELSIF u = 'MD' THEN
    IF a2 >= a1 THEN
      RETURN a2 - a1;
    END IF;
    other := tx_date(y2, m2 - 1, a1);
    RETURN d2 - other;
  ELSIF u = 'YD' THEN
    other := tx_date(CASE WHEN m2 > m1 OR (m2 = m1 AND a2 >= a1) THEN y1 ELSE y1 + 1 END, m2, a2);
    RETURN other - d1;
  END IF;
  RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION tx__is_leap(y integer) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT mod(y, 4) = 0 AND (mod(y, 100) <> 0 OR mod(y, 400) = 0)
$fn$;

CREATE OR REPLACE FUNCTION tx__last_of_feb(d date) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT extract(month FROM d) = 2 AND extract(month FROM d + 1) = 3
$fn$;

-- Excel YEARFRAC (bases 0-4, as in dates.py). NULL = #NUM! (basis outside 0-4).
CREATE OR REPLACE FUNCTION tx_yearfrac(d1 date, d2 date, basis double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  b numeric := tx__trunc_arg(basis);
  swap date;
  y1 integer; m1 integer; a1 integer;
  y2 integer; m2 integer; a2 integer;
  days integer;
  len float8;
  mar1 date;
BEGIN
  IF b IS NULL OR b < 0 OR b > 4 OR tx__date_arg(d1) IS NULL OR tx__date_arg(d2) IS NULL THEN
    RETURN NULL;
  END IF;
  IF d1 > d2 THEN
    swap := d1; d1 := d2; d2 := swap;
  END IF;
  y1 := extract(year FROM d1); m1 := extract(month FROM d1); a1 := extract(day FROM d1);
  y2 := extract(year FROM d2); m2 := extract(month FROM d2); a2 := extract(day FROM d2);
  days := d2 - d1;
  IF b = 0 THEN
    IF tx__last_of_feb(d1) AND tx__last_of_feb(d2) THEN
      a2 := 30;
    END IF;
    IF tx__last_of_feb(d1) THEN
      a1 := 30;
    END IF;
    IF a2 = 31 AND a1 >= 30 THEN
      a2 := 30;
    END IF;
    IF a1 = 31 THEN
      a1 := 30;
    END IF;
    RETURN ((a2 + m2 * 30 + y2 * 360) - (a1 + m1 * 30 + y1 * 360))::float8 / 360;
  ELSIF b = 1 THEN
    IF y1 = y2 OR (y1 + 1 = y2 AND (m1 > m2 OR (m1 = m2 AND a1 >= a2))) THEN
      IF y1 = y2 AND tx__is_leap(y1) THEN
        len := 366;
      ELSE
        len := 365;
        mar1 := make_date(y1, 3, 1);
        IF tx__is_leap(y1) AND d1 < mar1 AND d2 >= mar1 THEN
          len := 366;
        END IF;
        mar1 := make_date(y2, 3, 1);
        IF tx__is_leap(y2) AND d2 >= mar1 AND d1 < mar1 THEN
          len := 366;
        END IF;
        IF m2 = 2 AND a2 = 29 THEN
          len := 366;
        END IF;
      END IF;
      RETURN days::float8 / len;
    END IF;
    len := (tx__days_from_civil(y2 + 1, 1, 1) - tx__days_from_civil(y1, 1, 1))::float8
           / (y2 - y1 + 1)::float8;
    RETURN days::float8 / len;
  ELSIF b = 2 THEN
    RETURN days::float8 / 360;
  ELSIF b = 3 THEN
    RETURN days::float8 / 365;
  END IF;
  RETURN ((least(a2, 30) + m2 * 30 + y2 * 360) - (least(a1, 30) + m1 * 30 + y1 * 360))::float8
         / 360;
END
$fn$;

-- Mondays-to-Fridays from 1899-12-25 (a Monday) through d inclusive.
CREATE OR REPLACE FUNCTION tx__weekdays_through(d date) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT 5 * ((d - DATE '1899-12-25') / 7)::bigint + least(mod(d - DATE '1899-12-25', 7) + 1, 5)
$fn$;

-- Excel NETWORKDAYS without holidays (negative when d2 < d1). NULL = #NUM! (out of range).
CREATE OR REPLACE FUNCTION tx_networkdays(d1 date, d2 date) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN tx__date_arg(d1) IS NULL OR tx__date_arg(d2) IS NULL THEN NULL
    WHEN d2 < d1 THEN -(tx__weekdays_through(d1) - tx__weekdays_through(d2 - 1))::float8
    ELSE (tx__weekdays_through(d2) - tx__weekdays_through(d1 - 1))::float8
  END
$fn$;

-- Excel WORKDAY without holidays. NULL = #NUM! (out of range).
CREATE OR REPLACE FUNCTION tx_workday(d date, days double precision) RETURNS date
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  n bigint;
  target bigint;
BEGIN
  IF tx__date_arg(d) IS NULL OR days IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8)
     OR abs(days) > 1e7 THEN
    RETURN NULL;
  END IF;
  n := trunc(days)::bigint;
  IF n = 0 THEN
    RETURN d;
  ELSIF n > 0 THEN
    target := tx__weekdays_through(d) + n;
  ELSE
    target := tx__weekdays_through(d - 1) + n + 1;
  END IF;
  IF target < 1 THEN
    RETURN NULL;
  END IF;
  RETURN tx__serial_date((-5 + 7 * ((target - 1) / 5) + mod(target - 1, 5))::numeric);
END
$fn$;

-- Week-start day (0 Monday .. 6 Sunday) of a WEEKNUM return type; NULL for unknown types.
CREATE OR REPLACE FUNCTION tx__weeknum_start(t integer) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN t = 1 THEN 6 WHEN t = 2 THEN 0 WHEN t BETWEEN 11 AND 17 THEN t - 11 END
$fn$;

-- Excel WEEKNUM (types 1, 2, 11-17, 21 = ISO). NULL = #NUM! (another type).
CREATE OR REPLACE FUNCTION tx_weeknum(d date, return_type double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  t numeric := tx__trunc_arg(return_type);
  start integer;
  jan1 date;
BEGIN
  IF t IS NULL OR tx__date_arg(d) IS NULL OR abs(t) > 100 THEN
    RETURN NULL;
  END IF;
  IF t = 21 THEN
    RETURN extract(week FROM d);
  END IF;
  start := tx__weeknum_start(t::integer);
  IF start IS NULL THEN
    RETURN NULL;
  END IF;
  jan1 := make_date(extract(year FROM d)::integer, 1, 1);
  RETURN (d - jan1 + mod(extract(isodow FROM jan1)::integer - 1 - start + 7, 7)) / 7 + 1;
END
$fn$;

-- Excel WEEKDAY (types 1, 2, 3, 11-17). NULL = #NUM! (another type).
CREATE OR REPLACE FUNCTION tx_weekday(d date, return_type double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  t numeric := tx__trunc_arg(return_type);
  wk_first integer;
  base integer := 1;
BEGIN
  IF t IS NULL OR tx__date_arg(d) IS NULL THEN
    RETURN NULL;
  END IF;
  IF t = 1 THEN
    wk_first := 6;
  ELSIF t = 2 THEN
    wk_first := 0;
  ELSIF t = 3 THEN
    wk_first := 0; base := 0;
  ELSIF t BETWEEN 11 AND 17 THEN
    wk_first := (t - 11)::integer;
  ELSE
    RETURN NULL;
  END IF;
  RETURN mod(extract(isodow FROM d)::integer - 1 - wk_first + 7, 7) + base;
END
$fn$;
