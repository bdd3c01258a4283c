-- REGEXMATCH / REGEXEXTRACT / REGEXREPLACE with Python re syntax on PostgreSQL.
-- tx__regex_pg mirrors tessera.formula.excel.regex.to_postgres (read its docstring for the
-- supported subset). NULL out = #VALUE! (invalid or unsupported pattern), and for
-- tx_regexextract also #N/A (no match): tx_regex_valid tells them apart.

CREATE OR REPLACE FUNCTION tx__regex_pg(pattern text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  result text := '';
  i integer := 1;
  n integer := length(pattern);
  c text;
  e text;
  in_class boolean := false;
  class_start integer := 0;
  name_end integer;
BEGIN
  WHILE i <= n LOOP
    c := substr(pattern, i, 1);
    IF c = '\' THEN
      IF i + 1 > n THEN
        RETURN NULL;
      END IF;
      e := substr(pattern, i + 1, 1);
      IF in_class THEN
        IF e = 'd' THEN
          result := result || '0-9';
        ELSIF e = 'w' THEN
          result := result || 'A-Za-z0-9_';
        ELSIF e = 's' THEN
          result := result || ' \t\n\r\f\v';
        ELSIF e IN ('D', 'W', 'S') THEN
          RETURN NULL;
        ELSE
          result := result || c || e;
        END IF;
      ELSE
        result := result || CASE e
          WHEN 'd' THEN '[0-9]'
          WHEN 'w' THEN '[A-Za-z0-9_]'
          WHEN 's' THEN '[ \t\n\r\f\v]'
          WHEN 'D' THEN '[^0-9]'
          WHEN 'W' THEN '[^A-Za-z0-9_]'
          WHEN 'S' THEN '[^ \t\n\r\f\v]'
          WHEN 'b' THEN '\y'
          WHEN 'B' THEN '\Y'
          ELSE c || e
        END;
      END IF;
      i := i + 2;
      CONTINUE;
    END IF;
    IF in_class THEN
      IF c = ']' AND i > class_start THEN
        in_class := false;
      END IF;
      result := result || c;
      i := i + 1;
      CONTINUE;
    END IF;
    IF c = '[' THEN
      in_class := true;
      class_start := i + 1;
      IF substr(pattern, class_start, 1) = '^' THEN
        class_start := class_start + 1;
      END IF;
      result := result || c;
    ELSIF c = '.' THEN
      result := result || '[^\n]';
    ELSIF c = '$' THEN
      result := result || '(?=\n?$)';
    ELSIF substr(pattern, i, 4) = '(?P<' THEN
      name_end := position('>' IN substr(pattern, i));
      IF name_end = 0 THEN
        RETURN NULL;
      END IF;
      result := result || '(';
      i := i + name_end;
      CONTINUE;
    ELSIF substr(pattern, i, 2) = '(?'
        AND substr(pattern, i, 3) NOT IN ('(?:', '(?=', '(?!')
        AND substr(pattern, i, 4) NOT IN ('(?<=', '(?<!') THEN
      IF i > 1 OR substr(pattern, 1, 4) <> '(?i)' THEN
        RETURN NULL;
      END IF;
      result := result || c;
    ELSIF c IN ('*', '+', '?', '}') AND substr(pattern, i + 1, 1) = '+' THEN
      RETURN NULL;
    ELSE
      result := result || c;
    END IF;
    i := i + 1;
  END LOOP;
  RETURN result;
END
$fn$;

-- Whether the pattern is valid in the supported subset.
CREATE OR REPLACE FUNCTION tx_regex_valid(pattern text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  are text := tx__regex_pg(pattern);
BEGIN
  IF are IS NULL THEN
    RETURN false;
  END IF;
  PERFORM '' ~ are;
  RETURN true;
EXCEPTION WHEN invalid_regular_expression THEN
  RETURN false;
END
$fn$;

-- REGEXMATCH. NULL = #VALUE! (invalid pattern).
CREATE OR REPLACE FUNCTION tx_regexmatch(t text, pattern text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  are text := tx__regex_pg(pattern);
BEGIN
  IF are IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN t ~ are;
EXCEPTION WHEN invalid_regular_expression THEN
  RETURN NULL;
END
$fn$;

-- REGEXEXTRACT. NULL = #N/A (no match) or #VALUE! (invalid pattern).
CREATE OR REPLACE FUNCTION tx_regexextract(t text, pattern text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  are text := tx__regex_pg(pattern);
  m text[];
BEGIN
  IF are IS NULL THEN
    RETURN NULL;
  END IF;
  m := regexp_match(t, are);
  IF m IS NULL THEN
    RETURN NULL;
  END IF;
  RETURN coalesce(m[1], '');
EXCEPTION WHEN invalid_regular_expression THEN
  RETURN NULL;
END
$fn$;

-- REGEXREPLACE: $1-$9 groups, $0 the match, $$ a dollar. NULL = #VALUE! (invalid pattern).
CREATE OR REPLACE FUNCTION tx_regexreplace(t text, pattern text, replacement text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
  are text := tx__regex_pg(pattern);
  repl text := '';
  i integer := 1;
  c text;
  nxt text;
BEGIN
  IF are IS NULL THEN
    RETURN NULL;
  END IF;
  WHILE i <= length(replacement) LOOP
    c := substr(replacement, i, 1);
    nxt := substr(replacement, i + 1, 1);
    IF c = '$' AND nxt = '$' THEN
      repl := repl || '$';
      i := i + 2;
    ELSIF c = '$' AND nxt = '0' THEN
      repl := repl || '\&';
      i := i + 2;
    ELSIF c = '$' AND nxt ~ '^[1-9]$' THEN
      repl := repl || '\' || nxt;
      i := i + 2;
    ELSIF c = '\' THEN
      repl := repl || '\\';
      i := i + 1;
    ELSE
      repl := repl || c;
      i := i + 1;
    END IF;
  END LOOP;
  RETURN regexp_replace(t, are, repl, 'g');
EXCEPTION WHEN invalid_regular_expression THEN
  RETURN NULL;
END
$fn$;
