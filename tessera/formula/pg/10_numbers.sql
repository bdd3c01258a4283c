-- Excel number primitives on PostgreSQL; the Python twins and the rules are in
-- tessera/formula/excel/numbers.py. "Decimal value" of a double = float8::text::numeric, the
-- shortest round-trip decimal (PostgreSQL 12+ with the default extra_float_digits = 1).
-- All functions are STRICT (NULL in -> NULL out); NULL out = the Excel error in the comment.
-- No percent signs in this file (psycopg placeholders): chr(37) stands for one.

CREATE OR REPLACE FUNCTION tx__finite(x double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT x NOT IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8)
$fn$;

-- The shortest round-trip decimal of a finite double.
CREATE OR REPLACE FUNCTION tx__decimal(x double precision) RETURNS numeric
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT x::text::numeric
$fn$;

-- The nearest double of an exact decimal; NULL (#NUM!) beyond the double range.
CREATE OR REPLACE FUNCTION tx__double(d numeric) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE WHEN abs(d) > 1.7976931348623157e308 THEN NULL ELSE d::float8 END
$fn$;

-- Decimal exponent of a positive numeric (123.4 -> 2, 0.05 -> -2).
CREATE OR REPLACE FUNCTION tx__exponent(d numeric) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN d >= 1 THEN length(trunc(d)::text) - 1
    ELSE -(length(substr(d::text, 3)) - length(ltrim(substr(d::text, 3), '0')) + 1)
  END
$fn$;

-- Digits argument of ROUND & co.: truncated toward zero, clamped to [-400, 400].
CREATE OR REPLACE FUNCTION tx__digits(n double precision) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT trunc(greatest(-400::float8, least(400::float8, n)))::integer
$fn$;

-- Excel General format of a number turned into text (& and CONCAT). NULL = #NUM! (NaN/inf).
CREATE OR REPLACE FUNCTION tx_general(x double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  d numeric;
  r numeric;
  e integer;
  digits text;
  sgn text := '';
BEGIN
  IF x IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8) THEN
    RETURN NULL;
  END IF;
  -- fast path: a whole number below 1e15 has at most 15 digits, so General text is the integer
  IF x = trunc(x) AND abs(x) < 1e15::float8 THEN
    RETURN (x::bigint)::text;
  END IF;
  -- and a shortest decimal of at most 15 digits written without exponent, from 0.001 on, is
  -- already General text (rounding to 15 digits keeps it; it fits in 20 characters)
  digits := x::text;
  IF abs(x) >= 0.001::float8 AND abs(x) < 1e15::float8 AND position('e' in digits) = 0
     AND length(btrim(replace(replace(digits, '-', ''), '.', ''), '0')) <= 15 THEN
    RETURN digits;
  END IF;
  d := abs(x::text::numeric);
  IF d < 2.2250738585072014e-308 THEN
    RETURN '0';
  END IF;
  e := tx__exponent(d);
  r := round(d, (CASE WHEN e >= 99 OR e <= -99 THEN 14 ELSE 15 END) - 1 - e);
  e := tx__exponent(r);
  digits := btrim(replace(r::text, '.', ''), '0');
  IF x < 0 THEN
    sgn := '-';
  END IF;
  IF e >= 0 AND e + 1 <= 20 THEN
    IF length(digits) <= e + 1 THEN
      RETURN sgn || rpad(digits, e + 1, '0');
    END IF;
    RETURN sgn || substr(digits, 1, e + 1) || '.' || substr(digits, e + 2);
  ELSIF e < 0 AND 2 + (-e - 1) + length(digits) <= 20 THEN
    RETURN sgn || '0.' || repeat('0', -e - 1) || digits;
  END IF;
  RETURN sgn || substr(digits, 1, 1)
    || CASE WHEN length(digits) > 1 THEN '.' || substr(digits, 2) ELSE '' END
    || 'E' || CASE WHEN e >= 0 THEN '+' ELSE '-' END
    || CASE WHEN abs(e) < 10 THEN '0' ELSE '' END || abs(e)::text;
END
$fn$;

-- Excel text -> number coercion. NULL = #VALUE!.
CREATE OR REPLACE FUNCTION tx_to_number(s text) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  m text[];
  sgn text;
  negative boolean;
  digits text;
  exp_text text;
  e integer;
  v numeric;
BEGIN
  m := regexp_match(s,
    '^ *([(])? *([+-])? *([$¥￥])? *([+-])? *'
    || '([0-9]{1,3}(?:,[0-9]{3})+(?:[.][0-9]*)?|[0-9]+(?:[.][0-9]*)?|[.][0-9]+)'
    || '(?:[eE]([+-]?[0-9]+))? *([' || chr(37) || '])? *([)])? *$');
  IF m IS NULL THEN
    RETURN NULL;
  END IF;
  IF (m[1] IS NULL) <> (m[8] IS NULL) OR (m[2] IS NOT NULL AND m[4] IS NOT NULL) THEN
    RETURN NULL;
  END IF;
  sgn := coalesce(m[2], m[4]);
  IF m[1] IS NOT NULL AND sgn IS NOT NULL THEN
    RETURN NULL;
  END IF;
  negative := sgn IS NOT DISTINCT FROM '-' OR m[1] IS NOT NULL;
  digits := replace(m[5], ',', '');
  IF right(digits, 1) = '.' THEN
    digits := left(digits, -1);
  END IF;
  IF btrim(digits, '0.') = '' THEN
    RETURN 0;
  END IF;
  exp_text := coalesce(m[6], '0');
  IF length(ltrim(exp_text, '+-')) > 6 THEN
    RETURN CASE WHEN left(exp_text, 1) = '-' THEN 0 ELSE NULL END;
  END IF;
  e := exp_text::integer - CASE WHEN m[7] IS NOT NULL THEN 2 ELSE 0 END;
  IF abs(e) > 1000 THEN
    RETURN CASE WHEN e < 0 THEN 0 ELSE NULL END;
  END IF;
  v := digits::numeric * ('1e' || e::text)::numeric;
  IF v > 1.7976931348623157e308 THEN
    RETURN NULL;
  END IF;
  IF v < 2.2250738585072014e-308 THEN
    RETURN 0;
  END IF;
  RETURN CASE WHEN negative THEN -(v::float8) ELSE v::float8 END;
END
$fn$;

-- Excel ROUND: halves away from zero on the decimal value. NULL = #NUM!.
-- PL/pgSQL with the helpers written out: a STRICT SQL function whose body calls other SQL
-- functions is not inlined, and each nested call costs 10-20 us per row (issue 3).
CREATE OR REPLACE FUNCTION tx_round(x double precision, n double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  d numeric;
BEGIN
  IF x IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8)
     OR n IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8) THEN
    RETURN NULL;
  END IF;
  d := round(x::text::numeric, trunc(greatest(-400::float8, least(400::float8, n)))::integer);
  IF abs(d) > 1.7976931348623157e308 THEN
    RETURN NULL;
  END IF;
  RETURN d::float8;
