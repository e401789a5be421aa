"""One SMS number flooding the bot: everything is stored (agents see it), only what fits
`MESSAGES_PER_MINUTE` is answered; other customers are unaffected."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.sms.conftest import answered, sms_app, sms_settings, stored_messages
from tests.adapters.sms.fake_twilio import FakeTwilio, post_sms


async def test_a_flooding_sms_number_costs_no_more_replies(
    tmp_path: Path, fake_twilio: FakeTwilio
) -> None:
    settings = sms_settings(tmp_path, fake_twilio.url, messages_per_minute=2)
    async with sms_app(settings) as (app, client):
        for n in range(5):
            r = await post_sms(client, f"menu {n}", from_="+48600111222", sid=f"SM{n}")
            assert r.status_code == 200
        await post_sms(client, "menu", from_="+48600333444", sid="SMother")
        await answered(app)
        rows = await stored_messages(app)
        flood_in = [m for m in rows if m.direction == "in" and m.address == "+48600111222"]
        assert len(flood_in) == 5
        assert sum(m.delivery_status == "throttled" for m in flood_in) == 3
        replies = [m for m in rows if m.direction == "out"]
        assert sum(m.address == "+48600111222" for m in replies) == 2
        assert sum(m.address == "+48600333444" for m in replies) == 1
