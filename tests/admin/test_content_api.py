"""The operator API on SQLite and PostgreSQL: roles, CRUD, validation, versions, rollback."""

from __future__ import annotations

import io
import zipfile

import pytest
import yaml
from sqlalchemy import func, select

from bot.store.models import Customer
from tests.admin.conftest import Admin

READS = [
    "/api/admin/status",
    "/api/admin/intents",
    "/api/admin/intents/greet",
    "/api/admin/faq",
    "/api/admin/faq/opening-hours",
    "/api/admin/products",
    "/api/admin/products/margherita",
    "/api/admin/history",
    "/api/admin/history/1",
    "/api/admin/export",
    "/api/admin/analytics",
]
WRITES = [
    ("PUT", "/api/admin/intents/greet", {"examples": {"pl": ["hej"]}}),
    ("DELETE", "/api/admin/intents/thanks", None),
    ("POST", "/api/admin/faq", {"questions": ["Czy macie parking?"], "answers": {"pl": "Tak"}}),
    ("PUT", "/api/admin/faq/opening-hours", {"questions": ["Kiedy?"], "answers": {"pl": "Zawsze"}}),
    ("DELETE", "/api/admin/faq/opening-hours", None),
    ("POST", "/api/admin/products", {"id": "x", "category": "pizza"}),
    ("PUT", "/api/admin/products/margherita", {"category": "pizza"}),
    ("DELETE", "/api/admin/products/margherita", None),
    ("POST", "/api/admin/history/1/rollback", None),
    ("POST", "/api/admin/analytics/unmatched/add", {"text": "hej", "intent": "greet"}),
]


async def test_roles_agent_reads_operator_edits_customers_and_anonymous_get_nothing(
    admin_env: Admin,
) -> None:
    http = admin_env.http
    say = await admin_env.chat()
    customer = {"Authorization": f"Bearer {say.token}"}
    for path in READS:
        assert (await http.get(path)).status_code == 401, path
        assert (await http.get(path, headers=customer)).status_code == 401, path
        r = await http.get(path, headers=admin_env.headers["agent"])
        assert r.status_code == 200, (path, r.text)
    for method, path, body in WRITES:
        for who in (None, customer):
            r = await http.request(method, path, json=body, headers=who)
            assert r.status_code == 401, (method, path)
        r = await http.request(method, path, json=body, headers=admin_env.headers["agent"])
        assert r.status_code == 403, (method, path, r.text)
        assert "operator" in r.json()["detail"]
    for path in ("/api/admin/try", "/api/admin/import"):
        assert (await http.post(path)).status_code == 401
    r = await http.put(
        "/api/admin/intents/greet",
        json={"examples": {"pl": ["hej", "cześć"]}},
        headers=admin_env.headers["admin"],
    )
    assert r.status_code == 200
    r = await http.get("/api/admin/history", headers=admin_env.op)
    assert r.json()["versions"][0]["user"] == "adam@shop.pl"


