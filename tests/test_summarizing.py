"""Summaries: key sentences shortened one line each by the (scripted) model, every line cited and checked."""
from qa_bot.articles import make_article
from qa_bot.key_sentences import key_sentences
from qa_bot.summarizing import TOO_SHORT_NOTE, Summarizer, disagreements

from conftest import ScriptedGenerator


def test_key_sentences_are_lead_biased_and_in_order(seed_text):
    article = make_article(seed_text)
    key = key_sentences(article.text, 3, article.title)
    assert len(key) == 3 and [k.position for k in key] == sorted(k.position for k in key)
    assert key[0].text.startswith("Presidents Joe Biden and Vladimir Putin")
    assert all(article.text[k.start:k.end] == k.text for k in key)


# the seed article's key sentences shortened by deleting words, as the prompt asks
SEED_LINES = ("1. Biden and Putin spoke about Russian troop build-up near Ukraine.\n"
              "2. Mr Putin responded by warning that such a move could lead to a total severance of relations.\n"
              "3. Mr Putin had told Mr Biden that Russia would act as the US would if offensive weapons were "
              "stationed near US borders.")


def test_every_summary_sentence_cites_its_source_and_is_cached(tmp_path, seed_text):
    article = make_article(seed_text)
    gen = ScriptedGenerator(SEED_LINES)
    summary = Summarizer(gen, tmp_path)(article)
    assert summary.words <= 80 and summary.sentences and summary.checked == 3
    assert summary.summary == " ".join(s.text for s in summary.sentences)
    for sentence in summary.sentences:
        assert sentence.sources
        for src in sentence.sources:
            assert src.article_id == article.id and 0 <= src.start < src.end <= len(article.text)
    data = summary.to_dict()
    assert {"text", "sources"} <= set(data["sentences"][0]) and {"article_id", "start", "end"} <= set(data["sentences"][0]["sources"][0])
    again = Summarizer(gen, tmp_path)(article)  # no scripted reply left: must come from the cache
    assert again.cached and again.summary == summary.summary and again.sentences == summary.sentences


def test_a_line_that_disagrees_with_its_source_is_replaced_by_it(tmp_path, seed_text):
    article = make_article(seed_text)
    gen = ScriptedGenerator("1. Biden and Putin agreed on Ukraine in Helsinki.\n2. Putin warned Biden.\n3. Fine.")
    summary = Summarizer(gen, tmp_path)(article)
    assert "Helsinki" not in summary.summary and summary.unsupported == []
    first = summary.sentences[0]
    assert first.text == article.text[first.sources[0].start:first.sources[0].end]


def test_negation_and_names_are_checked():
    source = "Obama broke his promise to use the word genocide."
    assert "negation" in disagreements("Obama has used the word genocide.", source)
    assert disagreements("Obama broke his promise to use the word genocide.", source) == []
    assert "negation" in disagreements("Biden did not warn Putin.", "Biden warned Putin.")
    assert "Merkel" in disagreements("Merkel warned Putin.", "Biden warned Putin.")


def test_too_short_article_is_returned_with_a_note(tmp_path):
    article = make_article("New AI chip unveiled by startup today.")
    summary = Summarizer(ScriptedGenerator(), tmp_path)(article)  # the model is never asked
    assert summary.note == TOO_SHORT_NOTE and summary.summary == article.text
    assert summary.sentences[0].sources[0].end == len(article.text)


def test_bullets_are_one_line_per_sentence(tmp_path, seed_text):
    gen = ScriptedGenerator("1. Biden and Putin talked about Ukraine.\n2. Putin warned Biden.\n"
                            "3. Russian officials requested the call.\n4. Talks are due in Geneva on Jan. 10.")
    summary = Summarizer(gen, tmp_path)(make_article(seed_text), length="bullets")
    lines = summary.summary.split("\n")
    assert all(line.startswith("- ") for line in lines) and len(lines) == len(summary.sentences)


SKI = ("Ski resorts busy\n\nSince late November, Scotland's five mountain resorts have attracted 373,782 customers, "
       "the industry body said on Monday. The season has been the best in a decade, the body said, with snow on "
       "every weekend since the start of December. Operators hired more staff and opened new runs to cope with "
       "the crowds, and hotels near the slopes report bookings well into the spring.")