END
$fn$;

-- Excel ROUNDUP: away from zero. NULL = #NUM!.
CREATE OR REPLACE FUNCTION tx_roundup(x double precision, n double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  d numeric;
  t numeric;
  k integer;
BEGIN
  IF NOT (tx__finite(x) AND tx__finite(n)) THEN
    RETURN NULL;
  END IF;
  d := tx__decimal(x);
  k := tx__digits(n);
  t := trunc(d, k);
  IF t <> d THEN
    t := t + sign(d) * ('1e' || (-k)::text)::numeric;
  END IF;
  RETURN tx__double(t);
END
$fn$;

-- Excel ROUNDDOWN: toward zero. NULL = #NUM!.
CREATE OR REPLACE FUNCTION tx_rounddown(x double precision, n double precision)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  d numeric;
BEGIN
  IF x IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8)
     OR n IN ('Infinity'::float8, '-Infinity'::float8, 'NaN'::float8) THEN
    RETURN NULL;
  END IF;
  d := trunc(x::text::numeric, trunc(greatest(-400::float8, least(400::float8, n)))::integer);
  IF abs(d) > 1.7976931348623157e308 THEN
    RETURN NULL;
  END IF;
  RETURN d::float8;
END
$fn$;

-- Excel TRUNC: the same as ROUNDDOWN. NULL = #NUM!.
CREATE OR REPLACE FUNCTION tx_trunc(x double precision, n double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT tx_rounddown(x, n)
$fn$;

-- q * m where q is the integer nearest to / floor / ceiling of the exact quotient x / m.
CREATE OR REPLACE FUNCTION tx__multiple(x double precision, m double precision, direction text)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  dx numeric := tx__decimal(x);
  dm numeric := tx__decimal(m);
  q numeric;
  r numeric;
  positive boolean;
BEGIN
  q := div(dx, dm);
  r := dx - q * dm;
  positive := (dx > 0) = (dm > 0);
  IF r <> 0 THEN
    IF direction = 'nearest' THEN
      IF 2 * abs(r) >= abs(dm) THEN
        q := q + CASE WHEN positive THEN 1 ELSE -1 END;
      END IF;
    ELSIF direction = 'ceiling' AND positive THEN
      q := q + 1;
    ELSIF direction = 'floor' AND NOT positive THEN
      q := q - 1;
    END IF;
  END IF;
  RETURN tx__double(q * dm);
END
$fn$;

-- Excel MROUND. NULL = #NUM! (x and m of different signs).
CREATE OR REPLACE FUNCTION tx_mround(x double precision, m double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN NOT (tx__finite(x) AND tx__finite(m)) THEN NULL
    WHEN m = 0 OR x = 0 THEN 0
    WHEN (x > 0) <> (m > 0) THEN NULL
    ELSE tx__multiple(x, m, 'nearest')
  END
$fn$;

-- Excel CEILING. NULL = #NUM! (x > 0 and s < 0).
CREATE OR REPLACE FUNCTION tx_ceiling(x double precision, s double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN NOT (tx__finite(x) AND tx__finite(s)) THEN NULL
    WHEN s = 0 OR x = 0 THEN 0
    WHEN x > 0 AND s < 0 THEN NULL
    ELSE tx__multiple(x, s, 'ceiling')
  END
$fn$;

-- Excel FLOOR. NULL = #DIV/0! when s = 0, else #NUM! (x > 0 and s < 0).
CREATE OR REPLACE FUNCTION tx_floor(x double precision, s double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT CASE
    WHEN NOT (tx__finite(x) AND tx__finite(s)) THEN NULL
    WHEN s = 0 THEN NULL
    WHEN x = 0 THEN 0
    WHEN x > 0 AND s < 0 THEN NULL
    ELSE tx__multiple(x, s, 'floor')
  END
$fn$;