async def test_intents_crud_search_rename_and_refusals(admin_env: Admin) -> None:
    http, op = admin_env.http, admin_env.op
    body = {
        "examples": {"pl": ["czy macie parking?", " czy macie  parking? ", ""], "en": ["parking?"]},
        "responses": {"pl": ["Parking jest za budynkiem{name}."]},
    }
    r = await http.put("/api/admin/intents/parking", json=body, headers=op)
    assert r.status_code == 200, r.text
    assert r.json()["changed"] and r.json()["version"] > 1
    r = await http.get("/api/admin/intents/parking", headers=op)
    # Trimmed, blank and duplicate examples dropped.
    assert r.json()["examples"] == {"pl": ["czy macie parking?"], "en": ["parking?"]}
    found = (await http.get("/api/admin/intents?q=PARKING", headers=op)).json()["intents"]
    # The search matches names and examples: the built-in `facilities` mentions parking too.
    by_name = {i["name"]: i for i in found}
    assert "parking" in by_name and "greet" not in by_name
    assert by_name["parking"]["examples"] == {"pl": 1, "en": 1}
    assert by_name["parking"]["responses"] == {"pl": 1}
    # Saving the same again is no new version.
    r = await http.put("/api/admin/intents/parking", json=body, headers=op)
    assert r.json() == {"version": None, "changed": False, "name": "parking"}

    r = await http.put("/api/admin/intents/parking", json={**body, "name": "car_park"}, headers=op)
    assert r.status_code == 200
    gone = await http.get("/api/admin/intents/parking", headers=op)
    assert gone.status_code == 404
    assert gone.json() == {
        "detail": "no intent 'parking'",
        "code": "not_found",
        "params": {"kind": "intent", "key": "parking"},
    }
    r = await http.put("/api/admin/intents/car_park", json={**body, "name": "greet"}, headers=op)
    assert r.status_code == 409
    assert r.json()["detail"] == "an intent named 'greet' already exists"

    refusals = [
        ("%20", body, "the intent name must not be empty"),
        ("Bad Name", body, "intent name 'Bad Name' is not valid"),
        ("car_park", {"examples": {"pl": ["  "]}}, "intent car_park needs at least one example"),
        ("car_park", {"examples": {"de": ["hallo"]}}, "unknown language 'de'"),
        (
            "car_park",
            {"examples": {"pl": ["x"]}, "responses": {"pl": ["Hej {imie}!"]}},
            "uses unknown variable {imie}; allowed: {name}, {shop}",
        ),
        (
            "car_park",
            {"examples": {"pl": ["x"]}, "responses": {"pl": ["Hej {name.__class__}"]}},
            "unknown variable {name.__class__}",
        ),
        ("car_park", {"examples": {"pl": ["x"]}, "responses": {"pl": ["a } b"]}}, "not a valid"),
        (
            "add_to_cart",
            {"examples": {"pl": ["dodaj"]}, "responses": {"pl": ["Dodane"]}},
            "answered by the ordering dialogue",
        ),
    ]
    for name, bad, message in refusals:
        r = await http.put(f"/api/admin/intents/{name}", json=bad, headers=op)
        assert r.status_code == 422, (name, r.text)
        assert message in r.json()["detail"], r.json()
    r = await http.delete("/api/admin/intents/car_park", headers=op)
    assert r.status_code == 200 and r.json()["changed"]
    assert (await http.delete("/api/admin/intents/car_park", headers=op)).status_code == 404


async def test_a_new_intent_never_replaces_one_of_the_same_name(admin_env: Admin) -> None:
    http, op = admin_env.http, admin_env.op
    greet = (await http.get("/api/admin/intents/greet", headers=op)).json()
    r = await http.post(
        "/api/admin/intents", json={"name": "greet", "examples": {"pl": ["coś"]}}, headers=op
    )
    assert r.status_code == 409
    assert r.json()["code"] == "intent_exists" and r.json()["params"] == {"name": "greet"}
    assert (await http.get("/api/admin/intents/greet", headers=op)).json() == greet
    new = {"name": "parking", "examples": {"pl": ["czy macie parking?"]}}
    r = await http.post("/api/admin/intents", json=new, headers=op)
    assert r.status_code == 201 and r.json()["name"] == "parking"
    found = (await http.get("/api/admin/intents/parking", headers=op)).json()
    assert found["examples"] == {"pl": ["czy macie parking?"]}


