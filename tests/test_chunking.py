from qa_bot.articles import make_article
from qa_bot.chunking import chunk_article, split_sentences


def test_passages_round_trip_to_article_text(seed_text):
    article = make_article(seed_text)
    passages = chunk_article(article.id, article.text, target_chars=500, max_chars=900, overlap_sentences=1)
    assert len(passages) > 3
    for p in passages:
        assert article.text[p.start:p.end] == p.text
        assert len(p.text) <= 900
    # every sentence of the article is inside some passage
    covered = set()
    for p in passages:
        covered.update(range(p.start, p.end))
    for s, e in split_sentences(article.text):
        assert s in covered and e - 1 in covered


def test_neighbouring_passages_overlap_by_one_sentence(seed_text):
    article = make_article(seed_text)
    passages = chunk_article(article.id, article.text, 500, 900, overlap_sentences=1)
    for a, b in zip(passages, passages[1:]):
        assert b.start < a.end, "expected an overlapping sentence"


def test_abbreviations_do_not_split_sentences():
    text = "Mr. Smith met Dr. Jones at 5 p.m. on Jan. 10. They talked. U.S. officials agreed."
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences[0] == "Mr. Smith met Dr. Jones at 5 p.m. on Jan. 10."
    assert sentences[-1] == "U.S. officials agreed."


def test_overlong_sentence_is_cut_at_word_boundaries():
    text = " ".join(["word"] * 600) + "."
    passages = chunk_article("x", text, target_chars=300, max_chars=400, overlap_sentences=0)
    assert len(passages) > 5
    for p in passages:
        assert len(p.text) <= 400
        assert text[p.start:p.end] == p.text
        assert not p.text.startswith(" ")
