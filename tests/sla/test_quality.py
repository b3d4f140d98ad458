"""Reply quality: each signal, the hard cases, and the story the feature exists for.

Pure functions over strings, no database.
"""

import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.fingerprints import reply_fingerprint
from sla.quality import GENERIC_THRESHOLD, Assessment, RecentReply, assess_reply

FORWARDED = """Hi {name},

Thank you for contacting us. We have forwarded your request to the relevant department and \
they will get back to you as soon as possible.

We apologize for any inconvenience this may have caused.

Kind regards,
{agent}
Customer Care Team"""


def forwarded(name, agent="Julia"):
    return FORWARDED.format(name=name, agent=agent)


# --- the story ----------------------------------------------------------------------------

STORY_QUESTION = """Report button disabled

Hello,
since yesterday the report button is disabled for me. I reported about 35 listings selling \
fake KET-200 kettles in the last weeks and none was rejected. Why is the report button \
disabled on my account, and when will it work again?

Thank you,
Maria Ionescu"""
STORY_REPHRASED = (
    STORY_QUESTION
    + """

Let me put it more simply: on every listing the "Report" button is grey and cannot be \
clicked. Did you block me from reporting? For how long?"""
)
POLITE_1 = """Dear Maria,

Thank you for contacting us and for helping us keep our marketplace safe. We take all reports \
very seriously and our team reviews each of them carefully. We appreciate your patience and \
understanding.

Kind regards,
Daniel
Marketplace Integrity"""
POLITE_2 = """Dear Maria,

Thank you for contacting us and for helping us keep our marketplace safe. We take all reports \
seriously and our team reviews each of them carefully. We appreciate your patience and your \
understanding.

Kind regards,
Elena
Marketplace Integrity"""
ANSWER = """Dear Maria,

Sorry, we should have told you. Accounts can send 30 reports per 24 hours; you reached that \
limit yesterday at 14:20, so the button was disabled until it reset at midnight. It works \
again now. As all 35 of your reports were upheld, I have raised your limit to 100 per day.

Kind regards,
Elena
Marketplace Integrity"""


def test_story_first_polite_signed_reply_that_answers_nothing_is_generic():
    assessment = assess_reply(STORY_QUESTION, POLITE_1)

    assert assessment.generic
    assert assessment.reasons == ["Shares no key term with the question: 'Report button disabled'"]


def test_story_second_reply_is_generic_and_the_same_as_the_previous_one():
    assessment = assess_reply(STORY_QUESTION, POLITE_2, previous_replies=[POLITE_1])

    assert assessment.generic
    assert assessment.score >= 0.9
    assert assessment.reasons[0] == (
        "Shares no key term with the question: 'Report button disabled'"
    )
    assert assessment.reasons[1].startswith("Nearly the same as the previous reply on this ticket")


def test_story_third_reply_after_she_rephrased_answers():
    assessment = assess_reply(STORY_REPHRASED, ANSWER, previous_replies=[POLITE_1, POLITE_2])

    assert assessment == Assessment(generic=False, score=0.0, reasons=[])


# --- short specific answers ---------------------------------------------------------------


def test_short_specific_voltage_answer_is_not_generic():
    assessment = assess_reply(
        "KET-200 voltage\n\nDoes the KET-200 work on 230 V?", "Yes, it runs on 220-240 V, 50 Hz."
    )

    assert not assessment.generic
    assert assessment.reasons == []


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        (
            "Shipping to Canada\n\nHow long does delivery to Canada take?",
            "7-10 business days with tracking, or 3-4 with Express (24 EUR).",
        ),
        ("Error E7\n\nVR-9 says E7 and stops. What is this?", "E7 = a wheel is blocked."),
        (
            "Where is the serial number?\n\nWhere is the serial number on the KET-200?",
            "On the silver sticker under the power base, starting with KB-.",
        ),
        ("cancel\n\nhow do i cancel? i dont see a button", "Account > Subscription > Cancel."),
        ("kettle\n\nis the KET-200 BPA free", "Yes. All parts that touch water are BPA-free."),
    ],
)
def test_short_answers_in_other_words_than_the_question_are_not_generic(question, reply):
    assert not assess_reply(question, reply).generic


