"""Accent folding for search: 'López', 'LOPEZ' and 'lopez' read alike, so that an agent who types without accents
(or with them) finds the customer or request either way.

One function, `bo_fold(text)`, on both databases: SQLite calls `fold` below (registered on every connection,
backoffice/db.py); PostgreSQL has the same mapping as an SQL function made by migration 0064 — `lower(translate(…))`,
built in, IMMUTABLE, so trigram indexes can be made on it, and no extension (`unaccent` needs CREATE EXTENSION, which a
production role may not be granted, and is not IMMUTABLE). Folding maps one character to one (translate's way): the
Latin letters with accents and marks to their base letter (é → e, ç → c, ø → o, ł → l); ß, æ, œ stay as they are.
Changing the mapping takes a migration that indexes again (SQLite rebuilds its FTS tables, PostgreSQL redefines
bo_fold and reindexes)."""

from __future__ import annotations

# generated once from unicodedata (U+00C0–U+024F whose NFKD decomposition is one ASCII letter and marks), plus the
# letters with a stroke, which do not decompose; every one to its lower-case base letter
FOLD_FROM = (
    'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜ'
    'ĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽ'
    'žſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮ'
    'ȯȰȱȲȳøØłŁđĐıħĦŧŦƀɨ'
)
FOLD_TO = (
    'aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeeg'
    'ggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzz'
    'zsoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooo'
    'oooyyoollddihhttbi'
)
_TABLE = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str | None) -> str | None:
    """'Françoise LÓPEZ' → 'francoise lopez' (None stays None, as SQL's NULL)."""
    if text is None:
        return None
    return text.lower() if text.isascii() else text.translate(_TABLE).lower()  # most text is ASCII: 5 times faster


def register_sqlite_fold(dbapi_connection) -> None:
    """`bo_fold` on a SQLite connection (its search indexes' triggers and views call it)."""
    dbapi_connection.create_function('bo_fold', 1, fold, deterministic=True)


def postgresql_fold_function() -> str:
    """The CREATE statement of PostgreSQL's bo_fold, the same mapping as `fold` (inlined by the planner, so that an
    index on bo_fold(column) serves `bo_fold(column) LIKE '%…%'`). A text all ASCII (as many bytes as characters) is
    only put in lower case: translate() over this many characters cost ~100 µs a row (bench/requests_search.py, a
    common term read row by row went from 0.1 to 2 s), lower() alone what lower(column) did before."""
    return (
        'CREATE OR REPLACE FUNCTION bo_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS '
        '$$ SELECT CASE WHEN octet_length($1) = char_length($1) THEN lower($1) '
        f"ELSE lower(translate($1, '{FOLD_FROM}', '{FOLD_TO}')) END $$"
    )
