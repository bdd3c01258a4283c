-- Arithmetic that never raises (tessera.formula.operators.sql_arith): PostgreSQL's float8
-- + - * / raise "value out of range" where the exact result overflows the double range
-- (Python gives inf, which is #NUM!) and * / also where a non-zero result rounds to 0 (Python
-- gives 0). These functions return NULL for an overflow (the caller's error column says #NUM!)
-- and the signed zero for an underflow, and otherwise exactly what the operator returns.
--
-- tx_add / tx_mul / tx_div are SQL functions that PostgreSQL inlines into the statement: the
-- common case (magnitudes between 1e-150 and 1e150, or a zero) costs a few comparisons. The
-- rest goes to tx_mul_edge / tx_div_edge, which decide exactly by scaling the operands by
-- 2^-512 or 2^512 (exact in the range where they are used), so that the test runs on numbers
-- that cannot overflow or underflow: rounding commutes with scaling by a power of two.

CREATE OR REPLACE FUNCTION tx_add(a double precision, b double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- |a + b| can reach 2^1024 only when both are >= 2^970 (~9.98e291); then the halves are
  -- exact and their sum (below 2^1024) says it exactly: >= 2^1023 means overflow
  SELECT CASE
    WHEN abs(a) < 1e291 OR abs(b) < 1e291 THEN a + b
    WHEN abs(a * 0.5 + b * 0.5) >= '8.98846567431158e307'::double precision THEN NULL
    ELSE a + b
  END
$$;

-- a * b where it overflows or underflows; NULL for an overflow.
CREATE OR REPLACE FUNCTION tx_mul_edge(a double precision, b double precision)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  lo CONSTANT double precision := '7.458340731200207e-155';  -- 2^-512
  hi CONSTANT double precision := '1.3407807929942597e154';  -- 2^512
  tie CONSTANT double precision := '4.440892098500626e-16';  -- 2^-51 = 2^-1075 * 2^1024
  l double precision;
  x double precision;
  y double precision;
  s double precision;
  c double precision;
  xh double precision;
  xl double precision;
  yh double precision;
  yl double precision;
BEGIN
  IF a IS NULL OR b IS NULL THEN
    RETURN NULL;
  END IF;
  IF a = 0 OR b = 0 OR a = 'NaN' OR b = 'NaN' OR abs(a) = 'Infinity' OR abs(b) = 'Infinity' THEN
    RETURN a * b;  -- PostgreSQL raises only for finite non-zero operands
  END IF;
  l := ln(abs(a)) + ln(abs(b));  -- ln |a * b|, within 1e-12
  IF l > 710 THEN
    RETURN NULL;
  ELSIF l < -750 THEN
    RETURN CASE WHEN (a < 0) <> (b < 0) THEN '-0'::double precision ELSE 0.0 END;
  ELSIF l > 700 THEN  -- both |a|, |b| > e^-10: the scaled product is exact and near 2^-14..1
    s := (abs(a) * lo) * (abs(b) * lo);
    RETURN CASE WHEN s >= 1 THEN NULL ELSE a * b END;
  END IF;
  IF l >= -740 THEN
    RETURN a * b;  -- between e^-740 and e^700: no overflow, no zero
  END IF;
  -- both |a|, |b| < e^5: scaled up by 2^512 each, the product is near 2^-44 (normal)
  x := abs(a) * hi;
  y := abs(b) * hi;
  s := x * y;
  IF s > tie THEN
    RETURN a * b;  -- |a * b| > 2^-1075: rounds to a non-zero subnormal
  END IF;
  IF s = tie THEN  -- exact x * y - s (Dekker's product): above the tie rounds away from 0
    c := 134217729.0 * x;
    xh := c - (c - x);
    xl := x - xh;
    c := 134217729.0 * y;
    yh := c - (c - y);
    yl := y - yh;
    IF ((xh * yh - s) + xh * yl + xl * yh) + xl * yl > 0 THEN
      RETURN a * b;
    END IF;
  END IF;
  RETURN CASE WHEN (a < 0) <> (b < 0) THEN '-0'::double precision ELSE 0.0 END;
END
$$;

CREATE OR REPLACE FUNCTION tx_mul(a double precision, b double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN abs(a) BETWEEN 1e-150 AND 1e150 AND abs(b) BETWEEN 1e-150 AND 1e150 THEN a * b
    WHEN a = 0 OR b = 0 THEN a * b
    ELSE tx_mul_edge(a, b)
  END
$$;

-- a / b (b <> 0; NULL stays NULL) where it overflows or underflows; NULL for an overflow.
CREATE OR REPLACE FUNCTION tx_div_edge(a double precision, b double precision)
RETURNS double precision LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  lo CONSTANT double precision := '7.458340731200207e-155';  -- 2^-512
  hi CONSTANT double precision := '1.3407807929942597e154';  -- 2^512
  tie CONSTANT double precision := '4.440892098500626e-16';  -- 2^-51 = 2^-1075 * 2^1024
  l double precision;
  x double precision;
  y double precision;
  q double precision;
  p double precision;
  c double precision;
  qh double precision;
  ql double precision;
  yh double precision;
  yl double precision;
BEGIN
  IF a IS NULL OR b IS NULL OR b = 0 THEN
    RETURN NULL;
  END IF;
  IF a = 0 OR a = 'NaN' OR b = 'NaN' OR abs(a) = 'Infinity' OR abs(b) = 'Infinity' THEN
    RETURN a / b;  -- PostgreSQL raises only for a finite non-zero dividend and a finite divisor
  END IF;
  l := ln(abs(a)) - ln(abs(b));  -- ln |a / b|, within 1e-12
  IF l > 710 THEN
    RETURN NULL;
  ELSIF l < -750 THEN
    RETURN CASE WHEN (a < 0) <> (b < 0) THEN '-0'::double precision ELSE 0.0 END;
  ELSIF l > 700 THEN  -- |a| > e^-44, |b| < e^10: both scale exactly, the quotient is near 2^-14..1
    q := (abs(a) * lo) / (abs(b) * hi);
    RETURN CASE WHEN q >= 1 THEN NULL ELSE a / b END;
  END IF;
  IF l >= -740 THEN
    RETURN a / b;
  END IF;
  -- |a| < e^-30, |b| > e^-5: the scaled quotient is near 2^-44 (normal)
  x := abs(a) * hi;
  y := abs(b) * lo;
  q := x / y;
  IF q > tie THEN
    RETURN a / b;
  END IF;
  IF q = tie THEN  -- the sign of x - q * y, exactly (Dekker's product; x - p is exact)
    c := 134217729.0 * q;
    qh := c - (c - q);
    ql := q - qh;
    c := 134217729.0 * y;
    yh := c - (c - y);
    yl := y - yh;
    p := q * y;
    IF (x - p) - (((qh * yh - p) + qh * yl + ql * yh) + ql * yl) > 0 THEN
      RETURN a / b;
    END IF;
  END IF;
  RETURN CASE WHEN (a < 0) <> (b < 0) THEN '-0'::double precision ELSE 0.0 END;
END
$$;

CREATE OR REPLACE FUNCTION tx_div(a double precision, b double precision)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN abs(a) BETWEEN 1e-150 AND 1e150 AND abs(b) BETWEEN 1e-150 AND 1e150 THEN a / b
    WHEN a = 0 THEN a / b
    ELSE tx_div_edge(a, b)
  END
$$;
