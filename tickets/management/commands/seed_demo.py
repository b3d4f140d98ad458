"""`manage.py seed_demo`: a helpdesk that looks lived in at first look.

Idempotent: users, queues and products are keyed on their natural keys, tickets on
(kind, requester, subject); a second run finds everything in place and changes nothing.
Times are relative to now, with gaps drawn from a fixed seed, so the data is the same every
run apart from where "now" falls.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from helpdesk.models import User
from tickets.models import Product, Queue, Ticket
from tickets.moderation import (
    content_moderate,
    question_answer,
    question_submit,
    review_submit,
    subject_from,
)
from tickets.services import (
    ticket_create,
    ticket_reply_add,
    ticket_update,
)

DEMO_PASSWORD = "demo-pass-2026"
SEED = 2026

QUEUES = [
    ("support", "General support", "Anything about a product: faults, set-up, returns."),
    ("billing", "Billing & orders", "Invoices, payments, refunds, deliveries."),
]

PRODUCTS = [
    ("ket-200", "KET-200 Electric Kettle 1.7 L", "Stainless steel kettle, 220-240 V, 2200 W."),
    ("nimbus-r5", "Nimbus R5 Robot Vacuum", "Lidar robot vacuum with app and charging dock."),
    ("aria-hp3", "Aria HP3 Wireless Headphones", "Over-ear, active noise cancelling, USB-C."),
    ("cg-60", "CG-60 Conical Burr Coffee Grinder", "60 grind settings, 250 g hopper."),
    ("sp-1", "SP-1 Smart Plug", "Wi-Fi smart plug, 16 A, energy metering."),
    ("lift-140", "Lift 140 Standing Desk", "Electric sit-stand desk, 140 x 70 cm, two motors."),
    ("beam-800", "Beam 800 Bike Light", "800 lumen front light, USB-C, StVZO beam."),
    ("ax-3000", "AX3000 Wi-Fi 6 Router", "Dual-band Wi-Fi 6 router with four gigabit ports."),
]

# username, first name, last name, role
STAFF = [
    ("alice", "Alice", "Moreau", User.Role.AGENT),
    ("bob", "Bob", "Nowak", User.Role.AGENT),
    ("chen", "Chen", "Wei", User.Role.AGENT),
    ("max", "Max", "Fischer", User.Role.MANAGER),
]
CUSTOMERS = [
    ("carla", "Carla", "Romano"),
    ("dan", "Dan", "Whitfield"),
    ("elena", "Elena", "Petrova"),
    ("farid", "Farid", "Haddad"),
    ("grace", "Grace", "Okafor"),
    ("hiro", "Hiro", "Tanaka"),
    ("ingrid", "Ingrid", "Larsen"),
    ("jonas", "Jonas", "Weber"),
    ("kemi", "Kemi", "Adeyemi"),
    ("luca", "Luca", "Bianchi"),
    ("mei", "Mei", "Lin"),
    ("nora", "Nora", "Quinn"),
]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]


@dataclass
class Support:
    """A support conversation: who opened it, how old it is, and what happened since."""

    requester: str
    subject: str
    body: str
    age_hours: float
    steps: list[tuple] = field(default_factory=list)
    queue: str = "support"
    priority: str = Ticket.Priority.NORMAL
    channel: str = "web"


GENERIC = (
    "Thank you for contacting us. We have forwarded your request to the relevant team and "
    "will get back to you as soon as possible. Kind regards, the Support Team"
)

# The tables below stay hand-aligned: one conversation or one item reads best as one block.
# fmt: off
# Steps: ("reply", who, text) public; ("note", agent, text) internal; ("assign", agent);
# ("status", agent, status); ("priority", agent, priority); ("queue", agent, slug).
SUPPORT = [
    Support(
        "carla",
        "KET-200 stops heating after about ten seconds",
        "My KET-200 kettle (bought 3 weeks ago) switches itself off about ten seconds after I "
        "press the switch. The light goes out, the water is still cold. It is on a 230 V "
        "socket in the kitchen with nothing else plugged in. Is it faulty?",
        230,
        [
            ("assign", "alice"),
            ("reply", "alice", "Sorry your kettle stops heating, Carla. A switch-off after a "
             "few seconds usually means the base's steam sensor is blocked by limescale. Could "
             "you check the small hole at the back of the lid for white deposits, descale with a "
             "citric acid sachet and try again? If it still cuts out, send us a photo of the "
             "label under the base."),
            ("status", "alice", "pending"),
            ("reply", "carla", "Descaled it twice, same thing. Photo of the label attached: "
             "serial KT2-2409-1183."),
            ("note", "alice", "Serial is in the batch 2409 we had three returns from. "
             "Replacement, no need to send the old one back."),
            ("reply", "alice", "Thank you. That batch has a faulty thermostat; we are sending "
             "you a new KET-200 today, tracking number to follow. No need to return the old "
             "one - please recycle it."),
            ("status", "alice", "solved"),
            ("status", "alice", "closed"),
        ],
        priority=Ticket.Priority.HIGH,
    ),
    Support(
        "dan",
        "Robot vacuum keeps saying 'wheel stuck'",
        "The Nimbus R5 stops every few minutes in the living room with 'Error 2: wheel stuck'. "
        "Nothing is stuck as far as I can see. Firmware 3.2.1.",
        200,
        [
            ("assign", "bob"),
            ("reply", "bob", "Hi Dan, error 2 is triggered when a wheel drops more than 2 cm "
             "- often a thick rug edge. Could you pull out both wheels and remove any hair "
             "wrapped around the axles, then update to firmware 3.2.4 in the app?"),
            ("status", "bob", "pending"),
            ("reply", "dan", "There was a lot of hair on the left axle. Cleaned, updated, it "
             "has done two full runs without an error. Thanks!"),
            ("status", "bob", "solved"),
        ],
    ),
    Support(
        "elena",
        "Headphones won't pair with my laptop",
        "The Aria HP3 pair with my phone but my Windows 11 laptop does not see them at all. "
        "I held the power button for 7 seconds as the manual says.",
        150,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Elena, the HP3 only accept a new device when no other "
             "device is connected. Please switch Bluetooth off on your phone first, then hold "
             "power 7 s until the LED flashes blue and red, and add the device on the laptop."),
            ("status", "chen", "pending"),
            ("reply", "elena", "That was it - the phone kept grabbing them. Working now."),
            ("status", "chen", "solved"),
            ("status", "chen", "closed"),
        ],
    ),
    Support(
        "farid",
        "Grinder produces very uneven grounds on fine settings",
        "On settings 1-10 the CG-60 gives a mix of powder and big pieces; espresso runs in "
        "12 seconds. Coarse settings look fine.",
        185,
        [
            ("assign", "alice"),
            ("reply", "alice", "Hi Farid, uneven grounds on the fine settings point to the "
             "upper burr not being seated. Take out the hopper, turn the upper burr "
             "anticlockwise to remove it, brush out the chamber and push it back until it clicks "
             "on both lugs."),
            ("status", "alice", "pending"),
            ("reply", "farid", "It was sitting on one lug only. Espresso now 27 s. Great."),
            ("status", "alice", "solved"),
        ],
    ),
    Support(
        "grace",
        "Smart plug drops off Wi-Fi every night",
        "Two SP-1 plugs go offline in the app every night around 2 am and only come back "
        "when I unplug them. Router is an AX3000 from you as well.",
        48,
        [
            ("assign", "chen"),
            ("note", "chen", "2 am matches the AX3000 automatic channel optimisation. The SP-1 "
             "does not rejoin after a channel change on firmware < 1.8."),
            ("reply", "chen", "Hi Grace, at 2 am the router picks a new Wi-Fi channel and "
             "plugs on firmware older than 1.8 do not reconnect. Please update both plugs in "
             "the app (Device > Firmware). Until then you can fix the 2.4 GHz channel in the "
             "router settings."),
            ("status", "chen", "pending"),
        ],
    ),
    Support(
        "hiro",
        "Standing desk stops halfway up and beeps",
        "The Lift 140 goes up about 20 cm, stops, beeps three times and shows E08. Going down "
        "works. Nothing is on the desk except a monitor.",
        20,
        [
            ("assign", "bob"),
            ("reply", "bob", "Hi Hiro, E08 means the two motors are out of step. Please run a "
             "reset: hold the down button until the desk reaches the bottom and keep holding "
             "for 10 seconds until it moves slightly and beeps. Does E08 come back after that?"),
            ("status", "bob", "pending"),
            ("reply", "hiro", "Reset done, it went up to the top once, then E08 again the "
             "second time at the same height."),
            ("note", "bob", "Probably the right motor cable. Ask for a video before sending a "
             "technician."),
        ],
        priority=Ticket.Priority.HIGH,
    ),
    Support(
        "ingrid",
        "Bike light battery lasts 40 minutes instead of 3 hours",
        "The Beam 800 is rated 3 h on the medium setting but it is empty after about 40 "
        "minutes on my commute. Fully charged overnight with the supplied cable.",
        6,
        [],
    ),
    Support(
        "jonas",
        "Router drops 5 GHz clients every few minutes",
        "Since yesterday laptops and phones on the 5 GHz network of the AX3000 disconnect "
        "every 5-10 minutes. 2.4 GHz is fine. Nothing changed on my side.",
        30,
        [
            ("assign", "chen"),
            ("priority", "chen", "high"),
            ("reply", "chen", "Hi Jonas, firmware 1.1.9 was pushed automatically yesterday "
             "and we are seeing reports of 5 GHz drops on DFS channels. Could you check which "
             "channel the router uses (Wireless > 5 GHz)? Setting it to 36 avoids the issue "
             "while we prepare 1.1.10."),
            ("reply", "jonas", "It was on 100. Set it to 36 - stable for an hour now. Please "
             "let me know when the fix is out."),
            ("note", "chen", "Linked to the firmware 1.1.9 DFS issue; keep open until 1.1.10 "
             "ships."),
        ],
        priority=Ticket.Priority.NORMAL,
    ),
    Support(
        "kemi",
        "Charged twice for order 40417",
        "My card statement shows two payments of 89.90 for order 40417 (the CG-60 grinder) "
        "on the same day. I only ordered once.",
        75,
        [
            ("assign", "bob"),
            ("reply", "bob", "Hi Kemi, I can see one captured payment and one authorisation "
             "that was never captured for order 40417. The second one is released by your bank "
             "automatically within 7 days; nothing was taken twice."),
            ("status", "bob", "pending"),
            ("reply", "kemi", "It is still on my statement after 3 days. Can you send me "
             "something in writing for my bank?"),
            ("reply", "bob", "Of course - confirmation of the released authorisation is "
             "attached as a PDF, with the reference your bank needs."),
            ("status", "bob", "solved"),
        ],
        queue="billing",
    ),
    Support(
        "luca",
        "Invoice needs my company's VAT number",
        "Could you reissue the invoice for order 40388 (two Lift 140 desks) with our company "
        "name Bianchi Studio SRL and VAT number IT01234567890?",
        96,
        [
            ("assign", "alice"),
            ("reply", "alice", "Hi Luca, done - the corrected invoice for order 40388 with "
             "Bianchi Studio SRL and your VAT number is attached. The old one is cancelled."),
            ("status", "alice", "solved"),
            ("status", "alice", "closed"),
        ],
        queue="billing",
        channel="email",
    ),
    Support(
        "mei",
        "Where is my order 40502?",
        "I ordered a Nimbus R5 eight days ago, the tracking page has said 'label created' "
        "since then. Has it been sent?",
        52,
        [
            ("assign", "bob"),
            ("note", "bob", "Carrier lost the parcel at the hub. Reship from the warehouse."),
            ("reply", "bob", "Hi Mei, I am sorry: the carrier lost the parcel at their depot. "
             "A replacement left our warehouse this morning by express, new tracking number "
             "DX 4410 2251 093."),
            ("status", "bob", "pending"),
        ],
        queue="billing",
        priority=Ticket.Priority.HIGH,
    ),
    Support(
        "nora",
        "Report button greyed out on listings",
        "For two days the 'Report' button on listings is greyed out for me. I reported a "
        "batch of fake KET-200 listings before that. Why can I no longer report anything?",
        44,
        [
            ("assign", "bob"),
            ("reply", "bob", GENERIC),
            ("reply", "nora", "That does not answer my question. Why is the report button "
             "disabled on my account, and when will it work again?"),
            ("reply", "bob", GENERIC),
            ("note", "alice", "Nora hit the hourly report limit; she should have been told "
             "the limit and when it resets. Escalating to Max."),
            ("reply", "nora", "Again a template. Is my account blocked from reporting, yes or "
             "no? If yes, for how long and why?"),
        ],
        priority=Ticket.Priority.HIGH,
    ),
    Support(
        "carla",
        "Kettle lid does not open fully",
        "Second small issue with the KET-200 (the replacement): the lid only opens about 45 "
        "degrees, which makes filling it awkward. Is that normal?",
        28,
        [
            ("assign", "alice"),
            ("reply", "alice", "Hi Carla, the lid should open to about 80 degrees. A hinge "
             "stop sometimes stays locked after transport: press the lid button and push the "
             "lid firmly backwards once; you should hear a click."),
            ("status", "alice", "solved"),
            ("reply", "carla", "Tried that, no click, and now the lid button sticks. I would "
             "like to return this one."),
        ],
    ),
    Support(
        "dan",
        "Vacuum app cannot find the robot after router change",
        "I replaced my router; the Nimbus R5 app now shows the robot as offline and I cannot "
        "find a way to give it the new Wi-Fi password.",
        3,
        [],
    ),
    Support(
        "elena",
        "Ear cushion coming off",
        "The left ear cushion of my Aria HP3 is coming off after two months. Can I buy "
        "replacement cushions?",
        110,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Elena, the cushions clip on and are covered by the warranty "
             "if they come off by themselves. A new pair is on its way to you, free of charge."),
            ("status", "chen", "solved"),
        ],
        priority=Ticket.Priority.LOW,
    ),
    Support(
        "farid",
        "Refund for returned grinder not received",
        "I returned a second CG-60 (ordered by mistake) 12 days ago, the tracking shows it was "
        "delivered to you, but I have not received the refund.",
        12,
        [
            ("assign", "bob"),
            ("note", "bob", "Return received 9 days ago, stuck in warehouse inspection. "
             "Chased the warehouse."),
        ],
        queue="billing",
    ),
    Support(
        "grace",
        "Energy figures in the SP-1 app look wrong",
        "The SP-1 says my fridge uses 2.4 kWh per hour. That cannot be right, its label says "
        "about 0.8 kWh per day.",
        140,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Grace, you are right; the app showed watts as kWh for the "
             "first hours after setup in version 4.2.0. Version 4.2.1 is out and recalculates "
             "the history."),
            ("status", "chen", "pending"),
            ("reply", "grace", "Updated, figures look sensible now: 0.9 kWh yesterday."),
            ("status", "chen", "solved"),
            ("status", "chen", "closed"),
        ],
    ),
    Support(
        "hiro",
        "Missing screws in the desk box",
        "The Lift 140 box had only 6 of the 8 M6x16 screws for the frame.",
        215,
        [
            ("assign", "alice"),
            ("reply", "alice", "Hi Hiro, sorry about that - a bag of spare screws is in the "
             "post today. In the meantime 6 screws hold the frame safely if you leave out "
             "the two middle ones."),
            ("status", "alice", "solved"),
            ("status", "alice", "closed"),
        ],
        priority=Ticket.Priority.LOW,
    ),
    Support(
        "ingrid",
        "Bike light mount broke in the cold",
        "The handlebar mount of my Beam 800 snapped this morning at -5 C. Is it covered?",
        170,
        [
            ("assign", "bob"),
            ("reply", "bob", "Hi Ingrid, yes - we changed the mount material in March because "
             "of this. A new metal-reinforced mount is on its way."),
            ("status", "bob", "solved"),
        ],
    ),
    Support(
        "jonas",
        "Cannot log in to the router admin page",
        "After a reset the AX3000 admin page rejects the password printed on the label.",
        100,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Jonas, since firmware 1.1 the label password is for Wi-Fi "
             "only; the first login at http://192.168.0.1 asks you to create an admin "
             "password. If it asks for a password instead, the reset did not complete: hold "
             "the reset pin for 10 full seconds with the router powered on."),
            ("status", "chen", "pending"),
            ("reply", "jonas", "The 10 seconds did it, thanks."),
            ("status", "chen", "solved"),
            ("status", "chen", "closed"),
        ],
    ),
    Support(
        "kemi",
        "Change delivery address for order 40611",
        "Can you change the delivery address of order 40611 to my office: 14 Harbour Road, "
        "3rd floor? It has not shipped yet.",
        1.5,
        [],
        queue="billing",
        priority=Ticket.Priority.HIGH,
    ),
    Support(
        "luca",
        "Desk wobbles at full height",
        "At 120 cm one of our two Lift 140 desks wobbles side to side quite a lot. The other "
        "one is fine.",
        60,
        [
            ("assign", "alice"),
            ("reply", "alice", "Hi Luca, please check the four bolts joining the legs to the "
             "cross bar: they need to be tightened after the first week. If it still wobbles, "
             "send us a short video."),
            ("status", "alice", "pending"),
        ],
        channel="email",
    ),
    Support(
        "mei",
        "Vacuum map lost after update",
        "After the last update the Nimbus R5 forgot the map of my flat and the no-go zones.",
        9,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Mei, maps are backed up: in the app go to Map > History and "
             "restore the one from before the update. The no-go zones come back with it."),
        ],
    ),
    Support(
        "nora",
        "Wrong colour delivered",
        "I ordered the Aria HP3 in sand and received black. I would like to exchange them.",
        190,
        [
            ("assign", "bob"),
            ("reply", "bob", "Hi Nora, apologies for the mix-up. Here is a prepaid return "
             "label; the sand ones ship as soon as the carrier scans your parcel."),
            ("status", "bob", "pending"),
            ("reply", "nora", "Parcel handed in today."),
            ("status", "bob", "solved"),
            ("status", "bob", "closed"),
        ],
        queue="billing",
    ),
    Support(
        "carla",
        "Coffee grinder too loud?",
        "Is it normal for the CG-60 to be louder than my old blade grinder? It is about 80 dB "
        "on my phone's meter.",
        125,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Carla, 75-80 dB at 30 cm is within the specification of the "
             "CG-60; burr grinders are louder at the start and settle after the first kilo of "
             "beans."),
            ("status", "chen", "solved"),
        ],
        priority=Ticket.Priority.LOW,
    ),
    Support(
        "dan",
        "Kettle smells of plastic",
        "My new KET-200 gives the water a plastic taste even after five boils.",
        16,
        [
            ("assign", "alice"),
            ("reply", "alice", "Hi Dan, please boil a full kettle with a tablespoon of "
             "bicarbonate of soda, let it stand 30 minutes and rinse twice. The taste comes "
             "from the seal's manufacturing oil and goes after that."),
            ("status", "alice", "pending"),
            ("reply", "dan", "Did it, still tastes of plastic. I don't want to drink this."),
        ],
    ),
    Support(
        "elena",
        "Discount code not accepted",
        "The code AUTUMN15 from your newsletter is rejected at checkout for the Beam 800.",
        4,
        [
            ("assign", "bob"),
            ("note", "bob", "AUTUMN15 excludes lights; the newsletter did not say so. Ask Max "
             "whether we honour it."),
        ],
        queue="billing",
    ),
    Support(
        "farid",
        "Router guest network has no internet",
        "Devices on the AX3000 guest network connect but have no internet access.",
        220,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Farid, guest isolation blocks DNS when the router uses a "
             "custom DNS server. Set DNS to automatic or enable 'Guest DNS relay' under "
             "Guest network > Advanced."),
            ("status", "chen", "solved"),
            ("status", "chen", "closed"),
        ],
    ),
    Support(
        "grace",
        "Smart plug schedule runs an hour late",
        "Since the clocks changed, the SP-1 schedules run an hour late.",
        0.7,
        [],
    ),
    Support(
        "hiro",
        "Headphones crackle on calls",
        "The Aria HP3 microphone crackles on Teams calls; music playback is fine.",
        36,
        [
            ("assign", "chen"),
            ("reply", "chen", "Hi Hiro, on Windows please select 'Aria HP3 Hands-Free' as "
             "the microphone and turn off 'Allow applications to take exclusive control' in "
             "its properties. Does the crackle remain?"),
            ("status", "chen", "pending"),
        ],
    ),
]

# kind question: requester, sku, question, age h, moderation, answering agent + answer,
# rejection (agent, reason, explanation)
QUESTIONS = [
    ("ingrid", "ket-200", "Does the KET-200 work on 120 V in the US?", 210, "published",
     ("alice", "No - the KET-200 is built for 220-240 V only. On 120 V it heats very slowly "
      "and its thermostat will not switch off reliably; please do not use a converter."), None),
    ("jonas", "ax-3000", "Does the AX3000 support WPA3 and a separate IoT network?", 160,
     "published", ("chen", "Yes: WPA3-Personal on both bands, and up to three extra SSIDs "
                   "(guest, IoT, custom) with client isolation."), None),
    ("kemi", "lift-140", "What is the maximum load of the Lift 140 at full height?", 120,
     "published", ("bob", "100 kg evenly distributed, at every height from 62 to 127 cm."),
     None),
    ("luca", "cg-60", "Can the CG-60 grind fine enough for Turkish coffee?", 80, "published",
     None, None),
    ("mei", "nimbus-r5", "Can the Nimbus R5 climb a 2.5 cm door threshold?", 30, "pending",
     None, None),
    ("nora", "beam-800", "Is the Beam 800 road legal in Germany (StVZO)?", 18, "pending",
     None, None),
    ("carla", "sp-1", "Does the SP-1 work with Home Assistant without the cloud?", 7,
     "pending", None, None),
    ("dan", "aria-hp3", "Can I use the Aria HP3 with a cable on a plane?", 2, "pending",
     None, None),
    ("elena", "ket-200", "Call me on 0171 5550199 about the kettle, I want a discount", 140,
     "rejected", None, ("alice", "personal_data", "Questions are public; we removed it because "
                        "it contains a phone number. Please open a support ticket instead.")),
    ("farid", "nimbus-r5", "Anyone selling a used R5 cheap? see my shop link", 100, "rejected",
     None, ("bob", "links", "Questions are for questions about the product; links to shops "
            "are not allowed.")),
]

# kind review: requester, sku, rating, title, body, age h, moderation, rejection
REVIEWS = [
    ("grace", "sp-1", 5, "Small, reliable, good app",
     "Four of these run my lamps and the dehumidifier. The energy graphs are useful.", 230,
     "published", None),
    ("hiro", "lift-140", 4, "Solid desk, fiddly assembly",
     "Very stable up to about 110 cm. Assembly took two hours, instructions could be better.",
     205, "published", None),
    ("ingrid", "beam-800", 5, "Finally a light that lasts my winter commute",
     "Bright, proper cut-off beam, does not blind drivers. Charges in 3 hours.", 180,
     "published", None),
    ("jonas", "ax-3000", 3, "Fast, but the 5 GHz drops",
     "Great speeds when it works, but the last firmware made 5 GHz unstable for me.", 50,
     "published", None),
    ("kemi", "cg-60", 4, "Consistent grind for filter",
     "Very even grounds for V60. A bit loud and it retains some coffee.", 150,
     "published", None),
    ("luca", "aria-hp3", 5, "Best noise cancelling I have owned",
     "Used them on a 9 hour flight. Comfortable and the battery had 40% left.", 90,
     "published", None),
    ("mei", "ket-200", 1, "Stopped heating after three weeks",
     "Switches off after ten seconds. Support replaced it, but the replacement has a broken "
     "lid hinge. Poor quality control.", 26, "pending", None),
    ("nora", "nimbus-r5", 2, "Gets stuck on every rug",
     "The map is nice but it needs rescuing twice a day. Not what I expected at this price.",
     14, "pending", None),
    ("carla", "cg-60", 4, "Good grinder for the money", "Easy to clean, decent for espresso.",
     5, "pending", None),
    ("dan", "beam-800", 5, "Bright!", "Bright light, easy mount, good battery.", 1,
     "pending", None),
    ("elena", "ket-200", 1, "Cheap plastic, leaks",
     "Leaks from the bottom after a month. Avoid this brand, their support is useless and "
     "they will not refund you.", 70, "rejected",
     ("chen", "other", "Rejected while we check the claim about refunds with billing.")),
    ("farid", "lift-140", 2, "Motor noise - buy a Flexispot instead www.example.net/desk",
     "The motors are loud. Much better desks at www.example.net/desk", 130, "rejected",
     ("alice", "links", "Reviews cannot contain links to other shops; please post it "
      "again without the link.")),
]

# kind report: requester, target URL, reason, explanation, age h, outcome, decision
REPORTS = [
    ("nora", "https://shop.example.com/listing/88121", "counterfeit",
     "This 'KET-200' at 19.99 is a copy: the logo is wrong and there is no CE mark.", 60,
     "upheld", ("alice", "We removed the listing: the seller could not show the product is "
                "genuine. Thank you for the report.")),
    ("nora", "https://shop.example.com/listing/88122", "counterfeit",
     "Same seller, same fake kettle in white.", 59, "upheld",
     ("alice", "Removed for the same reason as listing 88121; the seller is suspended.")),
    ("nora", "https://shop.example.com/listing/88140", "counterfeit",
     "Another copy of the KET-200, different seller name, same photos.", 46, None, None),
    ("grace", "https://shop.example.com/listing/77310", "fraud",
     "The seller asks buyers to pay by bank transfer outside the shop.", 110, "upheld",
     ("bob", "The listing was removed and the seller's account closed for payment fraud.")),
    ("hiro", "https://shop.example.com/review/5521", "hate",
     "This review insults the seller's nationality.", 35, "rejected",
     ("chen", "We read the review again: it criticises the seller's delivery times and "
      "does not mention nationality, so it stays online. Our rules allow negative reviews.")),
    ("jonas", "https://shop.example.com/listing/65002", "copyright",
     "These product photos are mine, taken for my blog.", 90, "rejected",
     ("bob", "The photos are licensed to the seller by the manufacturer, who showed us the "
      "licence. If you hold the copyright, please send the original files.")),
    ("kemi", "https://shop.example.com/listing/91007", "prohibited",
     "A laser pointer over 5 mW for sale, which is banned here.", 8, None, None),
    ("dan", "https://shop.example.com/q/30118", "personal_data",
     "This answer shows my full name and address.", 3, None, None),
]

# fmt: on


class Command(BaseCommand):
    help = "Create realistic demo data (users, products, queues, ~60 tickets). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins", action="store_true", help="Only print the demo logins; create nothing."
        )

    def handle(self, *args, logins: bool = False, **options):
        if logins:
            self._print_logins()
            return
        validate_password(DEMO_PASSWORD)
        self.rng = random.Random(SEED)
        self.now = timezone.now()
        self.created = {"users": 0, "queues": 0, "products": 0, "tickets": 0, "messages": 0}
        with transaction.atomic():
            self.users = self._users()
            self.queues = self._queues()
            self.products = self._products()
            for spec in SUPPORT:
                self._support(spec)
            for row in QUESTIONS:
                self._question(*row)
            for row in REVIEWS:
                self._review(*row)
            for row in REPORTS:
                self._report(*row)
        self._print_summary()
        self._print_logins()

    # --- reference data ---------------------------------------------------------------

    def _users(self) -> dict[str, User]:
        password = make_password(DEMO_PASSWORD)  # hash once: the same password for everyone
        rows = [(u, f, last, role) for u, f, last, role in STAFF]
        rows += [(u, f, last, User.Role.CUSTOMER) for u, f, last in CUSTOMERS]
        users = {}
        for i, (username, first, last, role) in enumerate(rows):
            staff = role != User.Role.CUSTOMER
            domain = "helpdesk.example" if staff else EMAIL_DOMAINS[i % len(EMAIL_DOMAINS)]
            is_manager = role == User.Role.MANAGER
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first.lower()}.{last.lower()}@{domain}",
                    "role": role,
                    "password": password,
                    # The manager uses the Django admin, and sees every model there.
                    "is_staff": is_manager,
                    "is_superuser": is_manager,
                },
            )
            self.created["users"] += created
            users[username] = user
        return users

    def _queues(self) -> dict[str, Queue]:
        queues = {}
        for slug, name, description in QUEUES:
            queue, created = Queue.objects.get_or_create(
                slug=slug, defaults={"name": name, "description": description}
            )
            self.created["queues"] += created
            queues[slug] = queue
        return queues

    def _products(self) -> dict[str, Product]:
        products = {}
        for sku, name, description in PRODUCTS:
            product, created = Product.objects.get_or_create(
                sku=sku, defaults={"name": name, "description": description}
            )
            self.created["products"] += created
            products[sku] = product
        return products

    # --- tickets --------------------------------------------------------------------------

    def _exists(self, *, kind: str, requester: User, subject: str) -> bool:
        return Ticket.objects.filter(kind=kind, requester=requester, subject=subject).exists()

    def _times(
        self, *, age_hours: float, gaps: list[tuple[float, float]]
    ) -> tuple[datetime, list[datetime]]:
        """The creation time and one time per step, in order, all before now.

        Each gap, in hours, is drawn from its (low, high) range by the seeded generator,
        even for tickets that already exist, so one ticket's data never depends on which
        others were created; a conversation that would not fit its age is squeezed.
        """
        created = self.now - timedelta(hours=age_hours)
        gaps = [self.rng.uniform(low, high) for low, high in gaps]
        room = (age_hours - 0.1) * 0.9
        scale = min(1.0, room / sum(gaps)) if gaps else 1.0
        times, t = [], created
        for gap in gaps:
            t += timedelta(hours=gap * scale)
            times.append(t)
        return created, times

    @staticmethod
    def _gap(spec: Support, step: tuple) -> tuple[float, float]:
        """How long before a step happens, in hours: agents mostly within the 4 h first
        response target, customers whenever they get to it."""
        action, who = step[:2]
        if action == "reply" and who == spec.requester:
            return (1.0, 14.0)
        return {"reply": (0.2, 3.5), "assign": (0.1, 1.5), "note": (0.1, 1.0)}.get(
            action, (0.02, 0.5)
        )

    def _support(self, spec: Support) -> None:
        gaps = [self._gap(spec, step) for step in spec.steps]
        created_at, times = self._times(age_hours=spec.age_hours, gaps=gaps)
        requester = self.users[spec.requester]
        if self._exists(kind=Ticket.Kind.SUPPORT, requester=requester, subject=spec.subject):
            return
        ticket = ticket_create(
            requester=requester,
            subject=spec.subject,
            body=spec.body,
            now=created_at,
            queue=self.queues[spec.queue],
            priority=spec.priority,
            channel=spec.channel,
        )
        self.created["tickets"] += 1
        for step, now in zip(spec.steps, times, strict=True):
            action, who, *rest = step
            actor = self.users[who]
            if action in ("reply", "note"):
                channel = spec.channel if who == spec.requester else "web"
                ticket_reply_add(
                    ticket=ticket,
                    author=actor,
                    body=rest[0],
                    public=action == "reply",
                    now=now,
                    channel=channel,
                )
                self.created["messages"] += 1
            elif action == "assign":
                ticket_update(ticket=ticket, actor=actor, assignee=actor, now=now)
            elif action == "status":
                ticket_update(ticket=ticket, actor=actor, status=rest[0], now=now)
            elif action == "priority":
                ticket_update(ticket=ticket, actor=actor, priority=rest[0], now=now)
            elif action == "queue":
                ticket_update(ticket=ticket, actor=actor, queue=self.queues[rest[0]], now=now)
            else:  # pragma: no cover - a typo in the data above
                raise ValueError(f"Unknown step {step!r}")
            ticket.refresh_from_db()

    # Questions, reviews and reports go through their services, as people would create them.

    def _question(self, requester, sku, text, age_hours, moderation, answer, rejection):
        created_at, (decided_at,) = self._times(age_hours=age_hours, gaps=[(0.5, 20.0)])
        user = self.users[requester]
        if self._exists(kind=Ticket.Kind.QUESTION, requester=user, subject=subject_from(text)):
            return
        ticket = question_submit(author=user, product=self.products[sku], body=text, now=created_at)
        self.created["tickets"] += 1
        self._decide(ticket, moderation, rejection, answer[0] if answer else "alice", decided_at)
        if answer:
            answered_at = min(decided_at + timedelta(minutes=20), self.now)
            question_answer(
                ticket=ticket, agent=self.users[answer[0]], body=answer[1], now=answered_at
            )
            self.created["messages"] += 1

    def _review(self, requester, sku, rating, title, body, age_hours, moderation, rejection):
        created_at, (decided_at,) = self._times(age_hours=age_hours, gaps=[(0.5, 20.0)])
        user = self.users[requester]
        if self._exists(kind=Ticket.Kind.REVIEW, requester=user, subject=title):
            return
        ticket = review_submit(
            author=user,
            product=self.products[sku],
            rating=rating,
            title=title,
            body=body,
            now=created_at,
        )
        self.created["tickets"] += 1
        self._decide(ticket, moderation, rejection, "bob", decided_at)

    def _decide(self, ticket, moderation, rejection, publisher: str, now: datetime) -> None:
        """Through the moderation service, as an agent would: clocks stop, authors are told."""
        if moderation == "published":
            content_moderate(
                ticket=ticket, moderator=self.users[publisher], decision="publish", now=now
            )
        elif moderation == "rejected":
            agent, reason, explanation = rejection
            content_moderate(
                ticket=ticket,
                moderator=self.users[agent],
                decision="reject",
                reason=reason,
                explanation=explanation,
                now=now,
            )

    def _report(self, requester, target_url, reason, explanation, age_hours, outcome, decision):
        """Through the report services: each report gets its case, its decision clock and,
        when decided, the statement of reasons sent to the reporter."""
        from tickets.report_limits import normalise_url
        from tickets.reports import ReportInput, report_decide, report_submit

        created_at, (decided_at,) = self._times(age_hours=age_hours, gaps=[(0.5, 20.0)])
        user = self.users[requester]
        subject = f"Report ({reason}): {normalise_url(target_url)}"[:200]
        if self._exists(kind=Ticket.Kind.REPORT, requester=user, subject=subject):
            return
        ticket = report_submit(
            reporter=user,
            item=ReportInput(target_url=target_url, reason=reason, explanation=explanation),
            good_faith=True,
            now=created_at,
        )
        self.created["tickets"] += 1
        if decision:
            report_decide(
                ticket=ticket,
                agent=self.users[decision[0]],
                outcome=outcome,
                facts=decision[1],
                now=decided_at,
            )
            self.created["messages"] += 1

    # --- output ---------------------------------------------------------------------------

    def _print_summary(self) -> None:
        c = self.created
        if not any(c.values()):
            self.stdout.write("Demo data already in place; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {c['users']} users, {c['queues']} queues, {c['products']} products, "
                f"{c['tickets']} tickets and {c['messages']} messages."
            )
        )
        counts = {kind: Ticket.objects.filter(kind=kind).count() for kind in Ticket.Kind.values}
        self.stdout.write("Tickets by kind: " + ", ".join(f"{k} {n}" for k, n in counts.items()))

    def _print_logins(self) -> None:
        customers = ", ".join(u for u, *_ in CUSTOMERS)
        self.stdout.write(
            f"Demo logins (password for all: {DEMO_PASSWORD}):\n"
            f"  agents:    alice, bob, chen\n"
            f"  manager:   max (also a superuser: the Django admin at /admin/ shows "
            f"every model)\n"
            f"  customers: {customers}"
        )