def test_number_split_by_the_model_is_rejoined_and_not_flagged(tmp_path):
    article = make_article(SKI)
    summary = Summarizer(ScriptedGenerator("1. Scotland's five mountain resorts have attracted 373, 782 customers.\n"
                                           "2. The season has been the best in a decade."), tmp_path)(article)
    assert summary.summary.startswith("Scotland's five mountain resorts have attracted 373,782 customers.")
    assert summary.unsupported == []


def test_several_articles_keep_per_sentence_sources(tmp_path, seed_text):
    a = make_article(seed_text)
    b = make_article(SKI)
    gen = ScriptedGenerator("1. Biden and Putin spoke about Ukraine.", "1. Scotland's resorts attracted 373,782 customers.")
    summary = Summarizer(gen, tmp_path)([a, b])
    assert {s.sources[0].article_id for s in summary.sentences} == {a.id, b.id}


def test_examples_come_from_the_library(seed_text):
    from qa_bot.examples import example_questions

    questions = example_questions([make_article(seed_text)])
    assert questions[-1] == "Give me a short summary" and "Who is Dmitry Peskov?" in questions
    assert example_questions([]) == ["Give me a short summary"]


def test_lines_beyond_the_key_sentences_are_not_taken(tmp_path, seed_text):
    """The model may go on writing ('Badger was dangerous. Badger was aggressive. ...'): one line per key
    sentence is all a summary takes."""
    article = make_article(seed_text)
    gen = ScriptedGenerator(SEED_LINES + "\n"
                            "4. Biden was warned by Putin about Ukraine.\n"
                            "5. Putin was on the call with Biden.")
    summary = Summarizer(gen, tmp_path)(article)
    assert len(summary.sentences) == 3 and "warned by Putin" not in summary.summary


STABBING = ("Player stabbed\n\nThe Indiana Pacers' Chris Copeland and his wife were stabbed during an early-morning "
            "argument after they left a popular New York club on Wednesday, according to reports. When Copeland, "
            "who used to play for the New York Knicks, told the man to back off, the suspect allegedly pulled out "
            "a knife. Police arrested the suspect at the scene and took him to a nearby precinct for questioning. "
            "Copeland is in town to play his former team, the Knicks, tonight.")


def summarise_stabbing(tmp_path, *lines: str):
    """The STABBING article summarised from the model lines given (numbered 1, 2, ...)."""
    reply = "\n".join(f"{n}. {line}" for n, line in enumerate(lines, 1))
    return Summarizer(ScriptedGenerator(reply), tmp_path)(make_article(STABBING))


def test_a_reworded_line_is_replaced_by_its_source_up_to_a_clause_end(tmp_path):
    """Rewording is where the model's errors are: such a line is replaced by a part of its source."""
    summary = summarise_stabbing(
        tmp_path, "Copeland and his wife were stabbed during an early-morning fight after they left a New York club.",
        "Copeland told the man to back off.", "Copeland is in town to play the Knicks tonight.")
    texts = [s.text for s in summary.sentences]
    assert texts[0] == ("The Indiana Pacers' Chris Copeland and his wife were stabbed during an early-morning "
                        "argument after they left a popular New York club on Wednesday.")
    assert "Copeland is in town to play the Knicks tonight." in texts  # a line that only deletes words stays
    assert summary.checked == 2


def test_a_short_reworded_line_whose_source_is_long_is_left_out_for_the_next_key_sentence(tmp_path, monkeypatch):
    """'Copeland warned the man' rewords 'told the man to back off'; its faithful form is far longer, so
    the line is left out and the next key sentence takes its place, as written."""
    import qa_bot.summarizing as summarizing

    lines = ("Copeland and his wife were stabbed during an early-morning argument.", "Copeland warned the man.",
             "Copeland is in town to play the Knicks tonight.")
    summary = summarise_stabbing(tmp_path, *lines)
    assert "warned" not in summary.summary and "pulled out a knife" not in summary.summary
    assert [s.text for s in summary.sentences][1:] == [
        "Police arrested the suspect at the scene and took him to a nearby precinct for questioning.",
        "Copeland is in town to play the Knicks tonight."]
    assert summary.checked == 2
    monkeypatch.setattr(summarizing, "FILL_IN", False)
    assert len(summarise_stabbing(tmp_path / "lean", *lines).sentences) == 2