async def test_faq_and_products_crud_with_clear_refusals(admin_env: Admin) -> None:
    http, op = admin_env.http, admin_env.op
    r = await http.post(
        "/api/admin/faq",
        json={"questions": ["Czy macie parking?"], "answers": {"pl": "Tak, za budynkiem."}},
        headers=op,
    )
    assert r.status_code == 201, r.text
    key = r.json()["id"]
    assert key == "czy-macie-parking"
    entry = (await http.get(f"/api/admin/faq/{key}", headers=op)).json()
    assert entry["questions"] == {"pl": ["Czy macie parking?"]}
    r = await http.put(
        f"/api/admin/faq/{key}",
        json={"questions": {"en": ["Do you have parking?"]}, "answers": {"en": "Yes"}},
        headers=op,
    )
    assert r.status_code == 422
    assert r.json()["detail"] == f"FAQ {key} needs an answer in pl (the default language)"
    r = await http.post(
        "/api/admin/faq", json={"questions": [], "answers": {"pl": "Tak"}}, headers=op
    )
    assert r.status_code == 422 and "needs at least one question" in r.json()["detail"]
    r = await http.post(
        "/api/admin/faq",
        json={"id": key, "questions": ["x"], "answers": {"pl": "y"}},
        headers=op,
    )
    assert r.status_code == 409
    assert (await http.delete(f"/api/admin/faq/{key}", headers=op)).status_code == 200
    assert (await http.get(f"/api/admin/faq/{key}", headers=op)).status_code == 404

    product = {
        "id": "calzone",
        "category": "pizza",
        "names": {"pl": "Calzone", "en": "Calzone"},
        "aliases": ["kalzone"],
        "prices": {"medium": 3490, "large": 4290},
        "tags": ["spicy"],
    }
    r = await http.post("/api/admin/products", json=product, headers=op)
    assert r.status_code == 201, r.text
    await admin_env.settled()
    live = admin_env.app.state.core.dialogue.catalog.products["calzone"]
    assert live.prices == {"medium": 3490, "large": 4290} and live.tags == ("spicy",)
    refusals = [
        ({"prices": {"medium": -100}}, "product calzone: the price (medium) must not be negative"),
        ({"prices": {"medium": 34.9}}, "must be a whole number of grosze"),
        ({"prices": {"xxl": 100}}, "unknown size 'xxl'"),
        ({"category": "burgers"}, "unknown category 'burgers'"),
        ({"names": {"en": "Calzone"}}, "product calzone needs a name in pl"),
    ]
    for change, message in refusals:
        r = await http.put("/api/admin/products/calzone", json={**product, **change}, headers=op)
        assert r.status_code == 422, change
        assert message in r.json()["detail"]
    r = await http.put(
        "/api/admin/products/calzone",
        json={**product, "prices": {"medium": 3590, "large": 4290}, "available": False},
        headers=op,
    )
    assert r.status_code == 200
    await admin_env.settled()
    live = admin_env.app.state.core.dialogue.catalog.products["calzone"]
    assert live.price("medium") == 3590 and not live.available
    assert (await http.post("/api/admin/products", json=product, headers=op)).status_code == 409
    assert (await http.delete("/api/admin/products/calzone", headers=op)).status_code == 200
    await admin_env.settled()
    assert "calzone" not in admin_env.app.state.runtime.catalog.products
    assert (await http.put("/api/admin/products/nope", json=product, headers=op)).status_code == 404


async def test_every_change_is_a_version_and_any_version_can_be_restored(
    admin_env: Admin,
) -> None:
    http, op = admin_env.http, admin_env.op
    original = (await http.get("/api/admin/intents/thanks", headers=op)).json()
    v_edit = (
        await http.put(
            "/api/admin/intents/thanks", json={"examples": {"pl": ["dzięki"]}}, headers=op
        )
    ).json()["version"]
    v_price = (
        await http.put(
            "/api/admin/products/margherita",
            json={
                "category": "pizza",
                "names": {"pl": "Margherita"},
                "prices": {"small": 100, "medium": 200, "large": 300},
            },
            headers=op,
        )
    ).json()["version"]
    v_delete = (await http.delete("/api/admin/faq/holidays", headers=op)).json()["version"]
    assert v_edit < v_price < v_delete

    versions = (await http.get("/api/admin/history", headers=op)).json()["versions"]
    assert [v["version"] for v in versions[:4]] == [v_delete, v_price, v_edit, 1]
    assert versions[0]["user"] == "ola@shop.pl" and versions[-1]["action"] == "seed"
    # A FAQ entry is named by its first question, a deleted one as it was.
    assert versions[0]["changes"] == [
        {
            "kind": "faq",
            "key": "holidays",
            "op": "deleted",
            "labels": {
                "pl": "Czy jesteście otwarci w święta?",
                "en": "Are you open on public holidays?",
            },
        }
    ]
    assert versions[1]["changes"][0]["labels"] == {"pl": "Margherita"}
    detail = (await http.get(f"/api/admin/history/{v_edit}", headers=op)).json()
    assert detail["changes"][0]["before"]["examples"] == original["examples"]
    assert detail["changes"][0]["after"]["examples"] == {"pl": ["dzięki"]}

    r = await http.post(f"/api/admin/history/{v_edit}/rollback", headers=op)
    assert r.status_code == 200, r.text
    rolled = r.json()["version"]
    await admin_env.settled()
    assert (await http.get("/api/admin/faq/holidays", headers=op)).status_code == 200
    margherita = admin_env.app.state.core.dialogue.catalog.products["margherita"]
    assert margherita.price("small") == 2490
    thanks = (await http.get("/api/admin/intents/thanks", headers=op)).json()
    assert thanks["examples"] == {"pl": ["dzięki"]}  # v_edit itself is kept

    r = await http.post("/api/admin/history/1/rollback", headers=op)
    assert r.status_code == 200
    thanks = (await http.get("/api/admin/intents/thanks", headers=op)).json()
    assert thanks["examples"] == original["examples"]
    # A rollback is a version too: rolling back to it undoes the second rollback.
    r = await http.post(f"/api/admin/history/{rolled}/rollback", headers=op)
    assert r.status_code == 200
    thanks = (await http.get("/api/admin/intents/thanks", headers=op)).json()
    assert thanks["examples"] == {"pl": ["dzięki"]}

    latest = (await http.get("/api/admin/history?limit=1", headers=op)).json()["versions"]
    r = await http.post(f"/api/admin/history/{latest[0]['version']}/rollback", headers=op)
    assert r.status_code == 409 and "is the current version" in r.json()["detail"]
    assert (await http.post("/api/admin/history/9999/rollback", headers=op)).status_code == 404