# --- no key term: a courteous reply to another question -------------------------------------


def test_long_courteous_reply_to_a_different_question_is_generic():
    question = (
        "KET-200 voltage\n\nDoes the KET-200 work on 230 V? I want to buy it for my mother "
        "in Romania."
    )
    reply = """Hi Ioana,

Thank you so much for your interest in our products! The KET-200 is one of our most popular \
models and we are sure your mother will love it. It features a 1.7 litre capacity, a brushed \
steel finish, a 360-degree swivel base and a removable limescale filter. It comes in silver, \
black and cream.

Warm regards,
Julia"""

    assessment = assess_reply(question, reply)

    assert assessment.generic
    assert assessment.score == 0.8
    assert assessment.reasons == ["Shares no key term with the question: 'voltage', '230'"]


def test_echoing_one_term_while_leaving_out_the_question_is_generic():
    question = (
        "Can I add photos to my review?\n\nI wrote a review of the kettle and want to add "
        "photos of the limescale."
    )
    reply = (
        "Thank you for your message. All reviews are checked by our moderation team against "
        "our community guidelines, which keeps the platform safe and useful for everyone. We "
        "appreciate your understanding."
    )

    assessment = assess_reply(question, reply)

    assert assessment.generic
    assert assessment.reasons[0].startswith("Touches the question only through 'review'")
    assert "'add photos'" in assessment.reasons[0]


# --- stock phrases ------------------------------------------------------------------------


def test_stock_phrases_with_little_else_are_generic_and_quoted():
    assessment = assess_reply(
        "Left earbud quieter\n\nThe left EB-3 earbud is much quieter than the right one.",
        "Thank you for contacting us. We value your feedback. We apologize for any "
        "inconvenience. Please allow 3-5 business days.",
    )

    assert assessment.generic
    assert assessment.reasons[0] == (
        "Mostly stock phrases: 'thank you for contacting us', 'we value your feedback', "
        "'we apologize for any inconvenience'"
    )


def test_a_holding_reply_that_only_echoes_the_question_is_generic():
    assessment = assess_reply(
        "Robot doesn't connect to wifi\n\nThe app can't find my VR-9 during setup.",
        "Thank you for contacting us about your VR-9 connecting to Wi-Fi. We have forwarded "
        "your request to our technical department, who will get back to you as soon as "
        "possible.",
    )

    assert assessment.generic
    assert any(reason.startswith("Mostly stock phrases") for reason in assessment.reasons)


def test_a_specific_answer_wrapped_in_stock_politeness_is_not_generic():
    assessment = assess_reply(
        "Refund for broken kettle\n\nThe kettle I received was cracked. I want my money back. "
        "Order 60317.",
        """Dear Mr. Brown,

Thank you for contacting us, and we apologize for any inconvenience. I have refunded order \
60317 in full today (49.99 EUR to your Visa ending 4410); please allow 3-5 business days for \
it to show. You don't need to send the kettle back.

Kind regards,
Nora""",
    )

    assert not assessment.generic


def test_a_reply_that_is_only_a_greeting_and_a_signature_is_generic():
    assert assess_reply("Where is my order?", "Hi Tom,\n\nKind regards,\nAnna") == Assessment(
        True, 1.0, ["Says nothing beyond a greeting and a signature"]
    )


# --- repeats ------------------------------------------------------------------------------


def test_the_same_reply_again_is_generic():
    question = "Where is my order 55012?\n\nTracking hasn't moved since Friday."
    reply = (
        "Order 55012 is at the DPD depot in Leipzig; it should arrive on Thursday. You will "
        "get a tracking update tonight."
    )

    assessment = assess_reply(question, reply, previous_replies=[reply])

    assert assessment.generic
    assert assessment.reasons == ["Same as the previous reply on this ticket"]


def test_a_near_repeat_of_an_earlier_reply_is_generic():
    earlier = (
        "The schedule uses the robot's clock, which is set from the time zone in the app. "
        "Check App > Settings > Time zone, then save the schedule again."
    )
    again = (
        "The schedule uses the robot's clock, which is set from the time zone in the app. "
        "Please check App > Settings > Time zone, then save the schedule again."
    )

    assessment = assess_reply(
        "Schedule not working\n\nThe schedule never starts. Time zone is correct.",
        again,
        previous_replies=[earlier, "Thanks, I have updated your ticket."],
    )

    assert assessment.generic
    assert assessment.reasons[0].startswith("Nearly the same as an earlier reply on this ticket (")