def test_a_line_written_as_a_headline_is_replaced_by_its_source():
    """Words of the source in its order, but the articles before kept words dropped: not a sentence to trust."""
    from qa_bot.summarizing import _headline

    source = ("A Darwin woman has become a TV sensation in the Philippines, earning a legion of adoring fans in "
              "southeast Asia and an award nomination.")
    assert _headline("Darwin woman TV sensation Philippines fans Southeast Asia award nomination.", source)
    assert not _headline("A Darwin woman has become a TV sensation in the Philippines.", source)
    # no article dropped, but the function words are: "were", "to", "in", "on"
    assert _headline("Police called Boonies Bar Tampa Saturday.",
                     "Police were called to Boonies Bar in Tampa on Saturday after a woman refused to leave.")
    assert not _headline("Scotland's five resorts have attracted 373,782 customers.",
                         "Since November, Scotland's five mountain resorts have attracted 373,782 customers.")
    # a form of "be" dropped before a kept word is headline style too; a dropped "had" is not
    source = "Blues legend B.B. King was hospitalized for dehydration, though the ailment didn't keep him out."
    assert _headline("King hospitalized for dehydration.", source)
    assert not _headline("B.B. King was hospitalized for dehydration.", source)
    assert not _headline("Officials said al-Douri died in fighting.",
                         "Iraqi officials said Izzat Ibrahim al-Douri had died in fighting with troops.")
    # a preposition kept without the start of its object joins the words left to another meaning
    source = "Spahic was substituted in the 90th minute with an ankle injury as Bayer crashed out."
    assert _headline("Spahic was substituted in with injury.", source)
    assert not _headline("Spahic was substituted in the 90th minute.", source)
    # a sentence cut short keeps the function words of the part it keeps; a fragment from inside one does not
    source = ("Herrera netted a brace against Aston Villa on Saturday afternoon without actually looking at the "
              "goal as his eyes appeared to be shut when making contact with the ball.")
    assert not _headline("Herrera netted a brace against Aston Villa.", source)
    source = ("But where she wore prosthetics to achieve the sharp cheekbones, Promise's bone structure is a result "
              "of contouring.")
    assert _headline("Promise's bone structure.", source)


def test_a_line_that_leaves_out_a_condition_or_hedge_is_caught():
    """Deleting "if ..." or "claimed" changes what the sentence says; deleting "police said" does not."""
    from qa_bot.summarizing import drops_qualifier

    assert drops_qualifier("There will be no public holiday on Anzac Day.",
                           "There will be no public holiday on Anzac Day if it falls on a Saturday.") == ["if"]
    assert drops_qualifier("March questioned her husband about Jones.",
                           "A newspaper claimed March questioned her husband about Jones.") == ["claimed"]
    assert drops_qualifier("He faces ten years in prison.", "He could face ten years in prison.") == ["could"]
    assert drops_qualifier("Five restaurants serve shark fin.", "Five restaurants are believed to serve shark fin.") \
        == ["believed"]
    assert drops_qualifier("He pleaded guilty.", "He pleaded guilty when he appeared in court.") == []
    assert drops_qualifier("The mayor resigned on Monday.", "The mayor resigned on Monday, police said.") == []
    # a hedge inside an aside the line leaves out whole qualifies only that aside
    assert drops_qualifier("Roach gave up clothes for Lent.",
                           "Roach, who nearly died in a crash, gave up clothes for Lent.") == []
    assert drops_qualifier("The man fled.", "The man, police said, allegedly fled.") == ["allegedly"]


def test_a_summary_line_without_its_sources_condition_is_replaced(tmp_path, seed_text):
    article = make_article(seed_text)
    lines = SEED_LINES.replace(" if offensive weapons were stationed near US borders", "")
    summary = Summarizer(ScriptedGenerator(lines), tmp_path)(article)
    assert summary.checked == 2 and "if offensive weapons were stationed near US borders" in summary.summary


def test_a_line_with_words_its_source_lacks_is_replaced(tmp_path):
    summary = summarise_stabbing(tmp_path,
                                 "Copeland and his wife were stabbed after a long argument in a club, police fear.")
    assert "fear" not in summary.summary and summary.sentences[0].text.startswith("The Indiana Pacers'")


def test_a_line_about_another_sentence_is_dropped_and_lines_keep_article_order(tmp_path):
    summary = summarise_stabbing(tmp_path, "Knicks fans cheered loudly tonight.",
                                 "Police arrested the suspect at the scene.")
    assert "cheered" not in summary.summary
    starts = [s.sources[0].start for s in summary.sentences]
    assert starts == sorted(starts) and summary.sentences[0].text.startswith("The Indiana Pacers'")


