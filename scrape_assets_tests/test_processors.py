"""Field value processors: each one on good and bad input, chained in YAML order, and checked at load."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scrape_assets.extraction.processors import ProcessorFailed, field_value
from scrape_assets.target_config.models import FieldSpec


def _value(matches, **spec):
    return field_value(FieldSpec.model_validate({"css": "p", **spec}), matches)


@pytest.mark.parametrize(
    ("processors", "text", "expected"),
    [
        ([{"regex": r"\((\d+) available\)"}], "In stock (22 available)", "22"),
        ([{"regex": r"\d+"}], "about 40 left", "40"),
        ([{"regex": r"(\d+)"}], "none left", None),
        ([{"replace": {",": "", "EUR": ""}}, "strip"], "1,299 EUR", "1299"),
        ([{"strip": "*"}], "**five**", "five"),
        ([{"remove_prefix": "in "}], "in London", "London"),
        ([{"remove_suffix": " / 5"}], "4.5 / 5", "4.5"),
        ([{"remove_prefix": "star-rating "}, {"map": {"One": 1, "Two": 2, "Three": 3}}], "star-rating Three", "3"),
        (["price"], "£51.77", "51.77"),
        ([{"price": "currency"}], "£51.77", "£"),
        (["price"], "1.299,00 €", "1299.00"),
        ([{"price": {"part": "amount", "decimal_separator": ","}}], "12,5", "12.5"),
        ([{"date": {"format": "%d/%m/%Y"}}], "14/03/1879", "1879-03-14"),
        (["date"], "March 14, 1879", "1879-03-14"),
        ([{"date": {"languages": ["fr"]}}], "14 mars 1879", "1879-03-14"),
        ([{"number": {"decimal": ",", "thousands": "."}}], "1.299,50", "1299.50"),
        (["number"], "1,299", "1299"),
        ([{"bool": {"true": ["In stock"], "false": ["Sold out"]}}], "in stock", "true"),
        (["bool"], "OFF", "false"),
        ([{"default": "n/a"}], None, "n/a"),
    ],
)
def test_each_processor_on_good_input(processors, text, expected):
    assert _value([] if text is None else [text], processors=processors) == expected


@pytest.mark.parametrize(
    ("processors", "text", "message"),
    [
        (["price"], "call us", "price processor found no amount in 'call us'"),
        (
            [{"date": {"format": "%d/%m/%Y"}}],
            "March 14",
            "date processor (format '%d/%m/%Y') could not read 'March 14'",
        ),
        (["date"], "sometime soon-ish", "date processor could not read 'sometime soon-ish'"),
        (["number"], "twelve", "number processor could not read 'twelve'"),
        ([{"map": {"One": 1}}], "Seven", "map processor has no entry (of One) for 'Seven'"),
        (["bool"], "maybe", "bool processor knows no true or false word like 'maybe'"),
    ],
)
def test_a_processor_that_cannot_read_its_input_names_itself_and_the_text(processors, text, message):
    with pytest.raises(ProcessorFailed) as failed:
        _value([text], processors=processors)
    assert str(failed.value) == message


def test_whitespace_is_folded_first_unless_turned_off():
    assert _value(["  Tipping \n the  Velvet "]) == "Tipping the Velvet"
    assert _value(["a\n b"], fold_whitespace=False) == "a\n b"
    assert _value(["51", ".77"]) == "51 .77"  # matches of a single field are joined by a space


def test_lists_are_kept_split_processed_per_element_and_joined():
    assert _value([" love ", "life", " "], multiple=True) == ["love", "life"]
    assert _value(["love, life,,  books "], processors=[{"split": ","}]) == ["love", "life", "books"]
    assert _value(["£1.00", "£2.50"], multiple=True, processors=["price"]) == ["1.00", "2.50"]
    assert _value(["51", ".77"], multiple=True, processors=[{"join": ""}, "price"]) == "51.77"
    assert _value([], multiple=True) is None


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ({"processors": [{"frobnicate": 1}]}, "unknown processor 'frobnicate'"),
        ({"processors": [{"regex": "(a"}]}, "does not compile"),
        ({"processors": [{"regex": "(a)(b)"}]}, "has 2 groups"),
        ({"processors": [{"map": []}]}, "give a non-empty mapping"),
        ({"processors": [{"price": "cents"}]}, "give amount or currency"),
        ({"processors": [{"number": {"decimal": ",", "thousands": ","}}]}, "must differ"),
        ({"processors": [{"join": ","}]}, "'join' needs a list"),
        ({"multiple": True, "processors": [{"split": ","}]}, "'split' needs a single value"),
        ({"processors": [{"regex": "a", "strip": True}]}, "a processor is a name or a one-key mapping"),
    ],
)
def test_a_bad_processor_is_refused_at_load(spec, problem):
    with pytest.raises(ValidationError) as raised:
        FieldSpec.model_validate({"css": "p", **spec})
    assert problem in str(raised.value)