async def test_operator_responses_answer_the_next_message(sqlite_admin: Admin) -> None:
    http, op = sqlite_admin.http, sqlite_admin.op
    say = await sqlite_admin.chat()
    before = await say("dzięki")
    r = await http.put(
        "/api/admin/intents/thanks",
        json={
            "examples": {"pl": ["dzięki", "dziękuję"], "en": ["thanks"]},
            "responses": {"pl": ["Proszę bardzo{name}! Pozdrawia {shop}."]},
        },
        headers=op,
    )
    assert r.status_code == 200
    await sqlite_admin.settled()
    assert await say("dzięki") == ["Proszę bardzo! Pozdrawia Pizzeria Omnibot."]
    version = r.json()["version"]
    await http.post(f"/api/admin/history/{version - 1}/rollback", headers=op)
    await sqlite_admin.settled()
    assert await say("dzięki") == before


async def test_try_it_is_a_dry_run(sqlite_admin: Admin) -> None:
    core = sqlite_admin.app.state.core
    async with core.sessions() as s:
        customers = await s.scalar(select(func.count()).select_from(Customer))
    r = await sqlite_admin.http.post(
        "/api/admin/try", json={"text": "pokaż menu", "lang": "pl"}, headers=sqlite_admin.op
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"]["name"] == "browse_menu"
    assert body["replies"][0]["text"] == "Co podać? Wybierz kategorię:"
    assert [b["title"] for b in body["replies"][0]["buttons"]] == ["Pizze", "Napoje", "Sosy"]
    r = await sqlite_admin.http.post(
        "/api/admin/try", json={"text": "chcę rozmawiać z człowiekiem"}, headers=sqlite_admin.op
    )
    assert r.json()["handoff"] == "customer_request"
    # What the customer would be told about the handoff, as the chat says it now.
    responses, hours = core.dialogue.responses, core.support_hours.describe()
    told = {
        responses.render(key, "pl", hours=hours)
        for key in ("handoff_waiting", "handoff_nobody_online", "handoff_after_hours")
    }
    assert r.json()["replies"][-1]["text"] in told
    async with core.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == customers


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buffer.getvalue()


async def test_export_and_import_our_yaml_and_rasa(sqlite_admin: Admin) -> None:
    http, op = sqlite_admin.http, sqlite_admin.op
    r = await http.get("/api/admin/export?format=yaml", headers=op)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(r.content))
    assert sorted(files.namelist()) == [
        "intents/en.yaml", "intents/pl.yaml", "intents/responses.yaml",
        "knowledge/catalog.yaml", "knowledge/faq.yaml",
    ]  # fmt: skip
    pl = yaml.safe_load(files.read("intents/pl.yaml"))
    assert pl["language"] == "pl" and "greet" in pl["intents"]
    catalog = yaml.safe_load(files.read("knowledge/catalog.yaml"))
    catalog["products"][0]["prices"]["small"] = 2590
    # Our export imports back unchanged: no new version.
    same = {n: files.read(n).decode() for n in files.namelist()}
    r = await http.post(
        "/api/admin/import", files={"file": ("c.zip", _zip(same), "application/zip")}, headers=op
    )
    assert r.status_code == 200, r.text
    assert r.json()["changed"] is False
    changed = {**same, "knowledge/catalog.yaml": yaml.safe_dump(catalog, allow_unicode=True)}
    r = await http.post(
        "/api/admin/import", files={"file": ("c.zip", _zip(changed), "application/zip")},
        headers=op,
    )  # fmt: skip
    assert r.json()["changed"] is True
    await sqlite_admin.settled()
    assert sqlite_admin.app.state.runtime.catalog.products["margherita"].price("small") == 2590

    nlu = (
        'version: "3.1"\nnlu:\n- intent: parking\n  examples: |\n'
        "    - do you have [parking](facility)?\n    - where can I park?\n"
    )
    domain = (
        'version: "3.1"\nresponses:\n  utter_parking:\n  - text: "Parking is behind us."\n'
        "    condition:\n    - type: slot\n      name: language\n      value: en\n"
    )
    r = await http.post(
        "/api/admin/import",
        files={"file": ("rasa.zip", _zip({"data/nlu_en.yml": nlu, "domain.yml": domain}))},
        headers=op,
    )
    assert r.status_code == 200, r.text
    parking = (await http.get("/api/admin/intents/parking", headers=op)).json()
    assert parking["examples"] == {"en": ["do you have parking?", "where can I park?"]}
    assert parking["responses"] == {"en": ["Parking is behind us."]}
    r = await http.get("/api/admin/export?format=rasa", headers=op)
    rasa = zipfile.ZipFile(io.BytesIO(r.content))
    exported = yaml.safe_load(rasa.read("domain.yml"))
    assert exported["responses"]["utter_parking"][0]["text"] == "Parking is behind us."
    assert "- where can I park?" in rasa.read("data/nlu_en.yml").decode()

    bad = "faq:\n- id: x\n  questions: {pl: ['Pytanie']}\n  answer: {en: Only English}\n"
    r = await http.post("/api/admin/import", files={"file": ("faq.yaml", bad)}, headers=op)
    assert r.status_code == 422
    assert r.json()["detail"] == "FAQ x needs an answer in pl (the default language)"
    r = await http.post("/api/admin/import", files={"file": ("x.yaml", "a: [")}, headers=op)
    assert r.status_code == 422 and "not valid YAML" in r.json()["detail"]