def test_asides_are_cut_from_a_replacement():
    from qa_bot.summarizing import without_asides

    assert without_asides("Bader – who lost his legs in 1931 – was shot down over France in August 1941.") == \
        "Bader was shot down over France in August 1941."
    assert without_asides("When Copeland, who used to play for the Knicks, told the man to back off, he ran.") == \
        "When Copeland told the man to back off, he ran."
    assert without_asides("According to police, Mr Docherty hired the victim to lay concrete.") == \
        "Mr Docherty hired the victim to lay concrete."
    assert without_asides("Short (very).") == "Short (very)."  # too little left: kept whole
    assert without_asides("The mayor, who was elected in 2010, however, resigned on Monday after the vote.") == \
        "The mayor resigned on Monday after the vote."
    place = "McHenry found herself in the news, after a video showed her at a tow company in Arlington, Virginia."
    assert without_asides(place) == place  # the comma of "Arlington, Virginia" does not close an aside


def test_a_sentence_repeated_by_a_caption_is_one_key_sentence():
    text = ("Bridge opens\n\nMayor Ana Ruiz opened the new river bridge on Friday after three years of work. "
            "Mayor Ana Ruiz opened the new river bridge on Friday . Traffic is expected to ease in the old "
            "town centre within weeks, officials said. The bridge cost 40 million euros and carries two lanes "
            "and a cycle path.")
    key = key_sentences(text, 3, "Bridge opens")
    assert len(key) == 3 and sum("opened the new river bridge" in k.text for k in key) == 1


def test_a_sentence_starting_with_a_pronoun_is_a_key_sentence_only_beside_one_naming_them():
    """"They were rejected ..." without the sentence naming them leaves a reader asking who."""
    text = ("Budget vote\n\nThe council met on Monday to vote on the city budget for next year. Weather in "
            "the city was mild and dry for most of the day on Monday. Traffic on the ring road was light all day. "
            "Two councillors proposed deep budget cuts to the city parks. They were rejected by the council budget "
            "vote, seven votes to two. The budget passed on Monday.")
    key = [k.text for k in key_sentences(text, 3, "Budget vote")]
    assert key[-1].startswith("Two councillors")  # not "They were rejected", three sentences after the last
    key = [k.text for k in key_sentences(text, 4, "Budget vote")]
    assert key[-2:] == [key[-2], "They were rejected by the council budget vote, seven votes to two."] \
        and key[-2].startswith("Two councillors")


def test_a_caption_restating_a_sentence_in_other_words_is_a_repeat():
    from qa_bot.key_sentences import repeats

    story = "Mayor Ana Ruiz opened the new river bridge on Friday after three years of work."
    assert repeats(story, "Ruiz has opened the river bridge that took three years to build .")
    assert not repeats(story, "Traffic is expected to ease in the old town centre within weeks, officials said.")


def test_a_possessive_the_source_lacks_is_a_new_relation():
    from qa_bot.summarizing import _new_words

    source = "Bobby Flay left his wife, actress Stephanie March, and his wife is unhappy with the prenup."
    assert _new_words("Stephanie March's wife is unhappy with the prenup.", source) == ["March's"]
    assert _new_words("Bobby Flay's wife is unhappy.", "Bobby Flay's wife is unhappy with the prenup.") == []


def test_a_second_line_restating_a_summarised_sentence_is_not_taken(tmp_path):
    summary = summarise_stabbing(tmp_path, "Copeland told the man to back off.",
                                 "When Copeland told the man to back off, the suspect pulled out a knife.",
                                 "Copeland is in town to play the Knicks tonight.")
    cited = [tuple((s.start, s.end) for s in sentence.sources) for sentence in summary.sentences]
    assert len(cited) == len(set(cited)) and "the suspect pulled out a knife" not in summary.summary


def test_the_lead_key_sentence_is_never_left_out(tmp_path):
    """A reworded first line whose faithful form is long still gives the summary its main fact."""
    summary = summarise_stabbing(tmp_path, "Copeland stabbed wife in early morning argument.",
                                 "Copeland told the man to back off.")
    assert summary.sentences[0].text.startswith("The Indiana Pacers' Chris Copeland and his wife were stabbed")


