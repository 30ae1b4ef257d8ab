"""Word-prefix search on product names with PostgreSQL full text (the ``simple``
configuration: no stemming, no stop words, lower case), served by a GIN index.

The query's words go through the same parser as the names (``to_tsvector`` on the query
text), so "2.5mg" or "100micrograms/dose" split as they do in the names; each of the query's
lexemes must start one of the name's (``lexeme:*``, joined with ``&``). Built in SQL from the
text as a parameter: nothing the user types becomes query syntax."""

from django.contrib.postgres.search import SearchQueryField, SearchVectorField
from django.db.models import BooleanField, Func, Value


class NameVector(Func):
    """to_tsvector('simple', name): the expression the GIN index holds."""

    function = "to_tsvector"
    template = "%(function)s('simple'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


class PrefixQuery(Func):
    """Every lexeme of the text, each as a prefix, all required (NULL for no lexeme)."""

    template = (
        "(SELECT string_agg(quote_literal(lexeme) || ':*', ' & ')::tsquery "
        "FROM unnest(to_tsvector('simple'::regconfig, %(expressions)s)))"
    )
    output_field = SearchQueryField()


class Matches(Func):
    template = "%(expressions)s"
    arg_joiner = " @@ "
    output_field = BooleanField()


def name_matches(text: str) -> Matches:
    """A filter: the row's name has a word starting with each word of ``text``."""
    return Matches(NameVector("name"), PrefixQuery(Value(text)))
