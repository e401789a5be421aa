"""One SMS number flooding the bot: everything is stored (agents see it, marked), only what
fits `MESSAGES_PER_MINUTE` is answered, and one notice per window says so (a paid SMS, so
never more); other customers are unaffected."""

from __future__ import annotations

from pathlib import Path

from bot.store.repo import message_object
from tests.adapters.sms.conftest import answered, sms_app, sms_settings, stored_messages
from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms


async def test_a_flooding_sms_number_gets_one_notice_and_no_more_replies(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url, messages_per_minute=2)
    async with sms_app(settings) as (app, client):
        for n in range(6):
            r = await post_sms(client, f"menu {n}", from_="+48600111222", sid=f"SM{n}")
            assert r.status_code == 200
        await post_sms(client, "menu", from_="+48600333444", sid="SMother")
        await answered(app)
        rows = await stored_messages(app)
        flood_in = [m for m in rows if m.direction == "in" and m.address == "+48600111222"]
        assert [m.text for m in flood_in] == [f"menu {n}" for n in range(6)]  # nothing lost
        throttled = [m for m in flood_in if m.delivery_status == "throttled"]
        assert len(throttled) == 4
        # Agents see which messages went unanswered.
        assert all(message_object(m).get("throttled") for m in throttled)
        assert not any(message_object(m).get("throttled") for m in flood_in[:2])
        replies = [m for m in rows if m.direction == "out"]
        answers = [m.in_reply_to_id for m in replies if m.address == "+48600111222"]
        # Two answers, then one notice (to the first message over the rate), no more.
        assert sorted(answers) == sorted([flood_in[0].id, flood_in[1].id, throttled[0].id])
        assert len(fake_twilio.messages_to("+48600111222")) == 3
        assert sum(m.address == "+48600333444" for m in replies) == 1