@pytest.mark.parametrize("text", ["jaka jutro pogoda w Krakowie?"])
async def test_analytics_and_teaching_an_unmatched_message(sqlite_admin: Admin, text: str) -> None:
    http, op = sqlite_admin.http, sqlite_admin.op
    say = await sqlite_admin.chat()
    await say("cześć")
    await say(text)
    await say("poproszę margheritę")
    r = await http.get("/api/admin/analytics", headers=sqlite_admin.headers["agent"])
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["conversations_per_day"][0]["channels"] == {"webchat": 1}
    intents = {i["intent"]: i["count"] for i in data["intents"]}
    assert intents["greet"] == 1 and intents["nlu_fallback"] == 1
    assert data["out_of_scope"]["top_unmatched"] == [{"text": text, "count": 1}]
    assert data["out_of_scope"]["rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert data["conversion"]["webchat"]["carts"] == 1
    assert data["ratings"]["count"] == 0 and data["handoff"]["rate"] == 0

    r = await http.post(
        "/api/admin/analytics/unmatched/add", json={"text": text, "intent": "oos"}, headers=op
    )
    assert r.status_code == 200 and r.json()["lang"] == "pl"
    oos = (await http.get("/api/admin/intents/oos", headers=op)).json()
    assert oos["examples"]["pl"][-1] == text
    r = await http.post(
        "/api/admin/analytics/unmatched/add", json={"text": text, "intent": "nope"}, headers=op
    )
    assert r.status_code == 404
