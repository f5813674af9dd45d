"""The list's URL, read and written (annotator.listing: pure)."""

from datetime import datetime, timezone

from annotator import listing


def test_parameters_round_trip():
    params = {"q": "Düsseldorf", "state": "waiting", "status": "draft", "annotator": "ann", "label": "ACTOR",
              "label_in": "any", "gold": "yes", "disagreement": "1", "extractor": "rules-1", "umin": "0.25",
              "umax": "0.5", "batch": "3", "meta.source": "AP", "sort": "uncertainty", "size": "20"}
    query = listing.parse(params, states=("waiting",))
    assert query.problems == ()
    assert query.params() == params
    assert listing.parse(query.params(), states=("waiting",)) == query


def test_bad_values_are_told_and_left_out():
    query = listing.parse({"state": "nonsense", "size": "x", "umin": "low", "meta.a b": "1", "status": "x"}, states=("waiting",))
    assert (query.state, query.size, query.umin, query.meta, query.status) == ("", listing.PAGE_SIZE, None, (), "")
    assert len(query.problems) == 5


def test_page_size_is_capped():
    assert listing.parse({"size": "100000"}).size == listing.MAX_PAGE_SIZE
    assert listing.parse({"size": "0"}).size == listing.PAGE_SIZE


def test_cursors_round_trip_and_refuse_foreign_tokens():
    when = datetime(2026, 12, 5, 12, 0, 1, 123456, tzinfo=timezone.utc)
    for sort, key in (("order", (7, 12)), ("uncertainty", (0.1 + 0.2, 5)), ("updated", (when, 9))):
        problems = []
        assert listing.decode_cursor(listing.encode_cursor(key), sort, problems) == key and not problems
    problems = []
    assert listing.decode_cursor("not-a-cursor", "order", problems) is None and problems
    assert listing.decode_cursor(listing.encode_cursor((1, 2, 3)), "order", problems) is None


def test_the_form_field_meta_key_value():
    assert listing.parse({"meta": "source=AP"}).meta == (("source", "AP"),)


def test_url_keeps_filters_and_drops_the_cursor_when_asked():
    query = listing.parse({"q": "Raqqa", "after": listing.encode_cursor((3, 4))})
    assert query.after == (3, 4)
    assert query.url(after=None) == "?q=Raqqa"
    assert listing.parse({}).url() == ""