def test_a_summary_sentence_is_shown_tidy_and_cited_as_written():
    """A caption's " ." and doubled spaces are not shown; the source offsets still point at the article."""
    from qa_bot.summarizing import SentenceSource, SummarySentence

    line = SummarySentence("Players  were trained on Wednesday ahead of their match , officials said .",
                           [SentenceSource("a1", 10, 84)])
    assert line.text == "Players were trained on Wednesday ahead of their match, officials said."
    assert (line.sources[0].start, line.sources[0].end) == (10, 84)


def test_a_line_over_the_word_budget_is_skipped_and_a_shorter_one_after_it_kept():
    from qa_bot.summarizing import SummarySentence, _within

    lines = [SummarySentence(" ".join(["lead"] * 30) + "."), SummarySentence(" ".join(["long"] * 60) + "."),
             SummarySentence(" ".join(["short"] * 10) + ".")]
    assert [len(s.text.split()) for s in _within(lines, 80)] == [30, 10]
    assert [len(s.text.split()) for s in _within(lines[1:2], 10)] == [60]  # at least one line


def test_a_line_that_leaves_out_one_word_inside_what_it_keeps_is_caught():
    """"gave up clothes" from "gave up ordinary clothes" says something else; a whole clause left out does not."""
    from qa_bot.summarizing import drops_modifier

    assert drops_modifier("Roach gave up clothes for Lent.", "Roach gave up ordinary clothes for Lent.") == ["ordinary"]
    assert drops_modifier("The memo says the UK may not be relevant.",
                          "The memo says the UK may not be centrally relevant.") == ["centrally"]
    assert drops_modifier("The number plate was a reference to the war.",
                          "The number plate that got the presenters chased out of Argentina was a reference to "
                          "the war.") == []
    assert drops_modifier("The mayor resigned.", "The mayor, angry, resigned.") == []
    assert drops_modifier("The mayor resigned.", "The mayor has resigned.") == []
    assert drops_modifier("Biden and Putin spoke.", "Joe Biden and Vladimir Putin spoke.") == []  # a name
    assert drops_modifier("The Duchess is a suffragette.", "The Duchess is a modern-day suffragette.") == ["modern-day"]
    assert drops_modifier("Smith is a star.", "Smith is a Hollywood-based star.") == []  # a name's part


def test_a_source_shortened_for_a_reworded_line_does_not_end_inside_a_quotation(tmp_path):
    """Cut at ", including", the quotation would end where its speaker did not end it."""
    from qa_bot.summarizing import _lead_in

    sentence = ('The planned voluntary rules would cover "integrated electronic devices, including mobile phones", '
                "officials said on Monday.")
    assert _lead_in(sentence, 40) == \
        'The planned voluntary rules would cover "integrated electronic devices, including mobile phones".'
    curly = "The rules would cover “integrated electronic devices, including mobile phones” from May."
    assert _lead_in(curly, 30) == curly
    assert _lead_in("The mayor of the city said it was a sad day, according to reports.", 20) == \
        "The mayor of the city said it was a sad day."


def test_a_caption_label_is_left_out_but_not_an_attribution():
    from qa_bot.summarizing import without_label

    assert without_label("Fighter ace: Douglas Bader's story is to be told in a Hollywood film.") == \
        "Douglas Bader's story is to be told in a Hollywood film."
    for kept in ("Police said: The suspect fled the scene on foot after the attack.",  # who says it
                 "Defiant: 'I will not resign,' she said on Monday night.",  # the label says who speaks
                 "Warning: Graphic content.",  # too little left
                 "Law & Order: SVU star Stephanie March has filed for divorce, her lawyer said.",  # a title
                 "A caption label that runs on far too long: The rest is a sentence of its own."):
        assert without_label(kept) == kept


def test_a_key_sentence_the_model_skipped_stands_for_itself_without_its_asides(tmp_path):
    summary = summarise_stabbing(tmp_path, "The Indiana Pacers' Chris Copeland and his wife were stabbed.")
    skipped = [s for s in summary.sentences if s.text.startswith("When Copeland")]
    assert skipped and skipped[0].text == "When Copeland told the man to back off, the suspect allegedly pulled out a knife."
    source = skipped[0].sources[0]
    assert make_article(STABBING).text[source.start:source.end].startswith("When Copeland, who used to play")


