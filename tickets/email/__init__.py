"""The e-mail channel: inbound mail becomes tickets and replies, agents' replies go out.

parse.py (pure), intake.py (email_ingest), outbound.py (email_reply_queue/send), imap.py,
api.py + urls.py (POST /api/v1/inbound/email/), models.py, admin.py, tasks.py.
"""