def test_a_new_answer_after_a_specific_first_reply_is_not_generic():
    first = "Check App > Settings > Time zone, then save the schedule again."
    follow_up = (
        "Then it is the known bug in firmware 3.1.8: delete the schedule, restart the robot "
        "and create it again. Firmware 3.2.1 fixes it."
    )

    assessment = assess_reply(
        "Schedule not working\n\nThe schedule never starts.\n\nTime zone is correct.",
        follow_up,
        previous_replies=[first],
    )

    assert not assessment.generic


# --- templates reused across tickets ------------------------------------------------------


def test_a_template_reused_on_tickets_with_different_questions_is_generic():
    recent = [
        RecentReply(forwarded("Peter"), "Where is my order 55012? It should have come Monday."),
        RecentReply(forwarded("Sam", "Tom"), "I was charged twice for my subscription.", 4),
        RecentReply(forwarded("Lucia"), "How do I pair my headphones with a second phone?", 9),
    ]

    assessment = assess_reply(
        "Kettle shows E42\n\nMy KET-200 shows error E42 and switches off. What does it mean?",
        forwarded("Mrs. Novak"),
        recent_replies=recent,
    )

    assert assessment.generic
    assert "Reused on 14 other tickets with different questions" in assessment.reasons


def test_a_faq_template_reused_on_the_same_question_is_fine():
    template = (
        'Hi {name},\n\nTo reset your password, click "Forgot password?" on the login page '
        "and enter the e-mail address of your account. The link is valid for 60 minutes.\n\n"
        "Best regards,\nKim"
    )
    recent = [
        RecentReply(template.format(name="Joan"), "How can I reset my password? I forgot it."),
        RecentReply(template.format(name="Ray"), "Can't log in, need a new password please", 40),
    ]

    assessment = assess_reply(
        "Forgot my password\n\nI forgot my password and can't log in. How do I reset it?",
        template.format(name="Ali"),
        recent_replies=recent,
    )

    assert assessment == Assessment(generic=False, score=0.0, reasons=[])


def test_stored_fingerprints_give_the_same_verdict_as_texts():
    rows = [
        (forwarded("Peter"), "Where is my order 55012? It should have come Monday.", 1),
        (forwarded("Sam", "Tom"), "I was charged twice for my subscription.", 4),
        ("E42 means dry-boil protection: fill it above MIN.", "What does E42 mean?", 2),
    ]
    question = "Kettle shows E42\n\nMy KET-200 shows error E42. What does it mean?"
    as_text = [RecentReply(text, asked, count) for text, asked, count in rows]
    stored = [RecentReply(t, a, c, reply_fingerprint(t)) for t, a, c in rows]

    by_text = assess_reply(question, forwarded("Ana"), recent_replies=as_text)
    by_fingerprint = assess_reply(question, forwarded("Ana"), recent_replies=stored)

    assert by_text == by_fingerprint
    assert "Reused on 5 other tickets with different questions" in by_text.reasons


def test_plain_string_recent_replies_count_as_reuses_of_unknown_questions():
    assessment = assess_reply(
        "Hair tangled in brush\n\nLong hair wraps around the main brush. Is there a better one?",
        forwarded("Sara"),
        recent_replies=[forwarded("Harry"), forwarded("Ines"), "Something else entirely here."],
    )

    assert assessment.generic
    assert "Reused on 2 other tickets" in assessment.reasons


# --- asking for what the ticket already contains ------------------------------------------


def test_asking_for_the_order_number_and_photo_already_given_is_generic():
    assessment = assess_reply(
        "Kettle lid won't close\n\nThe lid pops open while boiling. Photo of the hinge "
        "attached. Order 55012.",
        "Hi David,\n\nSorry to hear that! Could you please send us a photo of the hinge and "
        "your order number?\n\nBest,\nMarek",
    )

    assert assessment.generic
    assert assessment.reasons[:2] == [
        "Asks for the order number, which the customer already gave: 55012",
        "Asks for a photo, which the customer already gave: 'Photo of the hinge attached'",
    ]


