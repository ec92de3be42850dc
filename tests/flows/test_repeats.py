"""The word-overlap score that decides which past reviews look like the same failure."""

from __future__ import annotations

from flows.repeats import MIN_SIMILARITY, similarity, terms


def test_terms_drop_stopwords_short_words_and_numbers_and_cut_endings() -> None:
    assert terms("The deploys were failing at 16:00 on Fridays") == {"deploy", "fail", "friday"}


def test_the_same_failure_in_other_words_scores_above_the_bar() -> None:
    a = terms("Checkout broke after the Friday deploy because the payment flag was left on")
    b = terms("Checkout outage after Friday deploy: the payment feature flag was on")
    assert similarity(a, b) >= MIN_SIMILARITY


def test_one_shared_common_word_is_not_a_repeat() -> None:
    a = terms("Checkout broke after the deploy")
    b = terms("Newsletter went out twice after the deploy")
    assert similarity(a, b) == 0.0


def test_unrelated_failures_score_below_the_bar() -> None:
    a = terms("Payment provider timeouts during the sale, checkout queue backed up")
    b = terms("Marketing email sent twice because the mailing job ran in two time zones")
    assert similarity(a, b) < MIN_SIMILARITY


def test_similarity_is_symmetric_and_one_for_the_same_text() -> None:
    a = terms("database failover took forty minutes")
    b = terms("failover of the database was slow")
    assert similarity(a, b) == similarity(b, a)
    assert similarity(a, a) == 1.0