def test_a_line_that_leaves_out_a_restriction_after_a_negation_is_caught():
    """"No holiday when it falls on a Saturday" is not "No holiday"; "pleaded guilty when ..." is "pleaded guilty"."""
    from qa_bot.summarizing import drops_restriction

    source = "Under the pact, no public holiday is triggered when Anzac Day falls on a Saturday, as it does this year."
    assert drops_restriction("No public holiday on Anzac Day.", source) == ["triggered", "falls", "Saturday"]
    assert drops_restriction("He did not attend the meeting.", "He did not attend the meeting on Tuesday.") == \
        ["Tuesday"]
    assert drops_restriction("He pleaded guilty.", "He pleaded guilty when he appeared in court.") == []
    assert drops_restriction("Police did not name the man.", "Police did not name the man, who is 45.") == []
    assert drops_restriction("The mayor did not resign.", "The mayor did not resign.") == []


def test_an_aside_that_what_follows_leans_on_is_kept():
    """A relative clause about the phrase's noun, or the rest of a list it starts, needs the phrase."""
    from qa_bot.summarizing import without_asides

    assert without_asides("The pair married at the Cancer Center, after John, who was to turn 31 tomorrow, was "
                          "told his cancer was terminal.") == \
        "The pair married at the Cancer Center, after John was told his cancer was terminal."
    listed = "We bring you every fixture, with team news, provisional squads, betting odds and Opta stats."
    assert without_asides(listed) == listed
    assert without_asides("The mayor, in a statement on Monday, said he would resign after the vote.") == \
        "The mayor said he would resign after the vote."


def test_a_line_that_is_a_fragment_of_its_source_is_caught():
    """A line cut off before what its last word needs, or starting inside its source with a preposition's
    object, a dependent clause or a word in another form, is not a sentence a reader can trust."""
    from qa_bot.summarizing import _fragment

    fragments = {
        "Mangala joined from Porto and is contracted to City until.":
            "Mangala joined from Porto and is contracted to City until June 2019.",
        "Divorce can wreck retirement.":
            "The cost of divorce can wreck retirement many years after the break-up of a marriage.",
        "As 14 million working households receive a tax cut.":
            "David Cameron will say that high taxes are 'immoral' as 14 million working households receive a tax cut.",
        "The prize made her.":  # "her" begins what follows: "her famous"
            "The prize made her famous across Europe.",
        "Round penis compared to other macaques.":
            "The white-cheeked macaque, from Tibet, has a distinctive rounded penis compared to other macaques.",
    }
    sentences = {
        "Biden and Putin spoke about the troop build-up.":  # what comes before a subject may go
            "Presidents Joe Biden and Vladimir Putin spoke about the troop build-up near Ukraine.",
        "The BBC claimed it was an 'unhappy coincidence'.":
            "While the BBC claimed the plate was an 'unhappy coincidence', Maria Barrionuevo said they were provoking people.",
        "Maria Barrionuevo said they were provoking people.":  # a clause after a comma
            "While the BBC claimed the plate was an 'unhappy coincidence', Maria Barrionuevo said they were provoking people.",
        "Spahic was substituted in the 90th minute.":  # cut short where a clause ends
            "Spahic was substituted in the 90th minute as Bayer crashed out of the cup.",
        "He told her.":  # "her" is the object here, not the start of "her plan"
            "He told her about the plan on Monday.",
    }
    assert all(_fragment(line, source) for line, source in fragments.items())
    assert not any(_fragment(line, source) for line, source in sentences.items())


def test_a_fragment_line_is_replaced_by_its_source(tmp_path):
    summary = summarise_stabbing(
        tmp_path, "The Indiana Pacers' Chris Copeland and his wife were stabbed.",
        "When Copeland told the man to back off, the suspect allegedly pulled out a knife.",
        "Copeland is in town to play his.")
    texts = [s.text for s in summary.sentences]
    assert texts[-1] == "Copeland is in town to play his former team, the Knicks, tonight."
    assert summary.checked == 2


def test_an_agency_dateline_is_left_out():
    from qa_bot.summarizing import without_label

    assert without_label("(CNN) Britt McHenry found herself in the news, rather than reporting on it.") == \
        "Britt McHenry found herself in the news, rather than reporting on it."
    assert without_label("(CNN)Blues legend B.B. King was hospitalized for dehydration.") == \
        "Blues legend B.B. King was hospitalized for dehydration."
    assert without_label("(pictured) she said so on Monday night.") == "(pictured) she said so on Monday night."
