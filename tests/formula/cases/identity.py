"""CURRENT_USER() and ISMEMBER() with nobody acting (stored formulas): blank and FALSE.
With a user acting they are tested in tests/access/test_current_user.py."""

from . import Case

CASES = [
    Case("ISBLANK(CURRENT_USER())", True, id="current-user-blank"),
    Case("IF(CURRENT_USER() = 0, \"nobody\", \"someone\")", "nobody", id="current-user-zero"),
    Case('ISMEMBER("电话组")', False, id="ismember-nobody"),
    Case('IF(ISMEMBER("sales"), 1, 2)', 2.0, id="ismember-if"),
]
