"""Shop facts in the operator console: edited live, refused when wrong, and FAQ answers or
responses that state a fact literally are refused."""

from __future__ import annotations

from typing import Any

from tests.admin.conftest import Admin

ORDER = ("poproszę dużą margheritę", "zamawiam", "dostawa", "ul. Długa 5, Kraków",
         "Jan, 600 111 222", "potwierdzam, gotówka")  # fmt: skip


async def test_a_changed_delivery_time_changes_the_faq_answer_with_no_restart(
    sqlite_admin: Admin,
) -> None:
    http, op = sqlite_admin.http, sqlite_admin.op
    say = await sqlite_admin.chat()
    assert any("45–60" in t for t in await say("Jak długo trwa dostawa?"))
    shop: dict[str, Any] = (await http.get("/api/admin/shop", headers=op)).json()
    body = {k: shop[k] for k in ("shop", "sizes", "categories")}
    body["shop"]["delivery_minutes"] = "30-40"
    r = await http.put("/api/admin/shop", json=body, headers=op)
    assert r.status_code == 200 and r.json()["changed"], r.text
    await sqlite_admin.settled()
    answer = await say("Jak długo trwa dostawa?")
    assert any("30–40" in t for t in answer) and not any("45–60" in t for t in answer)
    for text in ORDER:
        replies = await say(text)
    placed = " ".join(replies)
    assert "PZ-" in placed and "30–40" in placed and "45–60" not in placed
    assert (await http.get("/api/admin/shop", headers=op)).json()["shop"]["delivery_minutes"] == (
        "30-40"
    )


async def test_wrong_facts_are_refused_and_the_kitchen_cannot_edit(sqlite_admin: Admin) -> None:
    http, op = sqlite_admin.http, sqlite_admin.op
    shop: dict[str, Any] = (await http.get("/api/admin/shop", headers=op)).json()
    base = {k: shop[k] for k in ("shop", "sizes", "categories")}

    async def put(**changes: Any) -> Any:
        return await http.put("/api/admin/shop", json={**base, **changes}, headers=op)

    r = await put(shop={**base["shop"], "hours": {"mon": "po południu"}})
    assert r.status_code == 422 and "hours mon" in r.json()["detail"]
    r = await put(shop={**base["shop"], "payment_methods": {"delivery": ["iou"], "pickup": []}})
    assert r.status_code == 422 and "iou" in r.json()["detail"]
    r = await put(shop={**base["shop"], "opening": "always"})
    assert r.status_code == 422 and "unknown fact" in r.json()["detail"]
    r = await put(categories=[c for c in base["categories"] if c["id"] != "drinks"])
    assert r.status_code == 409 and "drinks" in r.json()["detail"]
    r = await put(sizes={k: v for k, v in base["sizes"].items() if k != "large"})
    assert r.status_code == 409 and "large" in r.json()["detail"]
    agent = sqlite_admin.headers["agent"]
    assert (await http.put("/api/admin/shop", json=base, headers=agent)).status_code == 403
    assert (await http.get("/api/admin/shop")).status_code == 401


async def test_texts_that_hard_code_a_fact_are_refused(sqlite_admin: Admin) -> None:
    http, op = sqlite_admin.http, sqlite_admin.op
    faq = {
        "questions": {"pl": ["Ile czeka się na kuriera?"]},
        "answers": {"pl": "Kurier dojedzie w 45–60 minut."},
    }
    r = await http.post("/api/admin/faq", json=faq, headers=op)
    assert r.status_code == 422 and "{delivery_time}" in r.json()["detail"]
    faq["answers"] = {"pl": "Kurier dojedzie w {delivery_time} minut."}
    assert (await http.post("/api/admin/faq", json=faq, headers=op)).status_code == 201
    faq["answers"] = {"pl": "Kurier dojedzie w {delivry_time} minut."}
    r = await http.put("/api/admin/faq/ile-czeka-sie-na-kuriera", json=faq, headers=op)
    assert r.status_code == 422 and "unknown variable {delivry_time}" in r.json()["detail"]
    intent = {
        "examples": {"pl": ["czy macie parking?", "gdzie zaparkować?"]},
        "responses": {"pl": ["Parking za budynkiem; dostawa kosztuje 9,90 zł."]},
    }
    r = await http.put("/api/admin/intents/parking", json=intent, headers=op)
    assert r.status_code == 422 and "{delivery_fee}" in r.json()["detail"]
    intent["responses"] = {"pl": ["Parking za budynkiem; dostawa kosztuje {delivery_fee}."]}
    assert (
        await http.put("/api/admin/intents/parking", json=intent, headers=op)
    ).status_code == 200