@pytest.mark.parametrize(
    ("question", "reply", "reason"),
    [
        (
            "Tracking\n\nThe tracking number 1Z999AA10123456784 says 'not found' on UPS.",
            "Could you please send us your tracking number so that we can check?",
            "Asks for the tracking number, which the customer already gave: 1Z999AA10123456784",
        ),
        (
            "Router dead\n\nNo lights after a power cut. Serial 22AX3-998812.",
            "Please tell us the serial number of your router.",
            "Asks for the serial number, which the customer already gave: 22AX3-998812",
        ),
        (
            "Delete my account\n\nPlease delete my account: t.meyer@example.net",
            "Please let us know the e-mail address of the account you wish to delete.",
            "Asks for the e-mail address, which the customer already gave: 't.meyer@example.net'",
        ),
        (
            "Serial?\n\nWhere do I find the serial number on the KET-200?",
            "Please reply with the serial number of your kettle and a copy of your receipt.",
            "Asks for the serial number, which the customer is asking how to find",
        ),
    ],
)
def test_asking_again_for_what_the_ticket_holds(question, reply, reason):
    assessment = assess_reply(question, reply)

    assert assessment.generic
    assert reason in assessment.reasons


def test_asking_for_information_that_is_missing_is_not_generic():
    assessment = assess_reply(
        "Base not working\n\nThe kettle works on the kitchen base but not on the office base.",
        "Then the office base is faulty. Send us its serial number (sticker under the base) "
        "and we will post a new base.",
    )

    assert not assessment.generic


def test_suggesting_what_the_customer_already_did_is_flagged():
    assessment = assess_reply(
        "Reset link never arrives\n\nNo e-mail ever arrives, it's not in spam either.",
        "Hi Ali, please wait a few minutes and check your spam folder. Best regards, Kim",
    )

    assert assessment.generic
    assert (
        "Suggests what the customer says they already did: 'not in spam either'"
        in assessment.reasons
    )


# --- the result ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("a", "b"),
        ("", "Thanks!"),
        ("Order?\n\n" + "where " * 500, "Thank you for contacting us. " * 50),
        ("Question with a quote\n\n> quoted agent text\nreal question?", "Yes."),
    ],
)
def test_the_score_is_in_range_and_decides_the_verdict(question, reply):
    assessment = assess_reply(question, reply)

    assert 0.0 <= assessment.score <= 1.0
    assert assessment.generic == (assessment.score >= GENERIC_THRESHOLD)
    assert all(isinstance(reason, str) and reason for reason in assessment.reasons)


def test_the_module_is_pure():
    code = "import sys, sla.quality; print(sorted(m for m in sys.modules if 'django' in m))"

    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert imported.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        ("I tried " * 5000 + "?", "Please try it."),
        ("Subject\n\n" + "a" * 40000 + "/", "b/" * 10000),
        ("Q\n\n" + "where " * 8000 + ".", "under the " * 4000),
        ("Q\n\n" + "order number 12345 " * 2000, "please send your order number " * 1000),
        ("Q\n\n" + "On " * 8000 + " wrote:", "> " * 8000),
        ("Q\n\n" + "Kind regards\n" * 3000, "Best,\n" * 3000),
        ("Q\n\n" + "we have forwarded your request to the " * 800, "thank you for " * 3000),
    ],
    ids=["tried", "slashes", "where", "order", "quotes", "sign-offs", "stock"],
)
def test_pathological_input_is_read_in_bounded_time(question, reply):
    """No regular expression backtracks quadratically; long input is cut at MAX_CHARS."""
    began = time.perf_counter()

    assessment = assess_reply(question, reply)

    assert time.perf_counter() - began < 0.5
    assert 0.0 <= assessment.score <= 1.0


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400), st.lists(st.text(max_size=200), max_size=3))
def test_any_text_gets_a_consistent_verdict(question, reply, previous):
    assessment = assess_reply(
        question, reply, previous_replies=previous, recent_replies=[*previous, reply]
    )

    assert 0.0 <= assessment.score <= 1.0
    assert assessment.generic == (assessment.score >= GENERIC_THRESHOLD)
