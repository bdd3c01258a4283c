-- Excel TEXT() and PROPER on PostgreSQL: a line-by-line port of
-- tessera/formula/excel/text_format.py (read its docstring for the supported codes).
-- NULL = #VALUE!. No percent signs in this file (psycopg placeholders): chr(37) is one.

-- Split a format on ; outside quotes and backslash escapes.
CREATE OR REPLACE FUNCTION tx__fmt_sections(fmt text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  sections text[] := '{}';
  piece text := '';
  i integer := 1;
  n integer := length(fmt);
  c text;
  quoted boolean := false;
BEGIN
  WHILE i <= n LOOP
    c := substr(fmt, i, 1);
    IF c = '"' THEN
      quoted := NOT quoted;
    ELSIF c = '\' AND NOT quoted AND i + 1 <= n THEN
      piece := piece || substr(fmt, i, 2);
      i := i + 2;
      CONTINUE;
    ELSIF c = ';' AND NOT quoted THEN
      sections := sections || piece;
      piece := '';
      i := i + 1;
      CONTINUE;
    END IF;
    piece := piece || c;
    i := i + 1;
  END LOOP;
  RETURN sections || piece;
END
$fn$;

-- Tokens of one section as two parallel arrays (kind, text).
CREATE OR REPLACE FUNCTION tx__fmt_tokens(section text, OUT kinds text[], OUT texts text[])
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  i integer := 1;
  j integer;
  n integer := length(section);
  c text;
  low text;
  stop integer;
BEGIN
  kinds := '{}';
  texts := '{}';
  WHILE i <= n LOOP
    c := substr(section, i, 1);
    low := lower(c);
    IF c = '"' THEN
      stop := position('"' IN substr(section, i + 1));
      stop := CASE WHEN stop = 0 THEN n + 1 ELSE i + stop END;
      kinds := kinds || 'lit'::text;
      texts := texts || substr(section, i + 1, stop - i - 1);
      i := stop + 1;
    ELSIF c = '\' OR c = '_' THEN
      IF i + 1 <= n THEN
        kinds := kinds || 'lit'::text;
        texts := texts || CASE WHEN c = '\' THEN substr(section, i + 1, 1) ELSE ' ' END;
      END IF;
      i := i + 2;
    ELSIF c = '*' THEN
      i := i + 2;
    ELSIF c = '[' THEN
      stop := position(']' IN substr(section, i));
      i := CASE WHEN stop = 0 THEN n + 1 ELSE i + stop END;
    ELSIF lower(substr(section, i, 5)) = 'am/pm' THEN
      kinds := kinds || 'ampm'::text;
      texts := texts || substr(section, i, 5);
      i := i + 5;
    ELSIF lower(substr(section, i, 3)) = 'a/p' THEN
      kinds := kinds || 'ap'::text;
      texts := texts || substr(section, i, 3);
      i := i + 3;
    ELSIF substr(section, i, 5) = '上午/下午' THEN
      kinds := kinds || 'cnampm'::text;
      texts := texts || '上午/下午'::text;
      i := i + 5;
    ELSIF lower(substr(section, i, 7)) = 'general' THEN
      kinds := kinds || 'general'::text;
      texts := texts || substr(section, i, 7);
      i := i + 7;
    ELSIF low IN ('y', 'm', 'd', 'h', 's') OR (low = 'a' AND lower(substr(section, i, 3)) = 'aaa') THEN
      j := i;
      WHILE j <= n AND lower(substr(section, j, 1)) = low LOOP
        j := j + 1;
      END LOOP;
      kinds := kinds || CASE WHEN low = 'a' THEN 'aaa' ELSE low END;
      texts := texts || substr(section, i, j - i);
      i := j;
    ELSIF low = 'e' AND i + 1 <= n AND substr(section, i + 1, 1) IN ('+', '-') THEN
      kinds := kinds || 'E'::text;
      texts := texts || substr(section, i, 2);
      i := i + 2;
    ELSIF c IN ('0', '#', '?', '.', ',', chr(37)) THEN
      kinds := kinds || c;
      texts := texts || c;
      i := i + 1;
    ELSIF c = '@' THEN
      kinds := kinds || 'general'::text;
      texts := texts || c;
      i := i + 1;
    ELSE
      kinds := kinds || 'lit'::text;
      texts := texts || c;
      i := i + 1;
    END IF;
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION tx__fmt_is_date(kinds text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT kinds && ARRAY['y', 'm', 'd', 'h', 's', 'ampm', 'ap', 'cnampm', 'aaa']
$fn$;

-- Thousands separators: 1234567 -> 1,234,567.
CREATE OR REPLACE FUNCTION tx__fmt_group(digits text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  head integer := CASE WHEN mod(length(digits), 3) = 0 THEN 3 ELSE mod(length(digits), 3) END;
  result text := substr(digits, 1, head);
  i integer := head + 1;
BEGIN
  WHILE i <= length(digits) LOOP
    result := result || ',' || substr(digits, i, 3);
    i := i + 3;
  END LOOP;
  RETURN result;
END
$fn$;

-- Format abs(value) with a number section (the caller adds any minus sign).
CREATE OR REPLACE FUNCTION tx__fmt_number(kinds text[], texts text[], value double precision)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  n integer := coalesce(array_length(kinds, 1), 0);
  pieces text[];
  i integer;
  k integer;
  exp_at integer;
  point_at integer;
  int_ph integer[] := '{}';
  frac_ph integer[] := '{}';
  exp_ph integer[] := '{}';
  last_digit integer := 0;
  use_grouping boolean := false;
  scale integer := 0;
  pct integer := 0;
  d numeric;
  mantissa numeric;
  exponent integer := 0;
  width integer;
  adj integer;
  places integer;
  whole text;
  fraction text;
  remaining text;
  trimming boolean := true;
  digit text;
  general text;
  zeros integer;
  result text := '';
BEGIN
  IF 'general' = ANY(kinds) THEN
    general := tx_general(abs(value));
    FOR i IN 1..n LOOP
      IF kinds[i] = 'general' THEN
        result := result || general;
      ELSIF kinds[i] = 'lit' THEN
        result := result || texts[i];
      END IF;
    END LOOP;
    RETURN result;
  END IF;
  exp_at := coalesce(array_position(kinds, 'E'), n + 1);
  point_at := array_position(kinds, '.');
  IF point_at IS NULL OR point_at > exp_at THEN
    point_at := exp_at;
  END IF;
  FOR i IN 1..n LOOP
    IF kinds[i] IN ('0', '#', '?') THEN
      IF i < point_at THEN
        int_ph := int_ph || i;
      ELSIF i < exp_at THEN
        frac_ph := frac_ph || i;
      ELSE
        exp_ph := exp_ph || i;
      END IF;
      IF i < exp_at THEN
        last_digit := greatest(last_digit, i);
      END IF;
    ELSIF kinds[i] = chr(37) THEN
      pct := pct + 1;
    END IF;
  END LOOP;
  FOR i IN 1..n LOOP
    IF kinds[i] = ',' AND cardinality(int_ph) > 0
        AND int_ph[1] < i AND i < int_ph[cardinality(int_ph)] THEN
      use_grouping := true;
    ELSIF kinds[i] = ',' AND last_digit >= 1 AND last_digit < i AND i < exp_at THEN
      scale := scale + 1;
    END IF;
  END LOOP;
  places := cardinality(frac_ph);
  d := abs(tx__decimal(value)) * ('1e' || (2 * pct - 3 * scale)::text)::numeric;
  IF exp_at <= n THEN
    width := greatest(1, cardinality(int_ph));
    IF d <> 0 THEN
      adj := tx__exponent(d);
      exponent := adj - mod(mod(adj, width) + width, width);
    END IF;
    mantissa := round(d * ('1e' || (-exponent)::text)::numeric, places);
    IF mantissa >= ('1e' || width::text)::numeric THEN
      exponent := exponent + width;
      mantissa := round(d * ('1e' || (-exponent)::text)::numeric, places);
    END IF;
    d := mantissa;
  ELSE
    d := round(d, places);
  END IF;
  whole := ltrim(split_part(d::text, '.', 1), '0');
  fraction := rpad(split_part(d::text, '.', 2), places, '0');
  pieces := array_fill(''::text, ARRAY[greatest(n, 1)]);
  FOR i IN 1..n LOOP
    IF kinds[i] IN ('lit', chr(37)) THEN
      pieces[i] := texts[i];
    ELSIF kinds[i] = '.' AND i = point_at THEN
      pieces[i] := '.';
    END IF;
  END LOOP;
  IF use_grouping THEN
    zeros := 0;
    FOREACH i IN ARRAY int_ph LOOP
      IF kinds[i] = '0' THEN
        zeros := zeros + 1;
      END IF;
    END LOOP;
    pieces[int_ph[1]] := tx__fmt_group(lpad(whole, greatest(zeros, length(whole)), '0'));
  ELSE
    remaining := whole;
    FOR k IN REVERSE cardinality(int_ph)..1 LOOP
      i := int_ph[k];
      IF remaining <> '' THEN
        IF k = 1 THEN
          pieces[i] := remaining;
          remaining := '';
        ELSE
          pieces[i] := right(remaining, 1);
          remaining := left(remaining, -1);
        END IF;
      ELSE
        pieces[i] := CASE kinds[i] WHEN '0' THEN '0' WHEN '#' THEN '' ELSE ' ' END;
      END IF;
    END LOOP;
  END IF;
  FOR k IN REVERSE places..1 LOOP
    i := frac_ph[k];
    digit := substr(fraction, k, 1);
    IF trimming AND digit = '0' AND kinds[i] <> '0' THEN
      pieces[i] := CASE WHEN kinds[i] = '#' THEN '' ELSE ' ' END;
    ELSE
      trimming := false;
      pieces[i] := digit;
    END IF;
  END LOOP;
  IF exp_at <= n THEN
    zeros := 0;
    FOREACH i IN ARRAY exp_ph LOOP
      IF kinds[i] = '0' THEN
        zeros := zeros + 1;
      END IF;
    END LOOP;
    pieces[exp_at] := substr(texts[exp_at], 1, 1)
      || CASE WHEN exponent < 0 THEN '-' WHEN substr(texts[exp_at], 2, 1) = '+' THEN '+' ELSE '' END;
    IF cardinality(exp_ph) > 0 THEN
      pieces[exp_ph[1]] := lpad(abs(exponent)::text, greatest(zeros, length(abs(exponent)::text)), '0');
    END IF;
  END IF;
  RETURN array_to_string(pieces, '');
END
$fn$;

-- Format date parts (weekday 0 = Sunday) with a date section.
CREATE OR REPLACE FUNCTION tx__fmt_date(
  kinds text[], texts text[], y integer, mo integer, dd integer, wd integer,
  hh integer, mi integer, ss integer
) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  n integer := coalesce(array_length(kinds, 1), 0);
  twelve boolean := kinds && ARRAY['ampm', 'ap', 'cnampm'];
  months text[] := string_to_array(
    'January February March April May June July August September October November December', ' ');
  days text[] := string_to_array('Sunday Monday Tuesday Wednesday Thursday Friday Saturday', ' ');
  chinese text := '日一二三四五六';
  dated integer[] := '{}';
  minutes integer[] := '{}';
  result text := '';
  i integer;
  p integer;
  size integer;
  kind text;
  prev_kind text;
  next_kind text;
  hour integer;
  label text;
BEGIN
  FOR i IN 1..n LOOP
    IF kinds[i] IN ('y', 'm', 'd', 'h', 's') THEN
      dated := dated || i;
    END IF;
  END LOOP;
  FOR p IN 1..coalesce(cardinality(dated), 0) LOOP
    i := dated[p];
    IF kinds[i] = 'm' AND length(texts[i]) <= 2 THEN
      prev_kind := CASE WHEN p > 1 THEN kinds[dated[p - 1]] ELSE '' END;
      next_kind := CASE WHEN p < cardinality(dated) THEN kinds[dated[p + 1]] ELSE '' END;
      IF prev_kind = 'h' OR next_kind = 's' THEN
        minutes := minutes || i;
      END IF;
    END IF;
  END LOOP;
  FOR i IN 1..n LOOP
    kind := kinds[i];
    size := length(texts[i]);
    IF kind = 'y' THEN
      result := result || CASE WHEN size <= 2 THEN lpad(mod(y, 100)::text, 2, '0')
                               ELSE lpad(y::text, 4, '0') END;
    ELSIF kind = 'm' AND i = ANY(minutes) THEN
      result := result || CASE WHEN size = 2 THEN lpad(mi::text, 2, '0') ELSE mi::text END;
    ELSIF kind = 'm' THEN
      result := result || CASE
        WHEN size = 1 THEN mo::text
        WHEN size = 2 THEN lpad(mo::text, 2, '0')
        WHEN size = 3 THEN left(months[mo], 3)
        WHEN size = 5 THEN left(months[mo], 1)
        ELSE months[mo] END;
    ELSIF kind = 'd' THEN
      result := result || CASE
        WHEN size = 1 THEN dd::text
        WHEN size = 2 THEN lpad(dd::text, 2, '0')
        WHEN size = 3 THEN left(days[wd + 1], 3)
        ELSE days[wd + 1] END;
    ELSIF kind = 'h' THEN
      hour := CASE WHEN twelve THEN CASE WHEN mod(hh, 12) = 0 THEN 12 ELSE mod(hh, 12) END
                   ELSE hh END;
      result := result || CASE WHEN size >= 2 THEN lpad(hour::text, 2, '0') ELSE hour::text END;
    ELSIF kind = 's' THEN
      result := result || CASE WHEN size >= 2 THEN lpad(ss::text, 2, '0') ELSE ss::text END;
    ELSIF kind = 'aaa' THEN
      result := result || CASE WHEN size = 3 THEN '' ELSE '星期' END || substr(chinese, wd + 1, 1);
    ELSIF kind IN ('ampm', 'ap') THEN
      label := left(CASE WHEN hh < 12 THEN 'AM' ELSE 'PM' END, CASE WHEN kind = 'ampm' THEN 2 ELSE 1 END);
      IF substr(texts[i], 1, 1) <> upper(substr(texts[i], 1, 1)) THEN
        label := lower(label);
      END IF;
      result := result || label;
    ELSIF kind = 'cnampm' THEN
      result := result || CASE WHEN hh < 12 THEN '上午' ELSE '下午' END;
    ELSIF kind = 'general' THEN
      result := result;
    ELSE
      result := result || texts[i];
    END IF;
  END LOOP;
  RETURN result;
END
$fn$;

-- Format an Excel serial (1900 system) with a date section. NULL = #VALUE! pieces of range.
CREATE OR REPLACE FUNCTION tx__fmt_serial(kinds text[], texts text[], serial double precision)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  seconds bigint;
  days bigint;
  secs bigint;
  the_day date;
BEGIN
  IF NOT tx__finite(serial) OR serial < 0 OR serial >= 2958466 THEN
    RETURN NULL;
  END IF;
  seconds := round(tx__decimal(serial) * 86400)::bigint;
  days := div(seconds, 86400);
  secs := mod(seconds, 86400);
  IF days >= 2958466 THEN
    RETURN NULL;
  END IF;
  IF days = 0 THEN
    RETURN tx__fmt_date(kinds, texts, 1900, 1, 0, 6, (secs / 3600)::integer,
                        mod(secs / 60, 60)::integer, mod(secs, 60)::integer);
  ELSIF days = 60 THEN
    RETURN tx__fmt_date(kinds, texts, 1900, 2, 29, 3, (secs / 3600)::integer,
                        mod(secs / 60, 60)::integer, mod(secs, 60)::integer);
  END IF;
  the_day := CASE WHEN days < 60 THEN date '1899-12-31' ELSE date '1899-12-30' END + days::integer;
  RETURN tx__fmt_date(kinds, texts, extract(year FROM the_day)::integer,
                      extract(month FROM the_day)::integer, extract(day FROM the_day)::integer,
                      mod(days + 6, 7)::integer, (secs / 3600)::integer,
                      mod(secs / 60, 60)::integer, mod(secs, 60)::integer);
END
$fn$;

-- Excel TEXT(number, format). NULL = #VALUE!.
CREATE OR REPLACE FUNCTION tx_text_num(value double precision, fmt text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  sections text[] := tx__fmt_sections(fmt);
  section text := sections[1];
  minus boolean := value < 0;
  kinds text[];
  texts text[];
  result text;
BEGIN
  IF NOT tx__finite(value) THEN
    RETURN NULL;
  END IF;
  IF value < 0 AND cardinality(sections) >= 2 THEN
    section := sections[2];
    minus := false;
  ELSIF value = 0 AND cardinality(sections) >= 3 THEN
    section := sections[3];
  END IF;
  SELECT t.kinds, t.texts INTO kinds, texts FROM tx__fmt_tokens(section) AS t;
  IF tx__fmt_is_date(kinds) THEN
    RETURN tx__fmt_serial(kinds, texts, value);
  END IF;
  result := tx__fmt_number(kinds, texts, value);
  RETURN CASE WHEN minus THEN '-' || result ELSE result END;
END
$fn$;

-- Excel TEXT(timestamp, format); the time is rounded to the second. NULL = #VALUE!.
CREATE OR REPLACE FUNCTION tx_text_ts(value timestamp, fmt text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  kinds text[];
  texts text[];
  t timestamp := date_trunc('second', value);
  the_day date;
  days integer;
  micro integer;
BEGIN
  SELECT k.kinds, k.texts INTO kinds, texts FROM tx__fmt_tokens((tx__fmt_sections(fmt))[1]) AS k;
  IF tx__fmt_is_date(kinds) THEN
    IF value - t >= interval '0.5 second' THEN
      IF t >= timestamp '9999-12-31 23:59:59' THEN
        RETURN NULL;
      END IF;
      t := t + interval '1 second';
    END IF;
    RETURN tx__fmt_date(kinds, texts, extract(year FROM t)::integer,
                        extract(month FROM t)::integer, extract(day FROM t)::integer,
                        extract(dow FROM t)::integer, extract(hour FROM t)::integer,
                        extract(minute FROM t)::integer, floor(extract(second FROM t))::integer);
  END IF;
  the_day := value::date;
  days := the_day - CASE WHEN the_day >= date '1900-03-01' THEN date '1899-12-30' ELSE date '1899-12-31' END;
  IF days < 1 THEN
    RETURN NULL;
  END IF;
  micro := (extract(microseconds FROM value) - floor(extract(second FROM value)) * 1000000)::integer;
  RETURN tx_text_num(
    days::float8 + ((extract(hour FROM value)::integer * 3600 + extract(minute FROM value)::integer * 60
      + floor(extract(second FROM value))::integer)::float8 + micro::float8 / 1e6::float8) / 86400.0::float8,
    fmt);
END
$fn$;

-- Excel TEXT(date, format). NULL = #VALUE!.
CREATE OR REPLACE FUNCTION tx_text_date(value date, fmt text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT tx_text_ts(value::timestamp, fmt)
$fn$;

-- Excel PROPER on A-Z/a-z letters.
CREATE OR REPLACE FUNCTION tx_proper(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  result text := '';
  previous_letter boolean := false;
  letter boolean;
  c text;
  i integer;
BEGIN
  FOR i IN 1..length(s) LOOP
    c := substr(s, i, 1);
    letter := c ~ '^[A-Za-z]$';
    IF letter THEN
      result := result || CASE WHEN previous_letter
        THEN translate(c, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
        ELSE translate(c, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') END;
    ELSE
      result := result || c;
    END IF;
    previous_letter := letter;
  END LOOP;
  RETURN result;
END
$fn$;
